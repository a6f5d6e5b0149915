"""Claims: every Go fact the site states, evaluated from its evidence at build time, and the Markdown
syntax through which pages insert the verified values.

Syntax in pages and notebook markdown cells (chosen because `[[...]]` means nothing to Markdown,
pymdownx or Material's Jinja templates, which only see the rendered HTML):

    [[claim:stack.initial_size]]            the verified value in the page's language, e.g. "2048 B";
                                            a timing shows its spread: "median 134 ns (min 116,
                                            max 190; 15 runs, 2 CPUs, load 0.84)"
    [[claim:stack.initial_size|statement]]  the claim's statement in the page's language
    [[claim:ID|min]] / |median / |max       one statistic of a timing claim (with its unit)
    [[claim:ID|raw]]                        the value without unit or formatting
    [[src:runtime/proc.go#findRunnable]]    link to that line of the pinned Go source
    [[src:runtime/proc.go#findRunnable|text]]  the same link with its own text
    \\[[claim:...]]                          (backslash) left alone, for pages that show the syntax

References inside fenced code blocks and inline `code` are left alone too.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.evidence import citations, constants, experiments, toolchain
from kb.evidence.errors import CitationError, ClaimError, ExperimentError
from kb.evidence.register import (
    CitationEvidence,
    Claim,
    ConstantEvidence,
    Expect,
    ExperimentEvidence,
    Register,
)
from kb.evidence.register import load as load_register

CLAIM_REF = re.compile(r"(?<!\\)\[\[claim:(?P<id>[A-Za-z0-9_.\-]+)(?:\|(?P<part>[a-z]+))?\]\]")
ANY_REF = re.compile(r"(?<!\\)\[\[(claim|src):[^\]]*\]\]")
PARTS = ("value", "statement", "min", "median", "max", "raw")
STATS = ("min", "median", "max")

# Fenced code blocks and inline code spans are copied unchanged.
_CODE = re.compile(r"(^(?P<fence>[ \t]*(`{3,}|~{3,})).*?^(?P=fence)[ \t]*$|`+[^`\n]*`+)", re.M | re.S)


@dataclass
class EvidenceResult:
    kind: str  # constant | experiment | citation
    label: str  # e.g. "stackMin = 2048 (runtime/stack.go:78)"
    ok: bool
    problem: str | None = None
    url: str | None = None
    value: Any = None


@dataclass
class ClaimResult:
    claim: Claim
    evidence: list[EvidenceResult] = field(default_factory=list)
    value: Any = None  # number, string, bool, or {"min","median","max",...} for timings
    machine: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return all(e.ok for e in self.evidence)

    @property
    def problems(self) -> list[str]:
        return [f"{e.label}: {e.problem}" for e in self.evidence if not e.ok]


def lang_of(where: str) -> str:
    """`en` for `x.en.md` / `x.en.ipynb` pages, else `zh` (the default language)."""
    name = Path(where).name
    return "en" if ".en." in name or name.endswith(".en") else "zh"


def _dig(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            raise KeyError(part)
    return data


def is_stats(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(value.get(k), int | float) and not isinstance(value.get(k), bool) for k in STATS
    )


def check_expect(expect: Expect, value: Any) -> str | None:
    """None if `value` meets `expect`; else why not. Timings (min/median/max) are checked on the
    median, which a busy machine moves less than the max; their min must not exceed the median."""
    subject = value
    what = "value"
    if is_stats(value):
        if not value["min"] <= value["median"] <= value["max"]:
            return f"inconsistent statistics {value}"
        subject, what = value["median"], "median"
    if expect.equals is not None:
        return None if subject == expect.equals else f"{what} {subject!r} != expected {expect.equals!r}"
    if not isinstance(subject, int | float) or isinstance(subject, bool):
        return f"{what} {subject!r} is not a number, so it cannot be checked against a range"
    if expect.min is not None and subject < expect.min:
        return f"{what} {subject:g} is below the expected range [{expect.min:g}, {expect.max}]"
    if expect.max is not None and subject > expect.max:
        return f"{what} {subject:g} is above the expected range [{expect.min}, {expect.max:g}]"
    return None


def _range_text(expect: Expect) -> str:
    if expect.equals is not None:
        return f"= {expect.equals!r}"
    lo = "-∞" if expect.min is None else f"{expect.min:g}"
    hi = "∞" if expect.max is None else f"{expect.max:g}"
    return f"in [{lo}, {hi}]"


class Evaluator:
    """Evaluates claims against one GOROOT and one register; results are memoized per process.
    Experiments are run through `experiments.run` (cached on disk)."""

    def __init__(
        self,
        *,
        folder: Path | None = None,
        goroot: Path | None = None,
        cache_dir: Path | None = None,
        go_version: str | None = None,
    ) -> None:
        self.folder = folder or toolchain.go_dir()
        self.goroot = goroot or toolchain.goroot()
        self.cache_dir = cache_dir
        self.go_version = go_version
        self._register: Register | None = None
        self._results: dict[str, ClaimResult] = {}
        self._lock = threading.RLock()

    @property
    def register(self) -> Register:
        if self._register is None:
            self._register = load_register(self.folder)
        return self._register

    def version(self) -> str:
        return self.go_version or toolchain.go_version()

    def _experiment(self, ev: ExperimentEvidence) -> dict[str, Any]:
        return experiments.run(
            ev.experiment,
            env=ev.env or None,
            args=ev.args or None,
            timeout=ev.timeout,
            base_dir=self.folder,
            cache_dir=self.cache_dir,
        )

    def prefetch(self, workers: int = 2) -> list[ExperimentError]:
        """Run every experiment the claims need, `workers` at a time (before evaluating claims one by
        one, which then only reads the cache). Returns the failures."""
        seen: dict[tuple[Any, ...], tuple[str, dict[str, str] | None, list[str] | None, float]] = {}
        for claim in self.register.claims.values():
            for ev in claim.evidence:
                if isinstance(ev, ExperimentEvidence):
                    key = (ev.experiment, tuple(sorted(ev.env.items())), tuple(ev.args))
                    seen.setdefault(key, (ev.experiment, ev.env or None, ev.args or None, ev.timeout))
        answers = experiments.run_many(
            seen.values(), workers=workers, base_dir=self.folder, cache_dir=self.cache_dir
        )
        return [a for a in answers if isinstance(a, ExperimentError)]

    def evaluate(self, claim_id: str, *, where: str = "(register)") -> ClaimResult:
        with self._lock:
            if claim_id in self._results:
                return self._results[claim_id]
            claim = self.register.claims.get(claim_id)
            if claim is None:
                known = sorted(self.register.claims)
                near = [k for k in known if k.split(".")[0] == claim_id.split(".")[0]][:8]
                raise ClaimError(
                    f"{where}: unknown claim `{claim_id}`; claims live in {self.folder / 'claims.yaml'}"
                    + (f" (similar: {', '.join(near)})" if near else "")
                    + "."
                )
            result = self._evaluate(claim)
            self._results[claim_id] = result
            return result

    def evaluate_all(self) -> list[ClaimResult]:
        return [self.evaluate(cid) for cid in self.register.claims]

    def _evaluate(self, claim: Claim) -> ClaimResult:
        result = ClaimResult(claim)
        claims_file = self.folder / "claims.yaml"
        for ev in claim.evidence:
            if isinstance(ev, ConstantEvidence):
                const = self.register.constants[ev.constant]
                cr = constants.check(const, self.goroot)
                url = toolchain.source_url(const.file, cr.line, self.version()) if cr.line else None
                value = constants.numeric(cr.found) if cr.found is not None else None
                result.evidence.append(
                    EvidenceResult(
                        "constant",
                        f"{const.id} = {const.expected} ({const.file}" + (f":{cr.line})" if cr.line else ")"),
                        cr.ok,
                        None if cr.ok else f"expected `{const.expected}`, {cr.problem}",
                        url,
                        value if value is not None else cr.found,
                    )
                )
            elif isinstance(ev, ExperimentEvidence):
                label = f"experiment {ev.experiment}: {ev.field} {_range_text(ev.expect)}"
                try:
                    data = self._experiment(ev)
                except ExperimentError as exc:
                    result.evidence.append(EvidenceResult("experiment", label, False, str(exc)))
                    continue
                try:
                    value = _dig(data, ev.field)
                except KeyError as exc:
                    result.evidence.append(
                        EvidenceResult(
                            "experiment",
                            label,
                            False,
                            f"{claims_file}: claim `{claim.id}`: the experiment's JSON has no field "
                            f"`{ev.field}` (missing `{exc.args[0]}`; keys: {sorted(set(data) - {'_run'})})",
                        )
                    )
                    continue
                problem = check_expect(ev.expect, value)
                result.evidence.append(
                    EvidenceResult("experiment", label, problem is None, problem, None, value)
                )
                if is_stats(value) and result.machine is None:
                    result.machine = data.get("_run", {}).get("machine")
            elif isinstance(ev, CitationEvidence):
                file, _, ident = ev.citation.partition("#")
                try:
                    cit = citations.resolve(
                        self.goroot, file, ident or None, where=f"{claims_file}: {claim.id}"
                    )
                except CitationError as exc:
                    result.evidence.append(EvidenceResult("citation", ev.citation, False, str(exc)))
                    continue
                result.evidence.append(
                    EvidenceResult(
                        "citation",
                        f"{file}:{cit.line}" + (f" {ident}" if ident else ""),
                        True,
                        None,
                        toolchain.source_url(file, cit.line, self.version()),
                        ident or file,
                    )
                )
        for er in result.evidence:
            if er.kind in ("constant", "experiment") and er.value is not None:
                result.value = er.value
                break
        else:
            cited = [er for er in result.evidence if er.kind == "citation" and er.ok]
            result.value = cited[0].value if cited else None
        return result

    # ---- rendering -------------------------------------------------------------------------

    def render(self, claim_id: str, part: str | None, *, lang: str, where: str) -> str:
        part = part or "value"
        if part not in PARTS:
            raise ClaimError(
                f"{where}: `[[claim:{claim_id}|{part}]]`: unknown part; use one of {', '.join(PARTS)}."
            )
        result = self.evaluate(claim_id, where=where)
        if not result.ok:
            raise ClaimError(
                f"{where}: claim `{claim_id}` does not hold at this build:\n  " + "\n  ".join(result.problems)
            )
        claim = result.claim
        if part == "statement":
            return claim.statement.get(lang)
        value = result.value
        if part == "raw":
            return str(value)
        if part in STATS:
            if not is_stats(value):
                raise ClaimError(
                    f"{where}: `[[claim:{claim_id}|{part}]]`: the claim is not a timing (no {part})."
                )
            return with_unit(fmt_number(scaled(value[part], claim.scale), claim.digits), claim.unit_for(lang))
        return format_value(result, lang)


def fmt_number(x: float | int, digits: int = 3) -> str:
    """`digits` significant digits for fractions; whole numbers print whole (2048, 10, 120)."""
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return str(x)
    if x.is_integer():
        return str(int(x))
    if abs(x) >= 10 ** (digits - 1):
        return str(round(x))
    mag = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - mag)
    return f"{x:.{decimals}f}"


def scaled(x: float | int, scale: float) -> float | int:
    # Leave integers integral when there is nothing to scale (scale 1.0 would make them floats).
    return x if scale == 1 else x * scale


def with_unit(text: str, unit: str) -> str:
    return f"{text} {unit}" if unit else text


def format_value(result: ClaimResult, lang: str) -> str:
    claim = result.claim
    value = result.value
    unit = claim.unit_for(lang)
    if is_stats(value):
        f = {k: fmt_number(scaled(value[k], claim.scale), claim.digits) for k in STATS}
        runs = value.get("n")
        m = result.machine or {}
        load = (m.get("loadavg") or [None])[0]
        if lang == "en":
            ctx = ", ".join(
                x
                for x in (
                    f"{runs} runs" if runs else "",
                    f"{m.get('nproc')} CPUs" if m else "",
                    f"load {load:.2f}" if load is not None else "",
                )
                if x
            )
            return f"median {with_unit(f['median'], unit)} (min {f['min']}, max {f['max']}; {ctx})"
        ctx = "，".join(
            x
            for x in (
                f"{runs} 次" if runs else "",
                f"{m.get('nproc')} 核" if m else "",
                f"负载 {load:.2f}" if load is not None else "",
            )
            if x
        )
        return f"中位数 {with_unit(f['median'], unit)}（最小 {f['min']}，最大 {f['max']}；{ctx}）"
    if isinstance(value, bool):
        text = {True: ("是", "yes"), False: ("否", "no")}[value][lang == "en"]
        return text
    if isinstance(value, int | float):
        return with_unit(fmt_number(scaled(value, claim.scale), claim.digits), unit)
    if isinstance(value, list):
        items = [f"`{v}`" if claim.code else str(v) for v in value]
        return with_unit("; ".join(items), unit)
    text = f"`{value}`" if claim.code else str(value)
    return with_unit(text, unit)


# ---- the public entry point ------------------------------------------------------------------

_default: Evaluator | None = None
_default_lock = threading.Lock()


def default_evaluator() -> Evaluator:
    """The process-wide evaluator (project registers, pinned GOROOT); created on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Evaluator()
        return _default


