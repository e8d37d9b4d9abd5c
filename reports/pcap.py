"""A scenario's trace as a classic pcap that Wireshark and tshark open as if captured.

The trace holds application messages, not packets, so the TCP around them is
synthesised: each connection gets a three-way handshake just before its first
message, data split at the MSS with consistent seq/ack numbers per side, an
ACK from the peer after every burst and an orderly FIN exchange after its
last message. Wireshark then reassembles and dissects the messages (HTTP with
its SOAP body, SMTP, ...) without a single expert warning, which is what lets
a reader of the report trust what the dissectors show.

Headers are packed with ``struct`` rather than built as scapy layers: scapy
needs about half a millisecond per packet, and a load scenario of 5,000
messages makes some 20,000 packets. scapy still writes the file (and provides
the checksum) through ``RawPcapWriter``.

Output is a pure function of the events: sequence numbers, IP ids, MAC
addresses and synthetic ports come from the events alone, never from a clock
or a salted ``hash()``, so a rerun gives a byte-identical file.
"""

from __future__ import annotations

import io
import ipaddress
import re
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scapy.data import DLT_EN10MB
from scapy.utils import RawPcapWriter, checksum

from mmsconf.emulators.trace import TraceEvent
from mmsconf.reports.files import write_atomic

#: Payload bytes per TCP segment (an Ethernet MTU of 1500 less IPv4 and TCP headers).
MSS = 1460
# Unacknowledged data never reaches the 64 KiB window the segments
# advertise; otherwise tshark flags "window full".
_ACK_EVERY = 32
_WINDOW = 65535
_TTL = 64
# Handshake and teardown packets sit this many microseconds apart.
_GAP_US = 100
# Enough for a 64 KiB UDP datagram in one frame; the libpcap default (65535)
# would be smaller than such a frame.
_SNAPLEN = 262144
_MAX_UDP_PAYLOAD = {4: 65535 - 20 - 8, 6: 65535 - 8}
_EPHEMERAL_BASE, _EPHEMERAL_SPAN = 40000, 20000

_FIN, _SYN, _PSH, _ACK = 0x01, 0x02, 0x08, 0x10
_TCP, _UDP = 6, 17
# MSS option on SYN and SYN/ACK, so Wireshark knows the segment size.
_SYN_OPTIONS = struct.pack("!BBH", 2, 4, MSS)
# Protocols where the server speaks first: the first message of such a
# connection is the server's greeting (SMTP, FTP, POP3, IMAP).
_GREETING = re.compile(rb"\A(?:220[ -]|\+OK|\* OK)")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Addr = tuple[str, int]  # (host, port) as the trace names it
_Leg = tuple[_Addr, _Addr, TraceEvent]  # one message: from, to, event


@dataclass(frozen=True)
class _Host:
    """One side of a packet: its address and the MAC derived from it."""

    ip: Address
    packed: bytes
    mac: bytes

    @property
    def version(self) -> int:
        return self.ip.version


@dataclass
class _Packet:
    """A packet before it is packed: cheap to create and to sort."""

    us: int  # capture time, integer microseconds since the epoch
    order: tuple[int, int]  # (stream, packet in stream): tie-break at equal times
    src: _Host
    dst: _Host
    sport: int
    dport: int
    proto: int
    payload: bytes = b""
    seq: int = 0
    ack: int = 0
    flags: int = 0
    options: bytes = field(default=b"")


def write_pcap(events: Sequence[TraceEvent], path: Path) -> int:
    """Write ``events`` to ``path`` as a classic (libpcap, Ethernet) pcap; return packets written.

    The file is replaced atomically: a reader never sees half of it.
    """
    data, count = pcap_bytes(events)
    write_atomic(Path(path), data)
    return count


def pcap_bytes(events: Sequence[TraceEvent]) -> tuple[bytes, int]:
    """The pcap of ``events`` as bytes, and its packet count.

    Events are taken in the order given (trace order); within one
    connection that is the order on the wire.
    """
    packets = _packets(events)
    # Stable sort: packets of different connections interleave by time, and
    # those of one connection are already strictly increasing.
    packets.sort(key=lambda p: (p.us, p.order))
    buf = _KeepOpen()
    writer = RawPcapWriter(buf, linktype=DLT_EN10MB, snaplen=_SNAPLEN)
    writer.write_header(None)
    ip_ids: dict[bytes, int] = {}
    for p in packets:
        ip_id = ip_ids.get(p.src.packed, 0)
        ip_ids[p.src.packed] = (ip_id + 1) & 0xFFFF
        sec, usec = divmod(p.us, 1_000_000)
        writer.write_packet(_frame(p, ip_id), sec=sec, usec=usec)
    writer.flush()
    return buf.getvalue(), len(packets)


class _KeepOpen(io.BytesIO):
    # RawPcapWriter closes its file when it is collected; the bytes must
    # outlive it.
    def close(self) -> None:
        pass


