"""Packet capture -> packet table (tshark) and a Wireshark-like SVG picture of the packet list.

Why tshark: it is Wireshark's own dissector engine, so TCP analysis flags, expert info and the
colouring-rule names on the page are exactly what an engineer sees in Wireshark (and it reads
~70k packets/s where scapy reads ~1.8k). The picture colours each row with the background and
foreground of the matching rule from Wireshark's colorfilters file, like the GUI's packet list.
"""

from __future__ import annotations

import html
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from kb.errors import KbError
from kb.external import which

VERSION = "pcap-1"
FIELDS = (
    "frame.number",
    "frame.time_relative",
    "_ws.col.Source",
    "_ws.col.Destination",
    "_ws.col.Protocol",
    "frame.len",
    "_ws.col.Info",
    "frame.coloring_rule.name",
    "_ws.expert.message",
    "_ws.expert.severity",
)
# Wireshark's expert severities (epan/proto.h PI_CHAT..PI_ERROR), as tshark prints them in fields.
SEVERITY = {
    0x00100000: "comment",
    0x00200000: "chat",
    0x00400000: "note",
    0x00600000: "warn",
    0x00800000: "error",
}
COLORFILTERS = (Path("/usr/share/wireshark/colorfilters"),)


@dataclass(frozen=True)
class Row:
    number: int
    time: float
    source: str
    destination: str
    protocol: str
    length: int
    info: str
    colour_rule: str
    expert: list[tuple[str, str]]  # (severity, message)


def read_packets(path: Path, display_filter: str | None = None, limit: int = 2000) -> list[Row]:
    """One Row per frame, dissected by tshark with colouring rules on."""
    cmd = [str(which("tshark")), "-n", "-r", str(path), "--color", "-T", "fields"]
    cmd += ["-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=\x1f"]
    for f in FIELDS:
        cmd += ["-e", f]
    if display_filter:
        cmd += ["-Y", display_filter]
    cmd += ["-c", str(limit)] if not display_filter else []
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        err = "\n".join(ln for ln in proc.stderr.splitlines() if "Running as user" not in ln)
        raise KbError(f"{path}: tshark could not read it ({err.strip()}): check the file is a pcap/pcapng")
    rows: list[Row] = []
    for line in proc.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) != len(FIELDS):
            continue
        msgs = [m for m in parts[8].split("\x1f") if m]
        sevs = [s for s in parts[9].split("\x1f") if s]
        expert = [
            (SEVERITY.get(int(s), s) if s.isdigit() else s, m) for s, m in zip(sevs, msgs, strict=False)
        ]
        rows.append(
            Row(
                number=int(parts[0]),
                time=float(parts[1] or 0),
                source=parts[2],
                destination=parts[3],
                protocol=parts[4],
                length=int(parts[5] or 0),
                info=parts[6],
                colour_rule=parts[7],
                expert=expert,
            )
        )
        if len(rows) >= limit:
            break
    return rows


def colour_rules() -> dict[str, tuple[str, str]]:
    """Rule name -> (background, foreground) as CSS hex, from Wireshark's colorfilters file."""
    rules: dict[str, tuple[str, str]] = {}
    for path in COLORFILTERS:
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            # @Name@filter@[bg r,g,b][fg r,g,b], 16-bit channels
            if not line.startswith("@"):
                continue
            try:
                _, name, _filter, colours = line.split("@", 3)
                bg_s, fg_s = colours.strip("[]").split("][")
                bg = "#" + "".join(f"{int(c) >> 8:02x}" for c in bg_s.split(","))
                fg = "#" + "".join(f"{int(c) >> 8:02x}" for c in fg_s.split(","))
            except ValueError:
                continue
            rules.setdefault(name, (fg, bg))
    return rules


def packet_list_svg(rows: list[Row], key_frames: set[int]) -> str:
    """A Wireshark-like packet list: one coloured row per frame, key frames outlined."""
    rules = colour_rules()
    cols = (
        ("No.", 50),
        ("Time", 90),
        ("Source", 130),
        ("Destination", 130),
        ("Protocol", 70),
        ("Length", 60),
    )
    info_w = 560
    width = sum(w for _, w in cols) + info_w
    rh = 20
    height = rh * (len(rows) + 1) + 4
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans Mono, monospace" font-size="12">',
        f'<rect x="0" y="0" width="{width}" height="{rh}" fill="#e8e8e8"/>',
    ]
    x = 0
    for name, w in (*cols, ("Info", info_w)):
        out.append(f'<text x="{x + 4}" y="14" font-weight="bold">{name}</text>')
        x += w
    for i, r in enumerate(rows, start=1):
        y = i * rh
        fg, bg = rules.get(r.colour_rule, ("#000000", "#ffffff"))
        out.append(f'<rect x="0" y="{y}" width="{width}" height="{rh}" fill="{bg}"/>')
        if r.number in key_frames:
            out.append(
                f'<rect x="1" y="{y + 1}" width="{width - 2}" height="{rh - 2}" fill="none" '
                'stroke="#d00000" stroke-width="2"/>'
            )
        values = (
            str(r.number),
            f"{r.time:.6f}",
            r.source,
            r.destination,
            r.protocol,
            str(r.length),
            r.info,
        )
        x = 0
        for (_, w), v in zip((*cols, ("Info", info_w)), values, strict=True):
            limit = max(4, w // 7)
            text = v if len(v) <= limit else v[: limit - 1] + "…"
            out.append(f'<text x="{x + 4}" y="{y + 14}" fill="{fg}">{html.escape(text)}</text>')
            x += w
        out.append(f"<title>{html.escape(r.colour_rule or 'no colouring rule')}</title>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def render(path: Path, out_dir: Path, display_filter: str | None, key_frames: set[int], limit: int) -> dict:
    """Write packets.svg into out_dir and return the table data (JSON-serialisable)."""
    rows = read_packets(path, display_filter, limit)
    missing = sorted(f for f in key_frames if f not in {r.number for r in rows})
    if missing:
        raise KbError(
            f"{path}: key_frames {missing} are not among the {len(rows)} frames shown "
            "(check the frame numbers, display_filter and max_rows)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "packets.svg").write_text(packet_list_svg(rows, key_frames), encoding="utf-8")
    return {"rows": [asdict(r) for r in rows], "picture": "packets.svg", "tshark": _tshark_version()}


def _tshark_version() -> str:
    from kb.external import version

    return version("tshark")
