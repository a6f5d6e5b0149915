"""The three registers, YAML files under `snippets/go/`, validated with pydantic:

- `constants.yaml`  source constants: id, file (relative to GOROOT/src), regexp (group 1 is the
                    value), expected value.
- `claims.yaml`     every Go fact the site states: id, statement (zh, en), evidence (constants,
                    experiments with an expected range or value, citations), how to show the value.
- `errata.yaml`     one row per statement of chapters 1-4 of the source text: quote, verdict,
                    correct fact (zh, en), evidence.

A malformed entry raises RegisterError naming the file, the entry and the field path.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kb.evidence.errors import RegisterError

ID_RE = r"^[A-Za-z_][A-Za-z0-9_.\-]*$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


class Constant(Strict):
    id: str = Field(pattern=ID_RE)
    file: str = Field(min_length=1, description="path under GOROOT/src")
    regexp: str = Field(min_length=1, description="group 1 is the value")
    expected: str = Field(min_length=1)
    about: str = ""

    @field_validator("regexp")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            pattern = re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        if pattern.groups < 1:
            raise ValueError("needs a capturing group: group 1 is the constant's value")
        return v

    @field_validator("expected", mode="before")
    @classmethod
    def _as_text(cls, v: Any) -> Any:
        # `expected: 2048` in YAML is an int; the source text is compared as text.
        return str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v


class Expect(Strict):
    """What an experiment's value must be: a range (for timings: applied to the median) or an
    exact value (sizes, booleans, names)."""

    min: float | None = None
    max: float | None = None
    equals: Any = None

    @model_validator(mode="after")
    def _something(self) -> Expect:
        if self.min is None and self.max is None and self.equals is None:
            raise ValueError("give min and/or max, or equals")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class ConstantEvidence(Strict):
    constant: str = Field(pattern=ID_RE)


class ExperimentEvidence(Strict):
    experiment: str = Field(pattern=ID_RE)
    field: str = Field(min_length=1, description="dotted path into the experiment's JSON object")
    expect: Expect
    env: dict[str, str] = Field(default_factory=dict)
    args: list[str] = Field(default_factory=list)
    timeout: float = Field(default=180.0, gt=0)


class CitationEvidence(Strict):
    citation: str = Field(pattern=r"^[\w./\-]+(#[\w.]+)?$", description="file under GOROOT/src#identifier")


Evidence = ConstantEvidence | ExperimentEvidence | CitationEvidence


class Claim(Strict):
    id: str = Field(pattern=ID_RE)
    statement: Bilingual
    evidence: list[Evidence] = Field(min_length=1)
    unit: str | Bilingual | None = None
    # The shown value is value * scale (e.g. ns -> µs with scale 0.001).
    scale: float = 1.0
    digits: int = Field(default=3, ge=1, le=12, description="significant digits of non-integers")
    code: bool = False  # show the value as `code` (identifiers such as _SIGURG)

    def unit_for(self, lang: str) -> str:
        if self.unit is None:
            return ""
        return self.unit if isinstance(self.unit, str) else self.unit.get(lang)


Verdict = Literal["correct", "wrong", "misleading", "outdated", "unverifiable"]


class Erratum(Strict):
    id: str = Field(pattern=ID_RE)
    # The outline's section title; a {zh, en} pair so the English page has English headings.
    section: str | Bilingual
    quote: str = Field(min_length=1, description="the source statement being corrected (short)")
    verdict: Verdict
    # Line numbers in errata-source.zh.txt (chapters 1-4 of the outline) this row answers; items are
    # numbers or "first-last" ranges (a code listing or a mermaid graph is one row).
    lines: list[int] = Field(min_length=1)
    fact: Bilingual
    evidence: list[str] = Field(
        min_length=1,
        description="claim ids, `constant:ID`, `experiment:NAME`, or `src:file#identifier`",
    )

    def section_for(self, lang: str) -> str:
        return self.section if isinstance(self.section, str) else self.section.get(lang)

    @field_validator("section")
    @classmethod
    def _section_text(cls, v: str | Bilingual) -> str | Bilingual:
        if isinstance(v, str) and not v.strip():
            raise ValueError("must not be empty")
        return v

    @field_validator("lines", mode="before")
    @classmethod
    def _ranges(cls, v: Any) -> Any:
        if not isinstance(v, list):
            return v
        out: list[Any] = []
        for item in v:
            m = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", item) if isinstance(item, str) else None
            if m is None:
                out.append(item)
                continue
            first, last = int(m[1]), int(m[2])
            if first > last:
                raise ValueError(f"range `{item}` runs backwards")
            out.extend(range(first, last + 1))
        return out


class Register(Strict):
    constants: dict[str, Constant]
    claims: dict[str, Claim]
    errata: list[Erratum]
    folder: Path


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegisterError(f"{path}: missing register file; create it (a YAML list).") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}" if mark is not None else ""
        raise RegisterError(f"{path}{at}: not valid YAML: {exc}") from None


def _field_path(entry: Any, loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        # pydantic names union members by their class; the reader knows only the YAML keys.
        if isinstance(item, str) and item.endswith("Evidence"):
            continue
        parts.append(f"[{item}]" if isinstance(item, int) else f".{item}")
    return "".join(parts).lstrip(".")


def _parse_list(path: Path, model: type[BaseModel]) -> list[Any]:
    raw = _load_yaml(path)
    if not isinstance(raw, list):
        raise RegisterError(f"{path}: must be a YAML list of entries, found {type(raw).__name__}.")
    out = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw):
        name = entry.get("id") if isinstance(entry, dict) else None
        label = f"entry {index} (id {name})" if name else f"entry {index}"
        try:
            item = model.model_validate(entry)
        except ValidationError as exc:
            problems = "; ".join(
                f"field `{_field_path(entry, tuple(e['loc'])) or '(entry)'}`: {e['msg']}"
                for e in exc.errors()
            )
            raise RegisterError(f"{path}: {label}: {problems}") from None
        item_id = getattr(item, "id", None)
        if item_id is not None:
            if item_id in seen:
                raise RegisterError(f"{path}: {label}: id `{item_id}` repeats entry {seen[item_id]}.")
            seen[item_id] = index
        out.append(item)
    return out


def load(folder: Path) -> Register:
    """Load and cross-check the three registers in `folder` (normally snippets/go)."""
    constants = {c.id: c for c in _parse_list(folder / "constants.yaml", Constant)}
    # claims.yaml plus one file per chapter under claims/, so that authors of different chapters
    # never edit the same file; an id may be defined once across all of them.
    claims: dict[str, Claim] = {}
    defined_in: dict[str, Path] = {}
    for path in [folder / "claims.yaml", *sorted((folder / "claims").glob("*.yaml"))]:
        for claim in _parse_list(path, Claim):
            if claim.id in claims:
                raise RegisterError(
                    f"{path}: claim id `{claim.id}` is already defined in {defined_in[claim.id]}; "
                    "use the existing claim or pick another id."
                )
            claims[claim.id] = claim
            defined_in[claim.id] = path
    errata = _parse_list(folder / "errata.yaml", Erratum)
    for claim in claims.values():
        claims_file = defined_in[claim.id]
        for i, ev in enumerate(claim.evidence):
            if isinstance(ev, ConstantEvidence) and ev.constant not in constants:
                raise RegisterError(
                    f"{claims_file}: claim `{claim.id}`: field `evidence[{i}].constant`: unknown constant "
                    f"`{ev.constant}`; add it to {folder / 'constants.yaml'} or fix the id."
                )
            if isinstance(ev, ExperimentEvidence) and not (folder / ev.experiment / "main.go").is_file():
                raise RegisterError(
                    f"{claims_file}: claim `{claim.id}`: field `evidence[{i}].experiment`: no experiment "
                    f"{folder / ev.experiment / 'main.go'}."
                )
    errata_file = folder / "errata.yaml"
    for row in errata:
        for i, ref in enumerate(row.evidence):
            kind, _, rest = ref.partition(":")
            ok = (
                (kind == "constant" and rest in constants)
                or (kind == "experiment" and (folder / rest / "main.go").is_file())
                or kind == "src"
                or (not rest and ref in claims)
            )
            if not ok:
                raise RegisterError(
                    f"{errata_file}: erratum `{row.id}`: field `evidence[{i}]`: `{ref}` is neither a claim "
                    f"id nor constant:ID / experiment:NAME / src:file#identifier that exists."
                )
    return Register(constants=constants, claims=claims, errata=errata, folder=folder)
