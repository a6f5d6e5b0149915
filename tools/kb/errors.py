"""Errors the user can act on.

Anything raised as a `KbError` is printed by `kb` (and by the MkDocs plugins, through
`PluginError`) as its message alone: the message must say where (file, line or field), what is
wrong and how to fix it. Everything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class KbError(Exception):
    """A problem in the input or the machine that the user can fix."""


class ToolMissing(KbError):
    """An external program the project needs is not installed."""
