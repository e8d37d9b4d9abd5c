"""The SMS user data header (codecs/sms_udh.py) against what Kannel writes for a WAP push over
SMS (ports 2948/9200; the 3-part concatenation of KANNEL-NOTES §3), every error by the field
it names, and the reassembly of concatenated SMS."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmsconf.emulators.codecs import fake_smsc, sms_udh, wsp_push
from mmsconf.emulators.codecs.sms_udh import Concat, Reassembly, Udh, UdhError

GOLDEN = Path(__file__).parent / "golden"
PORT_UDH = bytes.fromhex("0605040b8423f0")


def concat_udh(ref: int, total: int, seq: int) -> bytes:
    """The header Kannel's wapbox writes on each part: 0b 05 04 0b84 23f0 00 03 ref total seq."""
    return bytes.fromhex("0b05040b8423f00003") + bytes((ref, total, seq))


def test_kannel_port_header() -> None:
    udh = sms_udh.decode(PORT_UDH)
    assert udh.ports == (2948, 9200) and udh.concat is None
    assert udh.elements == ((sms_udh.PORTS_16, bytes.fromhex("0b8423f0")),)
    assert sms_udh.encode(udh) == PORT_UDH
    assert sms_udh.encode(Udh((sms_udh.ports_16(2948, 9200),))) == PORT_UDH


def test_kannel_concatenation_header() -> None:
    for seq in (1, 2, 3):
        raw = concat_udh(0x2A, 3, seq)
        udh = sms_udh.decode(raw)
        assert udh.ports == (2948, 9200)
        assert udh.concat == Concat(0x2A, 3, seq)
        assert sms_udh.encode(udh) == raw
    built = Udh((sms_udh.ports_16(2948, 9200), sms_udh.concat_8(0x2A, 3, 2)))
    assert sms_udh.encode(built) == concat_udh(0x2A, 3, 2)


def test_8_bit_ports_and_16_bit_reference() -> None:
    udh = sms_udh.decode(bytes.fromhex("0a 0402 f5 10 0804 1234 04 02".replace(" ", "")))
    assert udh.ports == (0xF5, 0x10)
    assert udh.concat == Concat(0x1234, 4, 2)


def test_unknown_elements_are_kept_and_skipped() -> None:
    udh = sms_udh.decode(bytes.fromhex("0b 7003 616263 05040b8423f0".replace(" ", "")))
    assert udh.elements[0] == (0x70, b"abc") and udh.ports == (2948, 9200)


def test_the_last_of_repeated_elements_counts() -> None:
    """TS 23.040 §9.2.3.24: a repeated element, or one of two that exclude each other,
    counts in its last occurrence (it once took the first)."""
    twice = bytes.fromhex("0c 0504 0b84 23f0 0504 1234 5678".replace(" ", ""))
    assert sms_udh.decode(twice).ports == (0x1234, 0x5678)
    both = bytes.fromhex("0a05040b8423f0040250 51".replace(" ", ""))
    assert sms_udh.decode(both).ports == (0x50, 0x51)
    refs = bytes.fromhex("0b 0003 01 02 01 0804 0102 02 02".replace(" ", ""))
    assert sms_udh.decode(refs).concat == Concat(0x0102, 2, 2)


UDH_ERRORS = [
    (b"", "UDHL"),
    (bytes.fromhex("07 05040b8423f0".replace(" ", "")), "UDHL"),  # says 7, 6 follow
    (bytes.fromhex("05 05040b8423f0".replace(" ", "")), "UDHL"),  # says 5, 6 follow
    (b"\x00", "UDHL"),
    (bytes([140]) + b"\x70\x8a" + bytes(138), "UDHL"),  # no SMS holds it
    (bytes.fromhex("01 05".replace(" ", "")), "IE 0x05"),  # no length octet
    (bytes.fromhex("05 0504 0b84 23".replace(" ", "")), "IE 0x05"),  # 3 of 4 octets left
    (bytes.fromhex("05 0503 0b8423".replace(" ", "")), "IE 0x05"),  # 3 octets, not 4
    (bytes.fromhex("03 0401 0b".replace(" ", "")), "IE 0x04"),
    (bytes.fromhex("05 0003 01 00 01".replace(" ", "")), "IE 0x00"),  # 0 parts
    (bytes.fromhex("05 0003 01 03 00".replace(" ", "")), "IE 0x00"),  # part 0
    (bytes.fromhex("05 0003 01 03 04".replace(" ", "")), "IE 0x00"),  # part 4 of 3
    (bytes.fromhex("04 0002 01 03".replace(" ", "")), "IE 0x00"),
    (bytes.fromhex("06 0804 0001 02 03".replace(" ", "")), "IE 0x08"),
    (bytes.fromhex("05 0803 0001 02".replace(" ", "")), "IE 0x08"),
    (bytes.fromhex("0a 05040b8423f0 0003 01 03".replace(" ", "")), "IE 0x00"),  # truncated
]


@pytest.mark.parametrize(
    ("raw", "field"), UDH_ERRORS, ids=lambda v: v.hex() if isinstance(v, bytes) else v
)
def test_errors_name_the_field(raw: bytes, field: str) -> None:
    with pytest.raises(UdhError) as caught:
        sms_udh.decode(raw)
    assert caught.value.field == field, caught.value
    assert caught.value.reason


