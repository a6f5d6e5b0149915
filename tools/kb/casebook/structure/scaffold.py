"""`kb new-case <slug>`: a new case folder that already passes `kb case check`.

The template doubles as the documentation of the format: every field is present with a comment
that says what goes there, so an author edits instead of looking things up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from kb.casebook.structure.check import check_case
from kb.casebook.structure.models import SLUG_RE
from kb.errors import KbError

CASE_TEMPLATE = """\
# case.yaml: the data of one incident (format: tools/kb/casebook/structure/README.md).
# Unknown keys are errors. Times are UTC with a Z suffix. Every prose field has zh and en.
version: 1
id: {slug}                      # equals the folder name
title:
  zh: 待填写：事故标题
  en: "TODO: incident title"
status: draft                   # draft | published (published needs pcap, bpf, flame and slo artifacts)
date: {today}                   # the day the incident started (UTC)
severity: SEV3                  # SEV1 (worst) .. SEV4
layers: [L4]                    # any of L2 L3 L4 L7 kernel ebpf kubernetes cni application
taxonomy: [{slug}]              # slugs the index filters on, e.g. tls, dns, conntrack, mtu, verifier
# provenance: production | staging-reproduction | lab-reproduction | synthetic-illustration
provenance: synthetic-illustration
owner: TODO-owner
responders: []
summary:
  zh: 待填写：一段话说明发生了什么、影响了谁、如何解决。
  en: "TODO: one paragraph: what happened, who was affected, how it was resolved."
impact:
  description:
    zh: 待填写：影响说明。
    en: "TODO: describe the impact."
  started_at: {start}
  ended_at: {end}
  # metrics: - {{name: {{zh: .., en: ..}}, value: 1.5, unit: "%", evidence: <artifact id>}}
  metrics: []
detection:
  by: alert                     # alert | customer | engineer | automation
  detected_at: {start}
  how:
    zh: 待填写：如何发现。
    en: "TODO: how it was detected."
  improve:
    zh: 待填写：如何把发现时间缩短一半？
    en: "TODO: how could the time to detect be halved?"
trigger:
  zh: 待填写：触发条件。
  en: "TODO: the trigger."
root_causes:
  - zh: 待填写：根因。
    en: "TODO: root cause."
contributing_factors: []
resolution:
  zh: 待填写：如何恢复。
  en: "TODO: how service was restored."
five_whys: []
# timeline: in time order; kind: leadup trigger detection response mitigation resolution followup
timeline:
  - at: {start}
    kind: trigger
    event:
      zh: 待填写：事件。
      en: "TODO: event."
  - at: {end}
    kind: resolution
    event:
      zh: 待填写：恢复。
      en: "TODO: recovered."
action_items:
  - type: prevent               # mitigate | prevent | detect | process
    description:
      zh: 待填写：改进项。
      en: "TODO: action item."
    owner: TODO-owner
    due: {today}
    status: open                # open | in-progress | done
lessons:
  went_well: []
  went_wrong: []
  got_lucky: []
# related: - {{case: other-case-id}}  or  - {{url: https://..., title: {{zh: .., en: ..}}}}
related: []
environment:
  kernel: "TODO: uname -r"
  # distro: Debian 12
  # kubernetes: v1.31.2
  # cni: {{name: cilium, version: 1.16.3}}
  components: []
# reproduction:                 # required when any artifact is lab-reproduction
#   script: {{path: reproduce.sh, sha256: TODO}}
#   requires: [root, clang, bpftool, tshark]
#   explain: {{zh: .., en: ..}}
artifacts: []
# Each artifact: id, kind, title, provenance, origin, explain + the kind's files. Write `sha256: TODO`
# and run `kb case check {slug} --fix-hashes` to fill the hashes in. Kinds:
#   pcap:   file, capture_point, display_filter?, key_frames: [{{frame: 3, note: {{zh, en}}}}]
#   bpf:    source, program_type (tc|xdp|tracepoint|...), program?, expect (loads|rejected),
#           verifier_message?, vmlinux_h?, tests: [{{name, packets, frame, expect_retval}}]
#   flame:  before, after (folded stacks), event
#   slo:    before, after (CSV latency_ms,error), objective: {{latency_p99_ms, error_rate}}
#   output: command, file, language
"""

STORY_ZH = """\
## 背景

待填写：事故的来龙去脉。

## 分析

待填写：证据如何指向根因。
"""

STORY_EN = """\
## Background

TODO: how the incident unfolded.

## Analysis

TODO: how the evidence points to the root cause.
"""


def new_case(casebooks: Path, slug: str, *, now: datetime | None = None) -> Path:
    """Create casebooks/<slug>/ with case.yaml and both stories; refuses to overwrite."""
    if not SLUG_RE.match(slug):
        raise KbError(
            f"{slug!r} is not a valid case id: use lowercase letters, digits and '-' "
            "(e.g. conntrack-exhaustion)"
        )
    folder = casebooks / slug
    if folder.exists():
        raise KbError(f"{folder} already exists: choose another id or edit that case")
    now = (now or datetime.now(UTC)).replace(microsecond=0, second=0)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    folder.mkdir(parents=True)
    (folder / "case.yaml").write_text(
        CASE_TEMPLATE.format(
            slug=slug,
            today=now.date().isoformat(),
            start=now.replace(minute=0).strftime(stamp),
            end=now.strftime(stamp) if now.minute else now.replace(minute=30).strftime(stamp),
        ),
        encoding="utf-8",
    )
    (folder / "story.zh.md").write_text(STORY_ZH, encoding="utf-8")
    (folder / "story.en.md").write_text(STORY_EN, encoding="utf-8")
    _, problems = check_case(folder)
    if problems:  # the template is ours: a failure here is a bug, not user input
        raise AssertionError("scaffolded case does not validate:\n" + "\n".join(map(str, problems)))
    return folder
