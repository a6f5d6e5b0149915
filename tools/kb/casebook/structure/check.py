"""Load and check one case folder: YAML syntax, the model, cross-field rules, files and stories.

Every problem is reported with the file, the line, the field path, what is wrong and how to fix
it, and all problems of a case are reported at once (fixing errors one build at a time is slow).
Line numbers come from the YAML node tree (yaml.compose), which pydantic never sees.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from kb.casebook.structure.models import (
    ARTIFACT_KINDS,
    BpfArtifact,
    Case,
    FieldPath,
    FileRef,
    FlameArtifact,
    OutputArtifact,
    PcapArtifact,
    SloArtifact,
    semantic_problems,
)
from kb.errors import KbError

CASE_FILE = "case.yaml"
STORY_FILES = {"zh": "story.zh.md", "en": "story.en.md"}


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class CaseError(KbError):
    """One or more problems in a case folder; the message lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        n = len(problems)
        super().__init__(f"{n} problem(s) in a case:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass
class LoadedCase:
    """A validated case and where it lives; `files` maps each artifact path to its absolute path."""

    case: Case
    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    stories: dict[str, str] = field(default_factory=dict)


def format_path(loc: FieldPath) -> str:
    """`artifacts[0].file.path`; pydantic's union tag ('pcap' in artifacts/0/pcap/file) is left out."""
    out = ""
    for i, part in enumerate(loc):
        if i >= 2 and loc[i - 2] == "artifacts" and isinstance(loc[i - 1], int) and part in ARTIFACT_KINDS:
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _locate(root: yaml.Node | None, loc: FieldPath) -> int | None:
    """1-based line of the deepest YAML node on `loc` (pydantic adds union tags: skipped when absent)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == part:
                    node = v
                    line = k.start_mark.line + 1
                    break
            # else: a discriminator tag such as 'pcap' in ('artifacts', 0, 'pcap', 'file'): skip it
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _fix_for(err: ErrorDetails) -> str:
    """A sentence that tells how to fix a pydantic error type (its own message says what is wrong)."""
    kind = err["type"]
    loc = err["loc"]
    name = loc[-1] if loc else ""
    if kind == "missing":
        return f"add the field `{name}`"
    if kind == "extra_forbidden":
        return f"remove `{name}` or correct its spelling (unknown fields are rejected)"
    if kind in ("literal_error", "union_tag_invalid"):
        return "use one of the values listed"
    if kind == "union_tag_not_found":
        return "add `kind:` (pcap, bpf, flame, slo or output)"
    if kind.startswith(("timezone", "datetime")):
        return "write a UTC time such as 2026-03-14T09:12:00Z"
    if kind.startswith("date"):
        return "write a date such as 2026-03-14"
    if kind == "too_short":
        return "add entries"
    if kind in ("string_type", "dict_type", "list_type", "model_type", "int_type", "float_type"):
        return "change the value to the expected type (quote text containing ':' or '#')"
    return ""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_refs(case: Case) -> Iterator[tuple[FieldPath, FileRef]]:
    """Every file the case names, with the field path that names it."""
    if case.reproduction is not None:
        yield ("reproduction", "script"), case.reproduction.script
    for i, a in enumerate(case.artifacts):
        base: FieldPath = ("artifacts", i)
        if isinstance(a, PcapArtifact | OutputArtifact):
            yield (*base, "file"), a.file
        elif isinstance(a, BpfArtifact):
            yield (*base, "source"), a.source
            for j, t in enumerate(a.tests):
                yield (*base, "tests", j, "packets"), t.packets
        elif isinstance(a, FlameArtifact | SloArtifact):
            yield (*base, "before"), a.before
            yield (*base, "after"), a.after


def check_file(folder: Path, ref: FileRef) -> tuple[Path | None, str | None, str | None]:
    """(resolved path, problem, actual sha256): the path must resolve inside `folder` to a regular file."""
    root = folder.resolve()
    candidate = folder / ref.path
    if not candidate.exists() and not candidate.is_symlink():
        return None, f"{ref.path} does not exist in {folder}: add the file or correct the path", None
    resolved = candidate.resolve()
    if not resolved.is_relative_to(root):
        return (
            None,
            f"{ref.path} resolves to {resolved}, outside the case folder: copy the file in",
            None,
        )
    if not resolved.is_file():
        return None, f"{ref.path} is not a regular file: name a file", None
    actual = _sha256(resolved)
    if actual != ref.sha256:
        return (
            resolved,
            f"{ref.path} changed: its sha256 is {actual} but case.yaml records {ref.sha256}. If the change "
            "is intended, review it and record the new hash (`kb case check ID --fix-hashes`)",
            actual,
        )
    return resolved, None, actual


_HEADING = re.compile(r"^(#{1,6})\s", re.MULTILINE)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


def story_outline(text: str) -> list[int]:
    """Heading levels outside code fences: both languages must have the same outline."""
    return [len(m.group(1)) for m in _HEADING.finditer(_FENCE.sub("", text))]


def _load_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise CaseError(
            [Problem(path, line, "", f"is not valid YAML ({getattr(exc, 'problem', exc)}): fix the syntax")]
        ) from None


def check_case(folder: Path, *, display_root: Path | None = None) -> tuple[LoadedCase | None, list[Problem]]:
    """Validate the case in `folder`; returns the loaded case (None if the model failed) and all problems."""
    shown = (
        folder.relative_to(display_root) if display_root and folder.is_relative_to(display_root) else folder
    )
    yaml_path = folder / CASE_FILE
    shown_yaml = shown / CASE_FILE
    if not yaml_path.is_file():
        return None, [
            Problem(shown_yaml, None, "", f"is missing: run `kb new-case {folder.name}` to scaffold one")
        ]
    try:
        data, root = _load_yaml(yaml_path)
    except CaseError as exc:
        return None, [Problem(shown_yaml, p.line, p.field, p.message) for p in exc.problems]
    problems: list[Problem] = []
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            fix = _fix_for(err)
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(
                Problem(shown_yaml, _locate(root, loc), format_path(loc), msg + (f": {fix}" if fix else ""))
            )
        return None, problems

    if case.id != folder.name:
        problems.append(
            Problem(
                shown_yaml,
                _locate(root, ("id",)),
                "id",
                f"{case.id!r} differs from the folder name {folder.name!r}: make them equal",
            )
        )
    for loc, msg in semantic_problems(case):
        problems.append(Problem(shown_yaml, _locate(root, loc), format_path(loc), msg))

    for i, rel in enumerate(case.related):
        if rel.case is not None and not (folder.parent / rel.case / CASE_FILE).is_file():
            loc = ("related", i, "case")
            problems.append(
                Problem(
                    shown_yaml,
                    _locate(root, loc),
                    format_path(loc),
                    f"{rel.case!r} is not a case in {folder.parent}: name an existing case id, or link the "
                    "incident with `url` + `title`",
                )
            )

    loaded = LoadedCase(case, folder)
    for loc, ref in file_refs(case):
        resolved, problem, _ = check_file(folder, ref)
        if problem:
            problems.append(Problem(shown_yaml, _locate(root, (*loc, "sha256")), format_path(loc), problem))
        if resolved is not None:
            loaded.files[ref.path] = resolved

    outlines: dict[str, list[int]] = {}
    for lang, name in STORY_FILES.items():
        p = folder / name
        if not p.is_file():
            problems.append(
                Problem(shown / name, None, "", f"is missing: write the {lang} story of the case")
            )
            continue
        text = p.read_text(encoding="utf-8")
        if not text.strip():
            problems.append(Problem(shown / name, None, "", "is empty: write the story"))
        loaded.stories[lang] = text
        outlines[lang] = story_outline(text)
    if len(outlines) == 2 and outlines["zh"] != outlines["en"]:
        problems.append(
            Problem(
                shown / STORY_FILES["en"],
                None,
                "",
                f"heading outline {outlines['en']} differs from "
                f"story.zh.md {outlines['zh']}: every section must exist in both languages",
            )
        )
    return loaded, problems


def load_case(folder: Path, *, display_root: Path | None = None) -> LoadedCase:
    """The validated case, or CaseError listing every problem."""
    loaded, problems = check_case(folder, display_root=display_root)
    if problems or loaded is None:
        raise CaseError(problems)
    return loaded


def _file_ref_nodes(node: yaml.Node) -> Iterator[tuple[yaml.ScalarNode, yaml.ScalarNode]]:
    """(path node, sha256 node) of every mapping that has both keys, anywhere in the tree."""
    if isinstance(node, yaml.MappingNode):
        keys = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        p, h = keys.get("path"), keys.get("sha256")
        if isinstance(p, yaml.ScalarNode) and isinstance(h, yaml.ScalarNode):
            yield p, h
        for _, v in node.value:
            yield from _file_ref_nodes(v)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            yield from _file_ref_nodes(v)


def fix_hashes(folder: Path) -> list[str]:
    """Write the actual sha256 of every `{path, sha256}` pair of case.yaml in place; returns what changed.

    Works before the model validates, so a new artifact can be entered with `sha256: TODO`. Why a text
    edit at the scalar's exact span: a YAML round trip through PyYAML would drop the author's comments
    and layout. Paths are held to the same rules as in validation (inside the case folder).
    """
    from kb.casebook.structure.models import _relpath

    yaml_path = folder / CASE_FILE
    _, root = _load_yaml(yaml_path)
    if root is None:
        return []
    text = yaml_path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln))
    edits: list[tuple[int, int, str]] = []
    changed: list[str] = []
    for pnode, hnode in _file_ref_nodes(root):
        try:
            rel = _relpath(pnode.value)
        except ValueError as exc:
            raise KbError(f"{yaml_path}:{pnode.start_mark.line + 1}: path: {exc}") from None
        ref = FileRef.model_construct(path=rel, sha256=hnode.value)
        resolved, problem, actual = check_file(folder, ref)
        if resolved is None:
            raise KbError(f"{yaml_path}:{pnode.start_mark.line + 1}: path: {problem}")
        if actual is None or actual == hnode.value:
            continue
        start = offsets[hnode.start_mark.line] + hnode.start_mark.column
        end = offsets[hnode.end_mark.line] + hnode.end_mark.column
        edits.append((start, end, actual))
        changed.append(f"{rel}: {hnode.value[:12] or '(empty)'} -> {actual[:12]}…")
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    if edits:
        yaml_path.write_text(text, encoding="utf-8")
    return changed
