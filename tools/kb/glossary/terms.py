"""Load and validate the glossary data file (snippets/glossary.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kb.errors import KbError

LANGS = ("zh", "en")


class GlossaryError(KbError):
    """The glossary data file is malformed; the message names file, line and field."""


class Bilingual(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Term(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    zh_allowed: list[str] = []
    en_allowed: list[str] = []
    zh_forbidden: list[str] = []
    en_forbidden: list[str] = []
    define: Bilingual
    src: str | None = Field(default=None, pattern=r"^[\w./\-]+(#[\w.]+)?$")

    @field_validator("zh_allowed", "en_allowed", "zh_forbidden", "en_forbidden")
    @classmethod
    def _non_empty(cls, v: list[str]) -> list[str]:
        for item in v:
            if not item.strip():
                raise ValueError("empty variant")
        return v

    @model_validator(mode="after")
    def _disjoint(self) -> Term:
        # A form both allowed and forbidden would make the check flag the page that follows the
        # glossary: refuse it where it is written.
        for lang in LANGS:
            ok = {v.casefold() for v in self.accepted(lang)}
            bad = [v for v in self.forbidden(lang) if v.casefold() in ok]
            if bad:
                raise ValueError(f"{lang}_forbidden repeats an accepted form: {bad}")
        return self

    def accepted(self, lang: str) -> list[str]:
        """The term's translation in `lang` and the other forms of that same translation."""
        return [self.zh, *self.zh_allowed] if lang == "zh" else [self.en, *self.en_allowed]

    def forbidden(self, lang: str) -> list[str]:
        return self.zh_forbidden if lang == "zh" else self.en_forbidden

    def name(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def _entry_lines(text: str) -> list[int]:
    """1-based line of each top-level list entry (PyYAML's composer keeps node marks)."""
    node = yaml.compose(text)
    if node is None or not isinstance(node, yaml.SequenceNode):
        return []
    return [item.start_mark.line + 1 for item in node.value]


def load(path: Path) -> list[Term]:
    """All terms of `path`, validated; raises GlossaryError naming file:line and the field."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GlossaryError(
            f"{path}: glossary data file missing; create it (a YAML list of terms)."
        ) from None
    try:
        raw: Any = yaml.safe_load(text)
        lines = _entry_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}" if mark is not None else ""
        raise GlossaryError(f"{path}{at}: not valid YAML: {exc}") from None
    if not isinstance(raw, list):
        raise GlossaryError(f"{path}: must be a YAML list of terms, found {type(raw).__name__}.")
    terms: list[Term] = []
    seen: dict[str, int] = {}
    owner: dict[tuple[str, str], str] = {}
    for index, entry in enumerate(raw):
        line = lines[index] if index < len(lines) else 1
        where = f"{path}:{line}"
        try:
            term = Term.model_validate(entry)
        except ValidationError as exc:
            problems = "; ".join(
                f"field `{'.'.join(str(p) for p in e['loc']) or '(entry)'}`: {e['msg']}" for e in exc.errors()
            )
            raise GlossaryError(f"{where}: term {index}: {problems}") from None
        if term.id in seen:
            raise GlossaryError(
                f"{where}: id `{term.id}` repeats the term at line {seen[term.id]}; rename one."
            )
        seen[term.id] = line
        # One form may belong to one term only, else a page using it would count for both.
        for lang in LANGS:
            for form in [*term.accepted(lang), *term.forbidden(lang)]:
                key = (lang, form.casefold())
                if key in owner and owner[key] != term.id:
                    raise GlossaryError(
                        f"{where}: term `{term.id}`: the {lang} form `{form}` is already listed under "
                        f"term `{owner[key]}`; keep it in one term only."
                    )
                owner[key] = term.id
        terms.append(term)
    return terms
