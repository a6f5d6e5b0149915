"""Cross-checks of the tls-cert-expiry, dns-spoofed-responses and east-west-surge cases.

test_cases.py already validates every case, compiles/loads/test-runs its eBPF program and checks
its impact figures. Here: each case's artifacts agree with each other and with what its story says
(the packet that proves the fault is in the capture, the counter output matches the request samples),
and the small hand-written lab encoders agree with an independent implementation (scapy).
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from kb.casebook.render import bpf
from kb.external import which

ROOT = Path(__file__).resolve().parents[2]
CASEBOOKS = ROOT / "casebooks"
TLS = CASEBOOKS / "tls-cert-expiry"
DNS = CASEBOOKS / "dns-spoofed-responses"
EW = CASEBOOKS / "east-west-surge"


def _module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _fields(pcap: Path, fields: list[str], display_filter: str = "") -> list[list[str]]:
    """One row per frame: the tshark field values (tshark is how the build reads captures too)."""
    cmd = [str(which("tshark")), "-r", str(pcap), "-T", "fields", "-E", "separator=\t"]
    for f in fields:
        cmd += ["-e", f]
    if display_filter:
        cmd += ["-Y", display_filter]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60).stdout
    return [line.split("\t") for line in out.splitlines()]


def _errors(path: Path) -> tuple[int, int]:
    with path.open(encoding="ascii") as f:
        rows = list(csv.DictReader(f))
    return len(rows), sum(int(r["error"]) for r in rows)


# --- tls-cert-expiry -------------------------------------------------------------------------


def test_tls_capture_holds_the_expired_certificate_and_the_alert() -> None:
    rows = _fields(
        TLS / "handshakes.pcap",
        ["frame.number", "frame.time_epoch", "ip.src", "ip.dst", "tls.alert_message.desc", "x509af.utcTime"],
    )
    alerts = [r for r in rows if r[4]]
    # the frame numbers the case's key frames and explanation name
    # (the failing connection comes first, so these numbers do not depend on how the other one closes)
    assert [r[0] for r in alerts] == ["8"]
    assert [r[0] for r in rows if r[5]] == ["6", "15"]
    assert "1" in _fields(TLS / "handshakes.pcap", ["tcp.flags.reset"], "frame.number == 9")[0]
    # exactly one alert, certificate_expired (45), sent by the client to the stale replica
    assert [(r[2], r[3], r[4]) for r in alerts] == [("10.58.0.2", "10.58.0.13", "45")]
    certs = {r[2]: (float(r[1]), r[5]) for r in rows if r[5]}
    assert set(certs) == {"10.58.0.12", "10.58.0.13"}, certs

    def not_after(utc_times: str) -> float:
        # the certificate's validity: notBefore,notAfter as tshark prints them ("YYYY-MM-DD hh:mm:ss (UTC)")
        value = utc_times.split(",")[1].replace(" (UTC)", "")
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()

    t13, v13 = certs["10.58.0.13"]
    t12, v12 = certs["10.58.0.12"]
    assert not_after(v13) < t13, "the stale replica's certificate must be expired at capture time"
    assert not_after(v12) > t12, "the healthy replica's certificate must be valid at capture time"


def test_tls_alert_counter_matches_the_failed_requests() -> None:
    """The map counts one alert per failed handshake: the before phase's errors plus the capture's one."""
    text = (TLS / "cert_dates.txt").read_text(encoding="utf-8")
    dump = json.loads(text[text.index("[{") : text.index("]\n# server") + 1])
    assert [e["key"]["description"] for e in dump] == [45]
    _, errors = _errors(TLS / "latency_before.csv")
    assert dump[0]["value"] == errors + 1
    assert "# server 218118666 = 10.58.0.13, description 45" in text
    assert "certificate has expired" in text


def test_tls_failures_are_one_replica_in_four() -> None:
    n, errors = _errors(TLS / "latency_before.csv")
    assert errors == n // 4
    assert _errors(TLS / "latency_after.csv")[1] == 0


def test_tls_alert_decoder_turns_keys_into_addresses(capsys: pytest.CaptureFixture[str]) -> None:
    lab = _module(TLS / "tls_lab.py")
    dump = [{"key": [], "formatted": {"key": {"server": 218118666, "description": 45}, "value": 7}}]
    sys_stdin = sys.stdin
    try:
        sys.stdin = io.StringIO(json.dumps(dump))
        lab.alerts()
    finally:
        sys.stdin = sys_stdin
    assert capsys.readouterr().out.strip() == "# server 218118666 = 10.58.0.13, description 45: 7 alerts"


# --- dns-spoofed-responses ----------------------------------------------------------------------


def test_dns_capture_shows_the_race() -> None:
    rows = _fields(
        DNS / "race.pcap",
        [
            "frame.number",
            "eth.src",
            "ip.src",
            "ip.id",
            "dns.id",
            "dns.flags.response",
            "dns.a",
            "icmp.type",
            "frame.time_relative",
        ],
    )
    answers = [r for r in rows if r[5] == "1" and not r[7]]
    resolver_mac = answers[0][1]  # the clean lookup's answer comes from the real resolver
    raced = [r for r in answers if r[4] == answers[-1][4]]
    assert len(raced) == 2, "the raced transaction must have two answers"
    forged, real = raced
    assert forged[2] == real[2] == "10.59.0.53", "both claim to come from the resolver"
    assert forged[1] != resolver_mac and real[1] == resolver_mac
    assert forged[6] == "10.59.0.66" and real[6] == "10.59.0.80"
    assert int(forged[0]) < int(real[0]), "the forgery arrives first"
    assert forged[3] == "0x0000", "the raw socket leaves the IP id at 0"
    # timing as the story tells it: the forgery within a millisecond, the real answer after the
    # resolver's 15 ms delay
    query = next(r for r in rows if r[4] == forged[4] and r[5] == "0")
    assert float(forged[8]) - float(query[8]) < 0.001
    assert float(real[8]) - float(query[8]) >= 0.015
    assert [int(query[0]), int(forged[0]), int(real[0])] == [5, 6, 9]
    assert rows[7][2] == "10.59.0.66" and rows[9][7].startswith("3")  # frames 8 (RST) and 10 (ICMP)
    # the late real answer finds the socket closed: ICMP port unreachable (type 3) after it
    assert any(r[7].startswith("3") and int(r[0]) > int(real[0]) for r in rows)


def test_dns_guard_drops_exactly_the_forgeries() -> None:
    text = (DNS / "guard_drops.txt").read_text(encoding="utf-8")
    dump = json.loads(text[text.index("[{") :])
    by_reason = {e["key"]: sum(v["value"] for v in e["values"]) for e in dump}
    n, _ = _errors(DNS / "latency_after.csv")
    # names are used round-robin and pay.svc.lab is the second of four
    assert by_reason == {0: sum(1 for i in range(n) if i % 4 == 1), 1: 0, 2: 0}
    # before the fix only pay.svc.lab lookups fail, and the forgery wins (almost) every race for it
    with (DNS / "latency_before.csv").open(encoding="ascii") as f:
        failed = [i for i, r in enumerate(csv.DictReader(f)) if r["error"] == "1"]
    assert all(i % 4 == 1 for i in failed)
    assert len(failed) >= 0.9 * (n // 4)
    assert _errors(DNS / "latency_after.csv")[1] == 0


def test_dns_lab_encoder_agrees_with_scapy() -> None:
    from scapy.layers.dns import DNS as ScapyDNS
    from scapy.layers.dns import DNSQR

    lab = _module(DNS / "dns_lab.py")
    query = bytes(ScapyDNS(id=0xBEEF, rd=1, qd=DNSQR(qname="pay.svc.lab")))
    assert lab.parse_question(query)[:2] == (0xBEEF, "pay.svc.lab")
    reply = ScapyDNS(lab.answer(query, "10.59.0.66"))
    assert reply.id == 0xBEEF and reply.qr == 1 and reply.ancount == 1
    assert reply.an[0].rdata == "10.59.0.66" and reply.an[0].rrname == b"pay.svc.lab."
    assert lab.qname("a.bc") == b"\x01a\x02bc\x00"


def test_dns_lab_udp_checksum_is_the_internet_checksum() -> None:
    lab = _module(DNS / "dns_lab.py")
    # RFC 1071's example words 0001 f203 f4f5 f6f7 sum to ddf2 (one's complement: 220d)
    assert lab.checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D
    assert lab.checksum(b"\x01") == ~0x0100 & 0xFFFF


# --- east-west-surge -----------------------------------------------------------------------------


def test_east_west_flow_table_names_the_export() -> None:
    text = (EW / "flows.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    head = lines.index(next(x for x in lines if x.strip().startswith("source")))
    top = lines[head + 1].split()
    assert top[0] == "10.60.1.2:9000" and top[1].startswith("10.60.3.2:")
    # the per-service sum: the export (all its parallel streams) owns the link
    groups = [x.split() for x in lines if x.startswith("#   ")]
    assert groups[0][1:4] == ["10.60.1.2:9000", "->", "10.60.3.2"]
    assert float(groups[0][-1].rstrip("%")) > 90.0, groups
    backlogs = [x.split()[1] for x in lines if x.strip().startswith("backlog")]
    assert len(backlogs) == 2 and backlogs[0] != "0b" and backlogs[1] == "0b", backlogs


def test_east_west_replies_wait_in_the_queue() -> None:
    """SYN -> SYN-ACK seen on the web side: the reply crossed the backed-up link queue."""
    rows = _fields(
        EW / "surge.pcap",
        ["frame.time_relative", "tcp.flags.syn", "tcp.flags.ack", "tcp.stream"],
        "tcp.flags.syn==1",
    )
    syn = {r[3]: float(r[0]) for r in rows if r[2] == "0"}
    synack = {r[3]: float(r[0]) for r in rows if r[2] == "1"}
    gaps = [synack[s] - syn[s] for s in syn if s in synack]
    # "tens of milliseconds", where an idle veth round trip takes tens of microseconds
    assert gaps and min(gaps) > 0.01, gaps


def test_east_west_flow_printer(capsys: pytest.CaptureFixture[str]) -> None:
    lab = _module(EW / "ew_lab.py")
    # 10.60.1.2 -> 10.60.3.2, ports 9000 -> 40142 as the kernel stores them (network order)
    key = {"saddr": 0x02013C0A, "daddr": 0x02033C0A, "sport": 0x2823, "dport": 0xCE9C, "proto": 6}
    small = dict(key, sport=0x901F)
    dump = [
        {"formatted": {"key": small, "value": {"packets": 5, "bytes": 100}}},
        {"formatted": {"key": key, "value": {"packets": 10, "bytes": 900}}},
    ]
    sys_stdin = sys.stdin
    try:
        sys.stdin = io.StringIO(json.dumps(dump))
        lab.flows(1)
    finally:
        sys.stdin = sys_stdin
    out = capsys.readouterr().out.splitlines()
    assert out[1].split() == ["10.60.1.2:9000", "10.60.3.2:40142", "6", "10", "900", "90.0%"]
    assert out[2] == "# 2 flows, 1000 bytes in all"
    assert out[4].split() == ["#", "10.60.1.2:9000", "->", "10.60.3.2", "900", "90.0%"]
    assert out[5].split() == ["#", "10.60.1.2:8080", "->", "10.60.3.2", "100", "10.0%"]


@pytest.mark.parametrize("case", [TLS, DNS, EW])
def test_lab_helpers_print_usage_on_a_wrong_command(case: Path) -> None:
    helper = next(case.glob("*_lab.py"))
    proc = subprocess.run(
        [sys.executable, str(helper), "nonsense"], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 2 and "reproduce.sh" in proc.stderr


# --- the observers' maps: what BPF_PROG_TEST_RUN's return value cannot show -------------------


def _run_and_dump(
    case: Path, source: str, frames: list[int], tmp_path: Path
) -> dict[str, list[dict[str, Any]]]:
    """Compile, load and test-run the case's program on `frames` of its vectors.pcap; then every map's
    entries (BTF-formatted) by map name. The tc programs of these cases always return TC_ACT_OK, so
    the counting they exist for is only visible in their maps."""
    ok, reason = bpf.bpf_available()
    if not ok:
        pytest.skip(f"this machine does not allow bpf(): {reason}")
    obj = tmp_path / "prog.o"
    bpf.compile_bpf(case / source, obj, extra=[], include=[], shown=source)
    pin_name = f"cases2test_{os.getpid()}_{case.name.replace('-', '_')}"
    accepted, log, pin = bpf.load(obj, pin_name)
    assert accepted and pin is not None, log
    try:
        prog = next(pin.iterdir())
        for n in frames:
            assert bpf.test_run(prog, bpf.pcap_frame(case / "vectors.pcap", n)) in (0, 2)
        show = subprocess.run(
            [str(which("bpftool")), "-j", "prog", "show", "pinned", str(prog)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        maps: dict[str, list[dict[str, Any]]] = {}
        for map_id in json.loads(show.stdout)["map_ids"]:
            info = json.loads(
                subprocess.run(
                    [str(which("bpftool")), "-j", "map", "show", "id", str(map_id)],
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=60,
                ).stdout
            )
            dump = subprocess.run(
                [str(which("bpftool")), "-j", "map", "dump", "id", str(map_id)],
                capture_output=True,
                text=True,
                check=True,
                timeout=60,
            )
            maps[info["name"]] = [e.get("formatted", e) for e in json.loads(dump.stdout)]
        return maps
    finally:
        shutil.rmtree(pin, ignore_errors=True)


def test_tls_alert_counter_counts_only_plaintext_alerts(tmp_path: Path) -> None:
    # frame 1 (certificate_expired) twice, then a handshake record, an application_data record
    # (a TLS 1.3 alert on the wire), a 3-byte segment and ARP: only the two plaintext alerts count
    maps = _run_and_dump(TLS, "tls_alert_count.bpf.c", [1, 1, 2, 3, 4, 5], tmp_path)
    assert maps["alerts"] == [{"key": {"server": 218118666, "description": 45}, "value": 2}]


def test_flow_accounting_keys_and_bytes(tmp_path: Path) -> None:
    maps = _run_and_dump(EW, "flow_bytes.bpf.c", [1, 1, 2, 4, 5, 6], tmp_path)
    flows = {
        (e["key"]["proto"], e["key"]["sport"], e["key"]["dport"]): e["value"] for e in maps["flow_bytes"]
    }
    export = (6, 0x2823, 0xCE9C)  # 9000 -> 40142 in network byte order, as the kernel stores them
    web = (6, 0x901F, 0x3E82)  # 8080 -> 33342
    icmp = (1, 0, 0)  # no ports: one flow per address pair
    # ARP and IPv6 are not accounted; bytes are whole frames (skb->len)
    assert set(flows) == {export, web, icmp}, flows
    assert flows[export] == {"packets": 2, "bytes": 2 * 1502}
    assert flows[web]["packets"] == 1 and flows[icmp]["packets"] == 1


def test_source_guard_counts_each_drop_reason(tmp_path: Path) -> None:
    # forged DNS answer, forged ARP, IPv6, VLAN-tagged forgery; then two honest frames
    maps = _run_and_dump(DNS, "pod_source_guard.bpf.c", [2, 4, 5, 6, 1, 3], tmp_path)
    totals = {e["key"]: sum(v["value"] for v in e["values"]) for e in maps["guard_drops"]}
    assert totals == {0: 1, 1: 1, 2: 2}
