"""The trace as a pcap, read back with scapy: handshakes, seq/ack, payloads.

``mixed_trace()`` is also what tests/interop/test_tshark_pcaps.py hands to
tshark, so the two check the same file from both sides.
"""

from __future__ import annotations

import copy
import io
import itertools
from collections import defaultdict
from pathlib import Path

import dnslib
import lxml.html
import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.packet import Packet
from scapy.utils import rdpcap

from mmsconf.emulators.trace import Endpoint, TraceEvent
from mmsconf.reports import write as write_module
from mmsconf.reports.html import scenario_ids
from mmsconf.reports.model import RunResult
from mmsconf.reports.pcap import MSS, pcap_bytes, write_pcap
from mmsconf.reports.write import write_report

T0 = 1_700_000_000.0

SP = Endpoint("SP", "127.0.0.10", 40001)
MMSG = Endpoint("MMSG-180", "127.0.1.80", 8080)
MMSG_OUT = Endpoint("MMSG-180", "127.0.1.80", 40022)
MMSC = Endpoint("MMSC", "127.0.2.1", 2525)
RESOLVER_CLIENT = Endpoint("MMSG-180", "127.0.1.80", 53001)
DNS = Endpoint("DNS", "127.0.0.53", 53)
PPG = Endpoint("PPG", "127.0.3.1", 5060)
UA = Endpoint("UA", "127.0.3.2", 5060)

HTTP_PORT = MMSG.port
SMTP_PORT = MMSC.port


def _soap(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">'
        '<env:Header><mm7:TransactionID xmlns:mm7="http://www.3gpp.org/ftp/Specs/archive/23_series/'
        '23.140/schema/REL-6-MM7-1-4" env:mustUnderstand="1">t-1</mm7:TransactionID></env:Header>'
        f"<env:Body>{body}</env:Body></env:Envelope>"
    ).encode()


def http_request(n: int, padding: int) -> bytes:
    # Padding makes the body span several segments.
    body = _soap(
        f"<SubmitReq><MM7Version>6.8.0</MM7Version><Subject>{'x' * padding}</Subject>"
        f"<AuxApplicInfo>sp-{n:04d}</AuxApplicInfo></SubmitReq>"
    )
    return (
        b"POST /mm7 HTTP/1.1\r\n"
        b"Host: 127.0.1.80:8080\r\n"
        b'Content-Type: text/xml; charset="utf-8"\r\n'
        b'SOAPAction: ""\r\n'
        b"Content-Length: %d\r\n\r\n" % len(body)
    ) + body


def http_response(n: int) -> bytes:
    body = _soap(
        f"<SubmitRsp><MM7Version>6.8.0</MM7Version><Status><StatusCode>1000</StatusCode>"
        f"</Status><MessageID>180-{n:06d}</MessageID></SubmitRsp>"
    )
    return (
        b"HTTP/1.1 200 OK\r\n"
        b'Content-Type: text/xml; charset="utf-8"\r\n'
        b"Content-Length: %d\r\n\r\n" % len(body)
    ) + body


SMTP_MESSAGE = (
    b"From: +8613800000001/TYPE=PLMN@mmsc.example\r\n"
    b"To: +8613900000002/TYPE=PLMN@mmsc.example\r\n"
    b"Subject: hello\r\n"
    b"X-Mms-3GPP-MMS-Version: 6.10.0\r\n"
    b"X-Mms-Message-Type: MM4_forward.REQ\r\n"
    b"X-Mms-Transaction-ID: 180-000001\r\n"
    b"X-Mms-Message-ID: <180-000001@mmsg.example>\r\n"
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"hi there\r\n"
    b".\r\n"
)