def set_default_evaluator(evaluator: Evaluator | None) -> None:
    """Replace the process-wide evaluator (the MkDocs plugin sets a fresh one per build; tests set
    one with fixture registers)."""
    global _default
    with _default_lock:
        _default = evaluator


def expand(text: str, *, where: str, lang: str | None = None, evaluator: Evaluator | None = None) -> str:
    """Replace every `[[claim:ID]]`, `[[claim:ID|part]]` and `[[src:file#identifier]]` in the Markdown
    `text` with the verified value / statement / source link (syntax in the module docstring).

    - `where`: the page (or notebook) path, used in error messages and, unless `lang` is given, to
      pick the language: a name containing `.en.` is English, anything else Chinese.
    - `evaluator`: defaults to the process-wide one (`default_evaluator()`).
    Claims are evaluated on first use (experiments run or come from the cache).

    Raises ClaimError (a KbError) naming `where` and the id for an unknown claim, an unknown part or
    a claim whose evidence does not hold; CitationError naming `where`, the file and the identifier
    for a citation that does not resolve. Text inside code fences and inline code is left unchanged.
    """
    if "[[" not in text:
        return text
    ev = evaluator or default_evaluator()
    language = lang or lang_of(where)

    def claim_sub(m: re.Match[str]) -> str:
        return ev.render(m.group("id"), m.group("part"), lang=language, where=where)

    def src_sub(m: re.Match[str]) -> str:
        cit = citations.resolve(ev.goroot, m.group("file"), m.group("ident"), where=where)
        url = toolchain.source_url(cit.file, cit.line, ev.version())
        label = m.group("label") or f"`{cit.file}:{cit.line}" + (f" {cit.ident}`" if cit.ident else "`")
        return f'[{label}]({url} "{ev.version()}")'

    def prose(chunk: str) -> str:
        chunk = CLAIM_REF.sub(claim_sub, chunk)
        return citations.SRC_REF.sub(lambda m: src_sub(m) if not _escaped(chunk, m) else m.group(0), chunk)

    out: list[str] = []
    pos = 0
    for m in _CODE.finditer(text):
        out.append(prose(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(prose(text[pos:]))
    return "".join(out)


def _escaped(text: str, m: re.Match[str]) -> bool:
    return m.start() > 0 and text[m.start() - 1] == "\\"


def references(text: str) -> list[str]:
    """Claim ids referenced in `text` (outside code), in order of appearance."""
    ids: list[str] = []
    pos = 0
    chunks: list[str] = []
    for m in _CODE.finditer(text):
        chunks.append(text[pos : m.start()])
        pos = m.end()
    chunks.append(text[pos:])
    for chunk in chunks:
        ids.extend(m.group("id") for m in CLAIM_REF.finditer(chunk))
    return ids
