"""The case.yaml format: pydantic models of one incident postmortem and its evidence.

Why these fields: they are the union of the sections the best public postmortem templates share
(Google SRE book, PagerDuty, Atlassian, Cloudflare; see /work/shared/facts/ebpf-casebooks.md) plus
what makes the evidence checkable here: the environment it happened in, and for every artifact
file its provenance and its sha256. Every model forbids unknown fields, so a misspelt key is an
error instead of silently missing from the page. Filesystem facts (the file exists, stays inside
the case folder, has the recorded sha256) are checked in `kb.casebook.structure.check`, because a
model only sees the YAML.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from datetime import date as Date
from pathlib import PurePosixPath
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")

Provenance = Literal["production", "staging-reproduction", "lab-reproduction", "synthetic-illustration"]
PROVENANCES: tuple[str, ...] = (
    "production",
    "staging-reproduction",
    "lab-reproduction",
    "synthetic-illustration",
)
TimelineKind = Literal["leadup", "trigger", "detection", "response", "mitigation", "resolution", "followup"]
Severity = Literal["SEV1", "SEV2", "SEV3", "SEV4"]
# Where in the stack the fault lived; the index page filters on these.
Layer = Literal["L2", "L3", "L4", "L7", "kernel", "ebpf", "kubernetes", "cni", "application"]
LAYERS: tuple[str, ...] = ("L2", "L3", "L4", "L7", "kernel", "ebpf", "kubernetes", "cni", "application")

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError(
            f"{value!r} is not a slug: use lowercase letters, digits and '-', 1-64 characters, "
            "starting and ending with a letter or digit (e.g. 'tls-cert-expiry')"
        )
    return value


Slug = Annotated[str, AfterValidator(_slug)]


def _relpath(value: str) -> str:
    p = PurePosixPath(value)
    if value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", value) or p.is_absolute():
        raise ValueError(f"{value!r} is absolute: write it relative to the case folder, e.g. 'capture.pcap'")
    if "\\" in value:
        raise ValueError(f"{value!r} contains '\\': use '/' as the separator")
    if ".." in p.parts:
        raise ValueError(f"{value!r} contains '..': artifact files must live inside the case folder")
    if value in ("", ".") or value.endswith("/"):
        raise ValueError(f"{value!r} is not a file path: name a file inside the case folder")
    return value


RelPath = Annotated[str, AfterValidator(_relpath)]


def _sha256(value: str) -> str:
    if not SHA256_RE.match(value):
        raise ValueError(
            "not a sha256: write 64 lowercase hex digits (run `sha256sum FILE`, or "
            "`kb case check ID --fix-hashes` to fill them in)"
        )
    return value


Sha256 = Annotated[str, AfterValidator(_sha256)]


def _utc(value: datetime) -> datetime:
    if value.utcoffset() != timedelta(0):
        raise ValueError("time is not in UTC: write it with a Z suffix, e.g. 2026-03-14T09:12:00Z")
    return value


UtcTime = Annotated[AwareDatetime, AfterValidator(_utc)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """One piece of prose in both languages; neither may be empty."""

    zh: NonEmpty
    en: NonEmpty


class FileRef(Strict):
    """A file of the case folder and the sha256 of the bytes the case was reviewed with."""

    path: RelPath
    sha256: Sha256


class ArtifactBase(Strict):
    id: Slug
    title: Text
    provenance: Provenance
    # Where the bytes came from (host, command, capture point); shown next to the provenance badge.
    origin: Text
    # How to read it: what each column/colour means and what to look at (bcc *_example.txt style).
    explain: Text


class KeyFrame(Strict):
    frame: Annotated[int, Field(ge=1)]
    note: Text


class PcapArtifact(ArtifactBase):
    kind: Literal["pcap"]
    file: FileRef
    # Where the capture was taken: a capture after a drop hook never sees the dropped packets.
    capture_point: Text
    display_filter: str | None = None
    key_frames: list[KeyFrame] = Field(default_factory=list)
    max_rows: Annotated[int, Field(ge=1, le=2000)] = 200


class BpfTest(Strict):
    """One BPF_PROG_TEST_RUN: frame `frame` of pcap `packets` must make the program return `expect_retval`.

    Why a pcap: scapy writes it, Wireshark opens it, and tshark shows the same bytes on the page.
    """

    name: Text
    packets: FileRef
    frame: Annotated[int, Field(ge=1)] = 1
    expect_retval: int


class BpfArtifact(ArtifactBase):
    kind: Literal["bpf"]
    source: FileRef
    program_type: Literal["tc", "xdp", "tracepoint", "raw_tracepoint", "cgroup_skb", "socket_filter"]
    # Name of the C function to test-run and draw; default: the first program in the object.
    program: str | None = None
    # The verifier outcome the case documents: a rejection can be the evidence itself.
    expect: Literal["loads", "rejected"] = "loads"
    # A substring the verifier log must contain when expect is "rejected".
    verifier_message: str | None = None
    # Generate vmlinux.h from this kernel's BTF and put it on the include path (CO-RE programs).
    vmlinux_h: bool = False
    clang_args: list[str] = Field(default_factory=list)
    tests: list[BpfTest] = Field(default_factory=list)

    @model_validator(mode="after")
    def _coherent(self) -> BpfArtifact:
        if self.tests and self.program_type not in ("tc", "xdp"):
            raise ValueError(
                "tests: BPF_PROG_TEST_RUN on packet bytes is used for tc and xdp programs only; "
                "remove `tests` or set program_type to tc or xdp"
            )
        if self.tests and self.expect == "rejected":
            raise ValueError("tests: a program expected to be rejected cannot be test-run; remove `tests`")
        if self.verifier_message and self.expect != "rejected":
            raise ValueError("verifier_message is only checked when expect is 'rejected'; remove it")
        for arg in self.clang_args:
            if not arg.startswith(("-D", "-W")):
                raise ValueError(
                    f"clang_args: {arg!r} is not allowed; only -D (defines) and -W (warnings) flags are"
                )
        return self


class FlameArtifact(ArtifactBase):
    kind: Literal["flame"]
    # Folded stacks ("a;b;c 42" per line), as written by inferno-collapse-perf from `perf script`.
    before: FileRef
    after: FileRef
    event: NonEmpty = "cpu-clock"


class SloObjective(Strict):
    latency_p99_ms: Annotated[float, Field(gt=0)] | None = None
    error_rate: Annotated[float, Field(ge=0, lt=1)] | None = None


class SloArtifact(ArtifactBase):
    kind: Literal["slo"]
    # Raw samples, one request per row: CSV with the header `latency_ms,error` (error is 0 or 1).
    before: FileRef
    after: FileRef
    objective: SloObjective = Field(default_factory=SloObjective)
    confidence: Annotated[float, Field(gt=0.5, lt=1)] = 0.95


class OutputArtifact(ArtifactBase):
    """A command and its verbatim output, like bcc's *_example.txt."""

    kind: Literal["output"]
    command: NonEmpty
    file: FileRef
    language: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_+-]{1,32}$")] = "text"