@pytest.mark.parametrize(
    ("udh", "field"),
    [
        (Udh(()), "UDHL"),
        (Udh(((0x70, bytes(256)),)), "IE 0x70"),
        (Udh(((256, b""),)), "IE 256"),
        (Udh(((sms_udh.PORTS_16, b"\x0b\x84"),)), "IE 0x05"),
        (Udh(((sms_udh.CONCAT_8, b"\x01\x02\x03"),)), "IE 0x00"),
        (Udh(((0x70, bytes(120)), (0x71, bytes(20)))), "UDHL"),
    ],
)
def test_encode_refuses_what_decode_would(udh: Udh, field: str) -> None:
    with pytest.raises(UdhError) as caught:
        sms_udh.encode(udh)
    assert caught.value.field == field


# --------------------------------------------------------------------------- reassembly

KEY = ("8888", "+8613800000001")


def _part(ref: int, total: int, seq: int) -> Udh:
    return sms_udh.decode(concat_udh(ref, total, seq))


def test_a_single_sms_is_returned_at_once() -> None:
    r = Reassembly()
    assert r.add(KEY, sms_udh.decode(PORT_UDH), b"one") == b"one"
    assert r.add(KEY, None, b"plain") == b"plain"
    assert r.add(KEY, _part(5, 1, 1), b"one of one") == b"one of one"
    assert r.pending == 0


def test_three_parts_out_of_order() -> None:
    r = Reassembly()
    assert r.take(KEY, _part(7, 3, 3), b"C", tag="t3") is None
    assert r.take(KEY, _part(7, 3, 1), b"A", tag="t1") is None
    assert r.pending == 1
    joined = r.take(KEY, _part(7, 3, 2), b"B", tag="t2")
    assert joined == sms_udh.Joined(b"ABC", 3, ("t1", "t2", "t3"))
    assert r.pending == 0 and r.duplicates == 0 and r.dropped == 0


def test_duplicates_are_counted_before_and_after_completion() -> None:
    r = Reassembly()
    assert r.add(KEY, _part(9, 2, 1), b"A") is None
    assert r.add(KEY, _part(9, 2, 1), b"A") is None
    assert r.duplicates == 1
    assert r.add(KEY, _part(9, 2, 2), b"B") == b"AB"
    assert r.add(KEY, _part(9, 2, 2), b"B") is None  # a late copy: not a new message
    assert r.duplicates == 2 and r.pending == 0


def test_a_reused_reference_starts_a_new_message() -> None:
    """8-bit references wrap at 256: the same reference with other data is another message."""
    r = Reassembly()
    assert r.add(KEY, _part(1, 2, 1), b"A") is None
    assert r.add(KEY, _part(1, 2, 2), b"B") == b"AB"
    assert r.add(KEY, _part(1, 2, 1), b"X") is None
    assert r.add(KEY, _part(1, 2, 2), b"Y") == b"XY"
    # a partial message whose reference comes back with other data is given up
    assert r.add(KEY, _part(2, 2, 1), b"old") is None
    assert r.add(KEY, _part(2, 2, 1), b"new") is None
    assert r.dropped == 1
    assert r.add(KEY, _part(2, 2, 2), b"!") == b"new!"
    assert r.duplicates == 0


def test_keys_and_part_counts_keep_messages_apart() -> None:
    r = Reassembly()
    assert r.add(("a", "b"), _part(3, 2, 1), b"A") is None
    assert r.add(("a", "c"), _part(3, 2, 2), b"x") is None
    assert r.add(("a", "b"), _part(3, 3, 2), b"y") is None
    assert r.pending == 3
    assert r.add(("a", "b"), _part(3, 2, 2), b"B") == b"AB"


def test_pending_messages_are_bounded() -> None:
    r = Reassembly(max_pending=2)
    for ref in (1, 2, 3):
        assert r.add(KEY, _part(ref, 2, 1), b"first") is None
    assert r.pending == 2 and r.dropped == 1
    # the oldest (ref 1) was dropped: its second part starts a message that waits
    assert r.add(KEY, _part(1, 2, 2), b"second") is None
    assert r.add(KEY, _part(3, 2, 2), b"second") == b"firstsecond"
    assert r.pending <= 2
    with pytest.raises(ValueError):
        Reassembly(max_pending=0)


def test_a_three_part_push_from_fake_smsc_lines() -> None:
    """The captured push, cut the way wapbox cuts a long one: three lines, each with the
    concatenation header; joined, the WSP push PDU decodes."""
    line = (GOLDEN / "fake_smsc" / "kannel_si_push.line").read_bytes()
    sms, _ = fake_smsc.decode_line(line)
    pdu = sms.data
    cuts = [pdu[:40], pdu[40:80], pdu[80:]]
    lines = [
        fake_smsc.encode_line(
            fake_smsc.FakeSms(
                sms.sender, sms.receiver, fake_smsc.Kind.UDH, c, concat_udh(0x17, 3, n)
            )
        )
        for n, c in enumerate(cuts, 1)
    ]
    assert lines[0].startswith(
        b"8888 +8613800000001 udh %0B%05%04%0B%84%23%F0%00%03%17%03%01 data "
    )
    r = Reassembly()
    whole = None
    for raw in (lines[1], lines[2], lines[0]):
        part, _ = fake_smsc.decode_line(raw)
        whole = r.add((part.sender, part.receiver), sms_udh.decode(part.udh), part.data)
    assert whole == pdu
    assert wsp_push.decode(whole).content_type == "application/vnd.wap.sic"