# --- from events to packets ---------------------------------------------


class _Hosts:
    """Maps trace host strings to addresses, the same string to the same address."""

    def __init__(self) -> None:
        self._cache: dict[str, _Host] = {}

    def get(self, host: str) -> _Host:
        found = self._cache.get(host)
        if found is None:
            found = self._cache[host] = _host(_address(host))
        return found

    def pair(self, a: str, b: str) -> tuple[_Host, _Host]:
        ha, hb = self.get(a), self.get(b)
        if ha.version != hb.version:
            # One packet cannot mix families: lift the IPv4 side into IPv6.
            ha, hb = (_host(_lift(h.ip)) if h.version == 4 else h for h in (ha, hb))
        return ha, hb


def _address(host: str) -> Address:
    try:
        ip = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        # A name or a placeholder ("?"): a stable address in the benchmarking
        # range 198.18.0.0/15, which no real host uses.
        return ipaddress.IPv4Address(0xC6120000 + zlib.crc32(host.encode()) % 0x20000)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _lift(ip: Address) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address(f"::ffff:{ip}")


def _host(ip: Address) -> _Host:
    packed = ip.packed
    # Locally administered unicast MAC carrying the address's last four bytes.
    return _Host(ip, packed, b"\x02\x00" + packed[-4:])


def _packets(events: Sequence[TraceEvent]) -> list[_Packet]:
    hosts = _Hosts()
    ports = _SyntheticPorts(events)
    # Per connection, in first-seen order: its events with their ports fixed.
    streams: dict[tuple[str, _Addr, _Addr], list[_Leg]] = {}
    packets: list[_Packet] = []
    for n, e in enumerate(events):
        src = ports.fix(e.src.host, e.src.port, e.dst.host, e.dst.port)
        dst = ports.fix(e.dst.host, e.dst.port, e.src.host, e.src.port)
        if e.transport == "udp":
            packets.append(_udp(e, src, dst, hosts, n))
            continue
        key = (e.transport, *sorted([src, dst]))
        streams.setdefault(key, []).append((src, dst, e))
    # UDP packets took the indexes below len(events) as tie-breakers.
    for index, legs in enumerate(streams.values(), len(events)):
        packets.extend(_TcpConversation(legs, hosts, index).packets())
    return packets


class _SyntheticPorts:
    """Stable stand-ins for port 0 (a client whose source port was not known).

    Derived from the endpoint and its peer, so every event of that exchange
    lands on the same connection, and kept clear of ports the trace really
    uses on that host so it never merges with another connection.
    """

    def __init__(self, events: Sequence[TraceEvent]) -> None:
        self._used = {(ep.host, ep.port) for e in events for ep in (e.src, e.dst) if ep.port}
        self._given: dict[tuple[str, str, int], int] = {}

    def fix(self, host: str, port: int, peer_host: str, peer_port: int) -> _Addr:
        if port:
            return host, port
        key = (host, peer_host, peer_port)
        if key not in self._given:
            seed = zlib.crc32(f"{host}|{peer_host}|{peer_port}".encode())
            for step in range(_EPHEMERAL_SPAN):
                candidate = _EPHEMERAL_BASE + (seed + step) % _EPHEMERAL_SPAN
                if (host, candidate) not in self._used:
                    break
            self._used.add((host, candidate))
            self._given[key] = candidate
        return host, self._given[key]


def _udp(e: TraceEvent, src: _Addr, dst: _Addr, hosts: _Hosts, n: int) -> _Packet:
    s, d = hosts.pair(src[0], dst[0])
    return _Packet(
        us=_us(e.time),
        order=(n, 0),
        src=s,
        dst=d,
        sport=src[1],
        dport=dst[1],
        proto=_UDP,
        # An oversized datagram would need IP fragments; cutting it keeps
        # the lengths in the headers true.
        payload=e.raw[: _MAX_UDP_PAYLOAD[s.version]],
    )


def _us(t: float) -> int:
    # Integer microseconds: float arithmetic on epoch seconds drifts (a
    # 6 ms gap came out as 0.005999 s), and integers keep order exact.
    # Never before the epoch: pcap stores unsigned seconds.
    return max(round(t * 1_000_000), 0)


def _ends(items: list[_Leg]) -> tuple[_Addr, _Addr]:
    """(client, server) of one connection: the SYN goes from the one to the other.

    The events say which end listens when they can. Otherwise the client is
    the first to speak, unless that first message is a server's greeting.
    """
    for src, dst, event in items:
        end = event.listening_end
        if end is event.src:
            return dst, src
        if end is event.dst:
            return src, dst
    first_src, first_dst, first = items[0]
    if _GREETING.match(first.raw):
        return first_dst, first_src
    return first_src, first_dst