# (from the server?, line): a whole MM4 dialog; the server speaks first.
SMTP_DIALOG = [
    (True, b"220 mmsc.example ESMTP ready\r\n"),
    (False, b"EHLO mmsg.example\r\n"),
    (True, b"250-mmsc.example\r\n250-SIZE 1048576\r\n250 8BITMIME\r\n"),
    (False, b"MAIL FROM:<+8613800000001/TYPE=PLMN@mmsc.example>\r\n"),
    (True, b"250 2.1.0 Ok\r\n"),
    (False, b"RCPT TO:<+8613900000002/TYPE=PLMN@mmsc.example>\r\n"),
    (True, b"250 2.1.5 Ok\r\n"),
    (False, b"DATA\r\n"),
    (True, b"354 End data with <CR><LF>.<CR><LF>\r\n"),
    (False, SMTP_MESSAGE),
    (True, b"250 2.0.0 Ok: queued\r\n"),
    (False, b"QUIT\r\n"),
    (True, b"221 2.0.0 Bye\r\n"),
]


def dns_query() -> bytes:
    # A fixed id: dnslib would pick a random one, and the pcap must not vary.
    header = dnslib.DNSHeader(id=0x4D4D, rd=1)
    return bytes(dnslib.DNSRecord(header, q=dnslib.DNSQuestion("mmsc.example")).pack())


def dns_response() -> bytes:
    query = dnslib.DNSRecord.parse(dns_query())
    reply = query.reply()
    reply.add_answer(dnslib.RR("mmsc.example", dnslib.QTYPE.A, rdata=dnslib.A("127.0.2.1"), ttl=60))
    return bytes(reply.pack())


