"""Remove what nbconvert's page template would load from other hosts.

nbconvert's template emits a `<script src="">` for MathJax (empty unless a URL is configured, so
the browser re-requests the page) and a module script importing mermaid and its ELK layouts from
cdnjs. The site makes no request to other hosts: diagrams on notebook pages are drawn by the
self-hosted mermaid of Markdown pages, and notebooks do not use MathJax (see README).
"""

from __future__ import annotations

import re

_EMPTY_SRC = re.compile(
    r"<!-- Load mathjax -->\s*<script src=\"\">\s*</script>|<script[^>]*\ssrc=\"\"[^>]*>\s*</script>"
)
_MATHJAX_CONFIG = re.compile(
    r"<!-- MathJax configuration -->\s*<script type=\"text/x-mathjax-config\">.*?</script>\s*"
    r"<!-- End of mathjax configuration -->",
    re.S,
)
_REMOTE_MODULE = re.compile(
    r"<script type=\"module\">(?:(?!</script>).)*?https?://(?:(?!</script>).)*</script>", re.S
)


def strip_remote_scripts(content: str) -> str:
    content = _EMPTY_SRC.sub("", content)
    content = _MATHJAX_CONFIG.sub("", content)
    return _REMOTE_MODULE.sub("", content)