Artifact = Annotated[
    PcapArtifact | BpfArtifact | FlameArtifact | SloArtifact | OutputArtifact,
    Field(discriminator="kind"),
]
ARTIFACT_KINDS: tuple[str, ...] = ("pcap", "bpf", "flame", "slo", "output")
# A published case carries the four kinds of evidence chapter 5 asks for.
REQUIRED_FOR_PUBLISHED: tuple[str, ...] = ("pcap", "bpf", "flame", "slo")


# Figures an SLO artifact computes from raw samples; an impact metric naming one is checked at build.
Measure = Literal[
    "p99_before",
    "p99_after",
    "p99_change",
    "error_rate_before",
    "error_rate_after",
    "error_rate_change",
    "requests_before",
    "requests_after",
    "errors_before",
    "errors_after",
]
MEASURE_UNITS: dict[str, tuple[str, ...]] = {
    "p99_before": ("ms",),
    "p99_after": ("ms",),
    "p99_change": ("ms",),
    "error_rate_before": ("%",),
    "error_rate_after": ("%",),
    "error_rate_change": ("pp",),
}


class ImpactMetric(Strict):
    name: Text
    value: float
    unit: NonEmpty
    # The artifact this figure comes from, if any.
    evidence: Slug | None = None
    # With an slo artifact as evidence: which computed figure `value` states; the build recomputes it
    # from the raw samples and fails if `value` differs beyond its last typed decimal.
    measure: Measure | None = None

    @model_validator(mode="after")
    def _measure_needs_evidence(self) -> ImpactMetric:
        if self.measure is not None:
            if self.evidence is None:
                raise ValueError("`measure` needs `evidence`: the id of the slo artifact it is computed from")
            units = MEASURE_UNITS.get(self.measure)
            if units and self.unit not in units:
                raise ValueError(f"unit of {self.measure} must be {' or '.join(units)}, not {self.unit!r}")
        return self


class Impact(Strict):
    description: Text
    started_at: UtcTime
    ended_at: UtcTime
    metrics: list[ImpactMetric] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> Impact:
        if self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at: swap them or correct the times")
        return self


class Detection(Strict):
    by: Literal["alert", "customer", "engineer", "automation"]
    detected_at: UtcTime
    how: Text
    # Atlassian's question: how could the time to detect be halved?
    improve: Text


class TimelineEntry(Strict):
    at: UtcTime
    kind: (
        Literal["leadup", "trigger", "detection", "response", "mitigation", "resolution", "followup"] | None
    ) = None
    event: Text


class ActionItem(Strict):
    type: Literal["mitigate", "prevent", "detect", "process"]
    description: Text
    owner: NonEmpty
    due: date
    status: Literal["open", "in-progress", "done"] = "open"
    bug: str | None = None


