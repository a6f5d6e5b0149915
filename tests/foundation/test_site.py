"""The built site: the traps of this stack (shared/facts/docs-stack.md), each checked on real output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import kb, notebook

pytestmark = pytest.mark.slow

_HEADING_ID = re.compile(r"<h[1-6][^>]*\sid=\"([^\"]*)\"")
_EXTERNAL_LOAD = re.compile(
    r"<(?:script|img|iframe|source|audio|video)\b[^>]*\ssrc=\"(?:https?:)?//|"
    # <link rel="canonical|alternate"> names a URL but loads nothing; these rels do load:
    r"<link\b(?=[^>]*\srel=\"(?:stylesheet|preload|modulepreload|icon|shortcut icon|manifest|prefetch)\")"
    r"[^>]*\shref=\"(?:https?:)?//|"
    r"import\(\s*[\"'](?:https?:)?//|url\(\s*[\"']?(?:https?:)?//|@import\s+[\"']?(?:https?:)?//"
)


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_notebook_pages_are_rendered_not_raw_source(built_site: Path) -> None:
    for lang_dir in (built_site, built_site / "en"):
        html = (lang_dir / "scheduler/runqueue-demo/index.html").read_text(encoding="utf-8")
        assert "jupyter-wrapper" in html and "# %%" not in html
        assert '"cells":' not in html  # not the notebook JSON either
    assert not list(built_site.rglob("*.py")), "notebook sources must not be published"
    assert not list(built_site.rglob("*.ipynb"))


def test_notebook_outputs_in_both_languages(built_site: Path) -> None:
    for lang_dir, heading in (
        (built_site, "从源码读常量"),
        (built_site / "en", "constants read from the source"),
    ):
        html = (lang_dir / "scheduler/runqueue-demo/index.html").read_text(encoding="utf-8")
        assert heading in html
        assert "p.runq capacity = " in html  # the executed cell's stdout
        assert re.search(r'<img[^>]+src="data:image/png;base64,', html)  # the matplotlib plot
        assert re.search(
            r'jp-RenderedSVG[^>]*>\s*<img[^>]+src="data:image/svg\+xml;base64,', html
        )  # graphviz


def test_every_heading_id_is_non_empty_and_unique(built_site: Path) -> None:
    for page in pages(built_site):
        ids = _HEADING_ID.findall(page.read_text(encoding="utf-8"))
        assert all(ids), f"{page}: empty heading id"
        assert len(ids) == len(set(ids)), f"{page}: duplicate heading ids"
    html = (built_site / "scheduler/runqueue-demo/index.html").read_text(encoding="utf-8")
    assert 'id="栈按倍数增长"' in html and 'href="#栈按倍数增长"' in html  # heading and its TOC link


def test_no_page_loads_anything_from_another_host(built_site: Path) -> None:
    offenders = []
    for page in [*pages(built_site), *built_site.rglob("*.css")]:
        for match in _EXTERNAL_LOAD.finditer(page.read_text(encoding="utf-8", errors="replace")):
            offenders.append(f"{page.relative_to(built_site)}: {match.group(0)}")
    assert not offenders, "\n".join(offenders[:20])
    assert (built_site / "assets/vendor/mermaid.min.js").stat().st_size > 1_000_000


def test_search_index_has_chinese_domain_terms_whole(built_site: Path) -> None:
    index = json.loads((built_site / "search/search_index.json").read_text(encoding="utf-8"))
    text = json.dumps(index, ensure_ascii=False)
    # jieba with the user dictionary keeps 工作窃取 as one word (separated by the segmenter's marker)
    assert "调度器" in text and "工作窃取" in text
    langs = {d["location"].startswith("en/") for d in index["docs"]}
    assert langs == {True, False}, "both languages share one index"


def test_broken_example_fails_kb_build_with_one_first_line(mini_project) -> None:  # type: ignore[no-untyped-def]
    text = notebook(
        ("zh", "# 题"), ("en", "# T"), ("code", "x = 1"), ("code", "import json\njson.loads('{')")
    )
    root = mini_project({"x/y.py": text})
    good = kb("build", cwd=root)
    assert good.returncode == 1 and (root / "site").exists() is False
    first = good.stderr.splitlines()[0]
    line = text.splitlines().index("json.loads('{')") + 1
    assert first.startswith(f"docs/x/y.py:{line}: code cell 2 ('import json'): JSONDecodeError: Expecting")
    assert not list(root.glob(".site*")), "no half-built site left behind"


def test_failed_build_keeps_the_previous_site_whole(mini_project) -> None:  # type: ignore[no-untyped-def]
    ok = notebook(("zh", "# 题"), ("en", "# T"), ("code", "print('v1')"))
    root = mini_project({"n.py": ok})
    assert kb("build", cwd=root).returncode == 0, "first build must pass"
    before = sorted(p.relative_to(root / "site") for p in (root / "site").rglob("*"))
    (root / "docs/n.py").write_text(ok.replace("print('v1')", "1/0"), encoding="utf-8")
    assert kb("build", cwd=root).returncode == 1
    assert sorted(p.relative_to(root / "site") for p in (root / "site").rglob("*")) == before
    assert "v1" in (root / "site/n/index.html").read_text(encoding="utf-8")


def test_rendered_notebook_cache_gives_the_same_page(mini_project) -> None:  # type: ignore[no-untyped-def]
    root = mini_project({"c.py": notebook(("zh", "# 缓存"), ("en", "# Cache"), ("code", "print('cached')"))})
    assert kb("build", cwd=root).returncode == 0
    first = {p: (root / "site" / p).read_text(encoding="utf-8") for p in ("c/index.html", "en/c/index.html")}
    entries = list((root / ".cache/kb-notebooks-html").glob("*.json"))
    assert len(entries) == 2  # one per language
    assert kb("build", cwd=root).returncode == 0
    second = {p: (root / "site" / p).read_text(encoding="utf-8") for p in first}
    assert second == first
    assert 'id="缓存"' in second["c/index.html"] and "cached" in second["en/c/index.html"]