class _TcpConversation:
    """One TCP connection: the events on one 4-tuple, with the TCP they imply."""

    def __init__(
        self,
        items: list[_Leg],
        hosts: _Hosts,
        index: int,
    ) -> None:
        self.items = items
        self.index = index
        client, server = _ends(items)
        self.client, self.server = client, server
        hc, hs = hosts.pair(client[0], server[0])
        self.hosts = {client: hc, server: hs}
        # Deterministic initial sequence numbers, different per side.
        key = f"{client[0]}:{client[1]}>{server[0]}:{server[1]}".encode()
        self.next_seq = {client: zlib.crc32(key), server: zlib.crc32(key[::-1])}
        self.out: list[_Packet] = []
        self.last_us: int | None = None

    def packets(self) -> list[_Packet]:
        c, s = self.client, self.server
        start = _us(self.items[0][2].time) - 3 * _GAP_US
        self._send(c, s, _SYN, start, options=_SYN_OPTIONS)
        self._send(s, c, _SYN | _ACK, start + _GAP_US, options=_SYN_OPTIONS)
        self._send(c, s, _ACK, start + 2 * _GAP_US)
        for src, dst, event in self.items:
            self._data(src, dst, event.raw, _us(event.time))
        assert self.last_us is not None
        end = self.last_us + _GAP_US
        self._send(c, s, _FIN | _ACK, end)
        self._send(s, c, _FIN | _ACK, end + _GAP_US)
        self._send(c, s, _ACK, end + 2 * _GAP_US)
        return self.out

    def _data(self, src: _Addr, dst: _Addr, raw: bytes, us: int) -> None:
        if not raw:
            return  # nothing crossed the wire
        chunks = [raw[i : i + MSS] for i in range(0, len(raw), MSS)]
        for n, chunk in enumerate(chunks, 1):
            last = n == len(chunks)
            self._send(src, dst, _ACK | (_PSH if last else 0), us, chunk)
            if last or n % _ACK_EVERY == 0:
                self._send(dst, src, _ACK, us)

    def _send(
        self,
        src: _Addr,
        dst: _Addr,
        flags: int,
        us: int,
        payload: bytes = b"",
        options: bytes = b"",
    ) -> None:
        # Strictly increasing within the connection, whatever the recorded
        # times say (two recorders, equal clock readings).
        us = max(us, 0)  # a handshake ahead of a message stamped at 0
        if self.last_us is not None and us <= self.last_us:
            us = self.last_us + 1
        self.last_us = us
        seq = self.next_seq[src]
        # The client's SYN has nothing to acknowledge yet.
        ack = self.next_seq[dst] if flags & _ACK else 0
        self.out.append(
            _Packet(
                us=us,
                order=(self.index, len(self.out)),
                src=self.hosts[src],
                dst=self.hosts[dst],
                sport=src[1],
                dport=dst[1],
                proto=_TCP,
                payload=payload,
                seq=seq,
                ack=ack,
                flags=flags,
                options=options,
            )
        )
        # SYN and FIN take one sequence number each.
        consumed = len(payload) + (1 if flags & (_SYN | _FIN) else 0)
        self.next_seq[src] = (seq + consumed) & 0xFFFFFFFF


# --- from packets to bytes ----------------------------------------------


def _frame(p: _Packet, ip_id: int) -> bytes:
    if p.proto == _TCP:
        header_len = 20 + len(p.options)
        l4 = (
            struct.pack(
                "!HHIIBBHHH",
                p.sport,
                p.dport,
                p.seq,
                p.ack,
                (header_len // 4) << 4,
                p.flags,
                _WINDOW,
                0,
                0,
            )
            + p.options
        )
        checksum_at = 16
    else:
        l4 = struct.pack("!HHHH", p.sport, p.dport, 8 + len(p.payload), 0)
        checksum_at = 6
    segment_len = len(l4) + len(p.payload)
    if p.src.version == 4:
        pseudo = p.src.packed + p.dst.packed + struct.pack("!BBH", 0, p.proto, segment_len)
    else:
        pseudo = p.src.packed + p.dst.packed + struct.pack("!I3xB", segment_len, p.proto)
    csum = checksum(pseudo + l4 + p.payload)
    if p.proto == _UDP and csum == 0:
        csum = 0xFFFF  # 0 means "no checksum" in UDP
    l4 = l4[:checksum_at] + struct.pack("!H", csum) + l4[checksum_at + 2 :]
    if p.src.version == 4:
        ip = struct.pack(
            "!BBHHHBBH4s4s",
            0x45,
            0,
            20 + segment_len,
            ip_id,
            0x4000,  # don't fragment
            _TTL,
            p.proto,
            0,
            p.src.packed,
            p.dst.packed,
        )
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        ethertype = 0x0800
    else:
        ip = struct.pack(
            "!IHBB16s16s", 6 << 28, segment_len, p.proto, _TTL, p.src.packed, p.dst.packed
        )
        ethertype = 0x86DD
    ether = p.dst.mac + p.src.mac + struct.pack("!H", ethertype)
    return ether + ip + l4 + p.payload