class Lessons(Strict):
    went_well: list[Text] = Field(default_factory=list)
    went_wrong: list[Text] = Field(default_factory=list)
    got_lucky: list[Text] = Field(default_factory=list)


class Related(Strict):
    """Another case of this casebook (`case`) or an external incident report (`url` + `title`)."""

    case: Slug | None = None
    url: Annotated[str, StringConstraints(pattern=r"^https://\S+$")] | None = None
    title: Text | None = None
    relation: Text | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Related:
        if (self.case is None) == (self.url is None):
            raise ValueError("give exactly one of `case` (a case id) or `url` (https://...)")
        if self.url is not None and self.title is None:
            raise ValueError("an external related incident needs a `title`")
        return self


class Component(Strict):
    name: NonEmpty
    version: NonEmpty


class Environment(Strict):
    kernel: NonEmpty
    distro: NonEmpty | None = None
    kubernetes: NonEmpty | None = None
    cni: Component | None = None
    components: list[Component] = Field(default_factory=list)


class Reproduction(Strict):
    """How the lab artifacts are regenerated on one machine (netns + veth, tc fault injector, dumpcap)."""

    script: FileRef
    requires: list[NonEmpty] = Field(default_factory=list)
    explain: Text


class Case(Strict):
    version: Literal[1]
    id: Slug
    title: Text
    status: Literal["draft", "published"]
    date: Date
    severity: Severity
    layers: Annotated[list[Layer], Field(min_length=1)]
    taxonomy: Annotated[list[Slug], Field(min_length=1)]
    provenance: Provenance
    owner: NonEmpty
    responders: list[NonEmpty] = Field(default_factory=list)
    summary: Text
    impact: Impact
    detection: Detection
    trigger: Text
    root_causes: Annotated[list[Text], Field(min_length=1)]
    contributing_factors: list[Text] = Field(default_factory=list)
    resolution: Text
    five_whys: list[Text] = Field(default_factory=list)
    timeline: Annotated[list[TimelineEntry], Field(min_length=2)]
    action_items: Annotated[list[ActionItem], Field(min_length=1)]
    lessons: Lessons
    related: list[Related] = Field(default_factory=list)
    environment: Environment
    reproduction: Reproduction | None = None
    artifacts: list[Artifact] = Field(default_factory=list)


FieldPath = tuple[str | int, ...]


def semantic_problems(case: Case) -> list[tuple[FieldPath, str]]:
    """Rules that span fields, each with the field path it is about (so the error can name its line)."""
    problems: list[tuple[FieldPath, str]] = []
    for i in range(1, len(case.timeline)):
        if case.timeline[i].at < case.timeline[i - 1].at:
            problems.append(
                (
                    ("timeline", i, "at"),
                    f"{case.timeline[i].at.isoformat()} is earlier than timeline[{i - 1}]: "
                    "list timeline entries in time order",
                )
            )
    ids = [a.id for a in case.artifacts]
    seen: set[str] = set()
    for i, a in enumerate(case.artifacts):
        if a.id in seen:
            problems.append(
                (("artifacts", i, "id"), f"{a.id!r} is used twice: give each artifact its own id")
            )
        seen.add(a.id)
    kinds = {a.id: a.kind for a in case.artifacts}
    for i, m in enumerate(case.impact.metrics):
        if m.measure is not None and m.evidence in kinds and kinds[m.evidence] != "slo":
            problems.append(
                (
                    ("impact", "metrics", i, "measure"),
                    f"`measure` is computed by an slo artifact, but {m.evidence!r} is a {kinds[m.evidence]}: "
                    "point `evidence` at the slo artifact or remove `measure`",
                )
            )
        if m.evidence is not None and m.evidence not in ids:
            problems.append(
                (
                    ("impact", "metrics", i, "evidence"),
                    f"{m.evidence!r} is not an artifact id of this case (known: {ids or 'none'}): "
                    "name an artifact id or remove `evidence`",
                )
            )
    lab = [a.id for a in case.artifacts if a.provenance == "lab-reproduction"]
    if (lab or case.provenance == "lab-reproduction") and case.reproduction is None:
        problems.append(
            (
                ("reproduction",),
                "lab-reproduction evidence needs the script that regenerates it: add `reproduction: "
                "{script: {path: reproduce.sh, sha256: ...}, requires: [...], explain: {zh: ..., en: ...}}`",
            )
        )
    if case.status == "published":
        present = {a.kind for a in case.artifacts}
        missing = [k for k in REQUIRED_FOR_PUBLISHED if k not in present]
        if missing:
            problems.append(
                (
                    ("status",),
                    f"a published case needs artifacts of kinds {list(REQUIRED_FOR_PUBLISHED)}; missing "
                    f"{missing}: add them or keep `status: draft`",
                )
            )
    return problems