SIP_BODY = b"application/vnd.wap.mms-message push for +8613900000002"
SIP_MESSAGE = (
    b"MESSAGE sip:+8613900000002@ims.example SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.3.1:5060;branch=z9hG4bK776asdhds\r\n"
    b"Max-Forwards: 70\r\n"
    b"From: <sip:ppg@ims.example>;tag=49583\r\n"
    b"To: <sip:+8613900000002@ims.example>\r\n"
    b"Call-ID: a84b4c76e66710@127.0.3.1\r\n"
    b"CSeq: 1 MESSAGE\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Length: %d\r\n\r\n" % len(SIP_BODY)
) + SIP_BODY
SIP_OK = (
    b"SIP/2.0 200 OK\r\n"
    b"Via: SIP/2.0/UDP 127.0.3.1:5060;branch=z9hG4bK776asdhds\r\n"
    b"From: <sip:ppg@ims.example>;tag=49583\r\n"
    b"To: <sip:+8613900000002@ims.example>;tag=99sa0xk\r\n"
    b"Call-ID: a84b4c76e66710@127.0.3.1\r\n"
    b"CSeq: 1 MESSAGE\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def mixed_trace() -> list[TraceEvent]:
    """Two MM7 exchanges on one keep-alive connection, interleaved with the
    SMTP, DNS and SIP traffic they cause, in time order."""
    specs: list[tuple[float, Endpoint, Endpoint, str, str, bytes]] = [
        (0.000, SP, MMSG, "MM7", "tcp", http_request(1, 3000)),
        (0.002, RESOLVER_CLIENT, DNS, "DNS", "udp", dns_query()),
        (0.003, DNS, RESOLVER_CLIENT, "DNS", "udp", dns_response()),
    ]
    t = 0.004
    for from_server, line in SMTP_DIALOG:
        src, dst = (MMSC, MMSG_OUT) if from_server else (MMSG_OUT, MMSC)
        specs.append((t, src, dst, "SMTP", "tcp", line))
        t += 0.001
    specs += [
        (0.020, MMSG, SP, "MM7", "tcp", http_response(1)),
        (0.030, SP, MMSG, "MM7", "tcp", http_request(2, 100)),
        (0.031, PPG, UA, "SIP", "udp", SIP_MESSAGE),
        (0.032, UA, PPG, "SIP", "udp", SIP_OK),
        (0.040, MMSG, SP, "MM7", "tcp", http_response(2)),
    ]
    return [
        TraceEvent(n, T0 + dt, src, dst, proto, transport, f"message {n}", raw)
        for n, (dt, src, dst, proto, transport, raw) in enumerate(specs, 1)
    ]


# --- reading back ---------------------------------------------------------


def _ip(p: Packet) -> Packet:
    return p[IP] if IP in p else p[IPv6]


def _flow(p: Packet) -> tuple[str, int, str, int]:
    layer = p[TCP] if TCP in p else p[UDP]
    return (_ip(p).src, layer.sport, _ip(p).dst, layer.dport)


def _tcp_by_connection(packets: list[Packet]) -> dict[frozenset, list[Packet]]:
    conns: dict[frozenset, list[Packet]] = defaultdict(list)
    for p in packets:
        if TCP in p:
            src, sport, dst, dport = _flow(p)
            conns[frozenset({(src, sport), (dst, dport)})].append(p)
    return conns


def rdpcap_bytes(data: bytes) -> list[Packet]:
    return list(rdpcap(io.BytesIO(data)))


def _time_us(p: Packet) -> int:
    return round(p.time * 1_000_000)


@pytest.fixture(scope="module")
def packets(tmp_path_factory: pytest.TempPathFactory) -> list[Packet]:
    path = tmp_path_factory.mktemp("pcap") / "mixed.pcap"
    count = write_pcap(mixed_trace(), path)
    read = list(rdpcap(str(path)))
    assert count == len(read)
    return read


def test_every_frame_is_ethernet_and_time_ordered(packets: list[Packet]) -> None:
    assert all(Ether in p for p in packets)
    times = [p.time for p in packets]
    assert times == sorted(times)


def test_each_connection_opens_with_a_handshake_and_closes_with_fins(
    packets: list[Packet],
) -> None:
    conns = _tcp_by_connection(packets)
    assert len(conns) == 2  # the keep-alive MM7 connection and the SMTP one
    for conn in conns.values():
        client = _flow(conn[0])[:2]
        flags = [str(p[TCP].flags) for p in conn]
        assert flags[:3] == ["S", "SA", "A"]
        assert flags[-3:] == ["FA", "FA", "A"]
        assert [_flow(p)[:2] == client for p in conn[:3]] == [True, False, True]
        # The client closes first; the server answers with its own FIN.
        assert [_flow(p)[:2] == client for p in conn[-3:]] == [True, False, True]
        # Strictly increasing within the connection.
        times = [_time_us(p) for p in conn]
        assert all(a < b for a, b in itertools.pairwise(times))


def test_the_smtp_client_is_the_side_that_did_not_send_the_greeting(
    packets: list[Packet],
) -> None:
    conns = _tcp_by_connection(packets)
    smtp = next(c for c in conns.values() if SMTP_PORT in {c[0][TCP].sport, c[0][TCP].dport})
    syn = smtp[0]
    assert (_ip(syn).src, syn[TCP].sport) == (MMSG_OUT.host, MMSG_OUT.port)
    assert syn[TCP].dport == SMTP_PORT


def test_seq_and_ack_are_consistent(packets: list[Packet]) -> None:
    for conn in _tcp_by_connection(packets).values():
        next_seq: dict[tuple[str, int], int] = {}
        for p in conn:
            tcp = p[TCP]
            me, peer = _flow(p)[:2], _flow(p)[2:]
            if "S" in tcp.flags:
                next_seq[me] = tcp.seq
            # Each segment starts where the previous one from that side ended.
            assert tcp.seq == next_seq[me]
            if "A" in tcp.flags:
                # ...and acknowledges everything the peer has sent so far.
                assert tcp.ack == next_seq[peer]
            next_seq[me] = (
                tcp.seq + len(tcp.payload) + ("S" in tcp.flags) + ("F" in tcp.flags)
            ) % (1 << 32)


def test_segments_respect_the_mss_and_every_burst_is_acked(packets: list[Packet]) -> None:
    for conn in _tcp_by_connection(packets).values():
        for i, p in enumerate(conn):
            size = len(p[TCP].payload)
            assert size <= MSS
            if "P" in p[TCP].flags:
                after = conn[i + 1]
                assert _flow(after) == (*_flow(p)[2:], *_flow(p)[:2])
                assert len(after[TCP].payload) == 0 and str(after[TCP].flags) == "A"
    # The first request (3 KB of padding) really is split.
    sizes = [len(p[TCP].payload) for p in packets if TCP in p and p[TCP].dport == HTTP_PORT]
    assert sizes.count(MSS) >= 2


def test_reassembled_payloads_equal_the_raw_bytes(packets: list[Packet]) -> None:
    sent: dict[tuple, bytes] = defaultdict(bytes)
    for p in packets:
        if TCP in p:
            sent[_flow(p)] += bytes(p[TCP].payload)
    expected: dict[tuple, bytes] = defaultdict(bytes)
    for e in mixed_trace():
        if e.transport == "tcp":
            expected[(e.src.host, e.src.port, e.dst.host, e.dst.port)] += e.raw
    assert dict(sent) == dict(expected)
    assert len(sent) == 4  # both directions of both connections


def test_udp_payloads_equal_the_raw_bytes(packets: list[Packet]) -> None:
    udp = [(_flow(p), bytes(p[UDP].payload)) for p in packets if UDP in p]
    expected = [
        ((e.src.host, e.src.port, e.dst.host, e.dst.port), e.raw)
        for e in mixed_trace()
        if e.transport == "udp"
    ]
    assert udp == expected
    assert dnslib.DNSRecord.parse(udp[1][1]).a.rdata == dnslib.A("127.0.2.1")


def test_checksums_are_right(packets: list[Packet]) -> None:
    for p in packets:
        layer = p[TCP] if TCP in p else p[UDP]
        stored_ip, stored_l4 = p[IP].chksum, layer.chksum
        # Let scapy recompute both and compare.
        rebuilt = Ether(bytes(p))
        del rebuilt[IP].chksum
        del (rebuilt[TCP] if TCP in rebuilt else rebuilt[UDP]).chksum
        rebuilt = Ether(bytes(rebuilt))
        assert (stored_ip, stored_l4) == (
            rebuilt[IP].chksum,
            (rebuilt[TCP] if TCP in rebuilt else rebuilt[UDP]).chksum,
        )


def test_timestamps_follow_the_events(packets: list[Packet]) -> None:
    # The first request's first segment is stamped with its event's time,
    # the handshake just before it.
    first_data = next(p for p in packets if TCP in p and len(p[TCP].payload))
    assert _time_us(first_data) == round(T0 * 1_000_000)
    assert _time_us(packets[0]) < _time_us(first_data)
    assert _time_us(first_data) - _time_us(packets[0]) < 1000


# --- edge cases -------------------------------------------------------------


def _event(n: int, t: float, src: Endpoint, dst: Endpoint, raw: bytes) -> TraceEvent:
    return TraceEvent(n, T0 + t, src, dst, "MM7", "tcp", "x", raw)


def test_output_is_deterministic() -> None:
    assert pcap_bytes(mixed_trace()) == pcap_bytes(mixed_trace())


def test_unknown_client_port_gets_a_stable_ephemeral_one(tmp_path: Path) -> None:
    anon = Endpoint("SP", "127.0.0.10", 0)
    events = [
        _event(1, 0.0, anon, MMSG, http_request(1, 10)),
        _event(2, 0.1, MMSG, anon, http_response(1)),
    ]
    write_pcap(events, tmp_path / "a.pcap")
    read = rdpcap(str(tmp_path / "a.pcap"))
    ports = {p[TCP].sport for p in read if p[IP].src == anon.host}
    assert len(ports) == 1
    (port,) = ports
    assert 40000 <= port < 60000
    assert {p[TCP].dport for p in read if p[IP].dst == anon.host} == {port}
    assert pcap_bytes(events) == pcap_bytes(events)


def test_synthetic_port_avoids_ports_the_trace_uses() -> None:
    anon = Endpoint("SP", "127.0.0.10", 0)
    probe = [_event(1, 0.0, anon, MMSG, b"a")]
    port = rdpcap_bytes(pcap_bytes(probe)[0])[0][TCP].sport
    taken = Endpoint("SP", "127.0.0.10", port)
    events = [_event(1, 0.0, taken, MMSG, b"a"), _event(2, 0.1, anon, MMSG, b"b")]
    conns = _tcp_by_connection(rdpcap_bytes(pcap_bytes(events)[0]))
    assert len(conns) == 2


def test_out_of_order_and_equal_times_still_increase_within_a_connection() -> None:
    events = [
        _event(1, 0.5, SP, MMSG, b"A" * 4000),
        _event(2, 0.5, MMSG, SP, b"B" * 10),
        _event(3, 0.2, SP, MMSG, b"C"),  # recorded with an earlier clock reading
    ]
    read = rdpcap_bytes(pcap_bytes(events)[0])
    times = [_time_us(p) for p in read]
    assert all(a < b for a, b in itertools.pairwise(times))
    payload = b"".join(bytes(p[TCP].payload) for p in read if p[TCP].sport == SP.port)
    assert payload == b"A" * 4000 + b"C"


def test_large_bodies_are_acked_before_the_window_fills() -> None:
    events = [_event(1, 0.0, SP, MMSG, b"z" * 300_000)]
    read = rdpcap_bytes(pcap_bytes(events)[0])
    in_flight = 0
    for p in read:
        if p[TCP].sport == SP.port:
            in_flight += len(p[TCP].payload)
        else:
            in_flight = 0
        assert in_flight < 65535


def test_names_and_ipv6_hosts() -> None:
    v6 = Endpoint("SP", "::1", 40001)
    named = Endpoint("MMSG", "mmsg.example", 8080)
    mapped = Endpoint("MMSC", "::ffff:127.0.2.1", 2525)
    events = [
        _event(1, 0.0, v6, MMSG, b"six to four"),
        _event(2, 0.1, SP, named, b"to a name"),
        _event(3, 0.2, SP, mapped, b"to a mapped address"),
        TraceEvent(4, T0 + 0.3, v6, Endpoint("DNS", "::2", 53), "DNS", "udp", "q", dns_query()),
    ]
    read = rdpcap_bytes(pcap_bytes(events)[0])
    by_payload = {bytes(p[TCP].payload if TCP in p else p[UDP].payload): p for p in read}
    assert by_payload[b"six to four"][IPv6].dst == "::ffff:127.0.1.80"
    assert by_payload[b"to a name"][IP].dst.startswith("198.1")
    assert by_payload[b"to a mapped address"][IP].dst == "127.0.2.1"
    assert by_payload[dns_query()][IPv6].src == "::1"
    assert rdpcap_bytes(pcap_bytes(events)[0])  # and it all parses again


def test_empty_trace_writes_a_valid_empty_file(tmp_path: Path) -> None:
    assert write_pcap([], tmp_path / "empty.pcap") == 0
    assert len(rdpcap(str(tmp_path / "empty.pcap"))) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["empty.pcap"]


# --- in the report ----------------------------------------------------------


def test_write_report_writes_a_pcap_per_traced_scenario(run: RunResult, tmp_path: Path) -> None:
    out = write_report(run, tmp_path)
    ids = scenario_ids(run.scenarios)
    traced = [i for i, s in enumerate(run.scenarios) if s.trace]
    assert traced == [1]
    assert out["pcaps"] == [tmp_path / "pcap" / f"{ids[1]}.pcap"]
    assert [s.pcap for s in run.scenarios] == [None, f"pcap/{ids[1]}.pcap", None, None]
    assert len(rdpcap(str(out["pcaps"][0]))) > len(run.scenarios[1].trace)
    assert sorted(p.name for p in (tmp_path / "pcap").iterdir()) == [f"{ids[1]}.pcap"]

    page = lxml.html.fromstring(out["html"].read_bytes())
    links = page.xpath("//a[@class='pcap-link']")
    assert [a.get("href") for a in links] == [f"pcap/{ids[1]}.pcap"]
    # Next to that scenario's trace heading, not somewhere else on the page.
    heading = links[0].getparent()
    assert heading.tag == "h4" and heading.text_content().startswith("Trace (5 messages)")
    assert heading.xpath("ancestor::section[@class and @id]")[0].get("id") == ids[1]


def test_a_rerun_removes_pcaps_of_scenarios_it_did_not_trace(
    run: RunResult, tmp_path: Path
) -> None:
    write_report(run, tmp_path)
    run.scenarios[1].trace = []
    out = write_report(run, tmp_path)
    assert out["pcaps"] == []
    assert run.scenarios[1].pcap is None
    assert list((tmp_path / "pcap").iterdir()) == []
    assert not lxml.html.fromstring(out["html"].read_bytes()).xpath("//a[@class='pcap-link']")


def test_a_trace_the_pcap_cannot_encode_still_gets_its_report(
    run: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(events: object) -> tuple[bytes, int]:
        raise ValueError("port out of range")

    monkeypatch.setattr(write_module, "pcap_bytes", broken)
    out = write_report(run, tmp_path)
    assert out["pcaps"] == []
    assert run.scenarios[1].pcap is None
    assert "pcap not written: ValueError: port out of range" in run.scenarios[1].log
    assert "pcap not written" in out["html"].read_text(encoding="utf-8")


def test_a_very_long_scenario_id_still_gives_a_file(run: RunResult, tmp_path: Path) -> None:
    twins = [copy.deepcopy(run.scenarios[1]) for _ in range(2)]
    for n, twin in enumerate(twins):
        twin.nodeid = "features/x.feature::test_" + "long_" * 80 + f"[example {n}]"
    run.scenarios[1:2] = twins
    out = write_report(run, tmp_path)
    names = [p.name for p in out["pcaps"]]
    assert len(names) == 2 and len(set(names)) == 2
    assert all(len(name) <= 255 for name in names)
    assert all(path.is_file() for path in out["pcaps"])
    assert [s.pcap for s in twins] == [f"pcap/{name}" for name in names]


def test_messages_stamped_at_the_epoch_still_fit_the_format() -> None:
    events = [
        TraceEvent(1, 0.0, SP, MMSG, "MM7", "tcp", "x", b"a"),
        TraceEvent(2, 0.0, DNS, RESOLVER_CLIENT, "DNS", "udp", "y", dns_response()),
    ]
    read = rdpcap_bytes(pcap_bytes(events)[0])
    assert len(read) == 1 + 6 + 1 + 1  # UDP, handshake and teardown, data, its ACK
    assert min(p.time for p in read) == 0


# --- which side listens -------------------------------------------------------


def _smtp_shaped(*, listener: bool, greeting: bytes) -> list[TraceEvent]:
    """The server (MMSC, port 2525) speaks first; the events may name it as the listener."""
    client = Endpoint("MMSG-180", "127.0.1.80", 40100)
    lines = [
        (MMSC, client, greeting),
        (client, MMSC, b"EHLO mmsg.example\r\n"),
        (MMSC, client, b"250 mmsc.example\r\n"),
        (client, MMSC, b"QUIT\r\n"),
        (MMSC, client, b"221 Bye\r\n"),
    ]
    where = (MMSC.host, MMSC.port) if listener else None
    return [
        TraceEvent(n, T0 + n / 1000, s, d, "SMTP", "tcp", "x", raw, listener=where)
        for n, (s, d, raw) in enumerate(lines, 1)
    ]


def _syn(events: list[TraceEvent]) -> Packet:
    read = rdpcap_bytes(pcap_bytes(events)[0])
    (syn,) = [p for p in read if p[TCP].flags == "S"]
    return syn


@pytest.mark.parametrize(
    "greeting",
    [b"220 mmsc.example ESMTP\r\n", b"554 5.3.2 mmsc.example busy, try later\r\n"],
)
def test_the_syn_goes_to_the_listener_the_events_name(greeting: bytes) -> None:
    syn = _syn(_smtp_shaped(listener=True, greeting=greeting))
    assert (syn[IP].dst, syn[TCP].dport) == (MMSC.host, MMSC.port)
    assert syn[TCP].sport == 40100


def test_without_listener_only_a_recognised_greeting_turns_the_syn_around() -> None:
    # The fallback guess: a 220 greeting is known to come from the server...
    syn = _syn(_smtp_shaped(listener=False, greeting=b"220 mmsc.example ESMTP\r\n"))
    assert syn[TCP].dport == MMSC.port
    # ... a 554 greeting is not, and the guess gets the SYN backwards: the reason
    # the recorder names the listener.
    syn = _syn(_smtp_shaped(listener=False, greeting=b"554 busy\r\n"))
    assert syn[TCP].dport == 40100
