"""MM7 codec properties beyond the generic ones (test_codec_properties.py).

* round trip per operation and per namespace (8 x 11 cases), strict and
  lenient, plus: another configured namespace is refused (4002) in strict
  mode and recorded as namespace-mismatch only in lenient mode;
* REL-5 namespaces never carry the REL-6-only elements;
* any str in any free-text field: encode refuses it (MM7Error) exactly when
  XML 1.0 cannot carry it, and otherwise strict decode gives it back unchanged
  - leading/trailing white space included (TransactionID and blank addresses
  are the documented exceptions);
* typed values (MM7Version, StatusCode, Date, MMStatus, booleans, enums) may be
  padded with XML white space, not with other Unicode spaces;
* dates with non-ASCII digits and over-long status codes are refused;
* damaged encodings: strict acceptance implies lenient acceptance of the same
  message, deviations come from DEVIATION_CODES, errors are well formed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields, replace
from html import escape
from types import ModuleType
from typing import Any

import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

from mmsconf.emulators.codecs.mm7 import (
    DEVIATION_CODES,
    MM7_NAMESPACES,
    Address,
    CodecConfig,
    ContentPart,
    Decoded,
    DeliverReq,
    DeliveryReportReq,
    MM7Error,
    Mode,
    RSErrorRsp,
    SoapFault,
    Status,
    VASPErrorRsp,
    decode,
    encode,
    is_rel6,
)

XML_SPACE = " \t\r\n"
STRICT, LENIENT = Mode.STRICT, Mode.LENIENT
OPERATIONS = (
    "SubmitReq",
    "SubmitReq+parts",
    "SubmitRsp",
    "DeliveryReportReq",
    "DeliveryReportRsp",
    "RSErrorRsp",
    "VASPErrorRsp",
    "SoapFault",
)

# The 8 x 11 round-trip cases share the profile's budget per operation.
PER_NAMESPACE = settings(max_examples=max(20, settings.default.max_examples // len(MM7_NAMESPACES)))


def _decode(
    body: bytes, content_type: str, ns: str, mode: Mode, soap_action: str | None = '""'
) -> Decoded:
    return decode(
        body, content_type, soap_action=soap_action, config=CodecConfig(namespace=ns, mode=mode)
    )


def _outcome(
    body: bytes, content_type: str, ns: str, mode: Mode, check: Callable[[Exception], None]
) -> Decoded | MM7Error:
    """The Decoded, or the (checked) MM7Error."""
    try:
        return _decode(body, content_type, ns, mode)
    except MM7Error as err:
        check(err)
        return err


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("ns", MM7_NAMESPACES, ids=[n.rsplit("/", 1)[1] for n in MM7_NAMESPACES])
@pytest.mark.parametrize("op", OPERATIONS)
@PER_NAMESPACE
@given(data=st.data())
def test_round_trip(mm7s: ModuleType, op: str, ns: str, data: st.DataObject) -> None:
    message = data.draw(mm7s.message(op, ns), label="message")
    encoded = encode(message)
    want = mm7s.expected(message)
    assert encode(message) == encoded
    assert (encoded.content_type.startswith("multipart/related;")) == (op == "SubmitReq+parts")
    for mode in Mode:
        assert _decode(encoded.body, encoded.content_type, ns, mode) == Decoded(want, ())
    if not is_rel6(ns):
        assert all(getattr(message, f, None) is None for f in mm7s.REL6_FIELDS)
        assert not re.search(rb"<mm7:(ApplicID|ReplyApplicID|AuxApplicInfo)\b", encoded.body)
    # A peer configured for another namespace: strict refuses with 4002, lenient records it.
    other = MM7_NAMESPACES[(MM7_NAMESPACES.index(ns) + 5) % len(MM7_NAMESPACES)]
    with pytest.raises(MM7Error) as err:
        _decode(encoded.body, encoded.content_type, other, STRICT)
    assert err.value.status == 4002
    lenient = _decode(encoded.body, encoded.content_type, other, LENIENT)
    assert lenient.message == want
    assert {d.code for d in lenient.deviations} == {"namespace-mismatch"}


def _more_cases() -> list[tuple[str, str]]:
    from tests.support.strategies import mm7 as strategies

    return [(op, ns) for op in strategies.MORE_OPERATIONS for ns in strategies.namespaces_of(op)]


@pytest.mark.parametrize(
    ("op", "ns"), _more_cases(), ids=[f"{o}-{n.rsplit('/', 1)[1]}" for o, n in _more_cases()]
)
@PER_NAMESPACE
@given(data=st.data())
def test_round_trip_more_operations(
    mm7s: ModuleType, op: str, ns: str, data: st.DataObject
) -> None:
    """Issue 16's operations, each in every namespace that defines it: exact in
    both modes; another configured namespace is one deviation (namespace-mismatch)."""
    message = data.draw(mm7s.message(op, ns), label="message")
    encoded = encode(message)
    want = mm7s.expected(message)
    assert encode(message) == encoded
    assert encoded.content_type.startswith("multipart/related;") == op.endswith("+parts")
    for mode in Mode:
        assert _decode(encoded.body, encoded.content_type, ns, mode) == Decoded(want, ())
    if not is_rel6(ns):
        assert not re.search(rb"<mm7:(ApplicID|ReplyApplicID|AuxApplicInfo)\b", encoded.body)
    other = MM7_NAMESPACES[(MM7_NAMESPACES.index(ns) + 5) % len(MM7_NAMESPACES)]
    with pytest.raises(MM7Error) as err:
        _decode(encoded.body, encoded.content_type, other, STRICT)
    assert err.value.status == 4002
    lenient = _decode(encoded.body, encoded.content_type, other, LENIENT)
    assert lenient.message == want
    assert {d.code for d in lenient.deviations} == {"namespace-mismatch"}


@given(data=st.data())
def test_rel6_fields_refused_in_rel5(mm7s: ModuleType, data: st.DataObject) -> None:
    ns = data.draw(st.sampled_from([n for n in MM7_NAMESPACES if not is_rel6(n)]))
    op = data.draw(
        st.sampled_from(
            (
                "SubmitReq",
                "SubmitReq+parts",
                "DeliveryReportReq",
                "DeliverReq",
                "DeliverReq+parts",
                "CancelReq",
                "ReplaceReq",
                "ReplaceReq+parts",
                "ReadReplyReq",
            )
        )
    )
    message = data.draw(mm7s.message(op, ns))
    name = data.draw(st.sampled_from(mm7s.REL6_FIELDS))
    element = {
        "applic_id": "ApplicID",
        "reply_applic_id": "ReplyApplicID",
        "aux_applic_info": "AuxApplicInfo",
    }[name]
    with pytest.raises(MM7Error) as err:
        encode(replace(message, **{name: data.draw(mm7s.xml_text())}))
    assert (err.value.element, err.value.status) == (element, 4004)


# --------------------------------------------------------------------------- free text

#: Free-text fields and the element an encode error names.
_ELEMENTS = {
    "transaction_id": "TransactionID",
    "vasp_id": "VASPID",
    "vas_id": "VASID",
    "service_code": "ServiceCode",
    "linked_id": "LinkedID",
    "subject": "Subject",
    "applic_id": "ApplicID",
    "reply_applic_id": "ReplyApplicID",
    "aux_applic_info": "AuxApplicInfo",
    "message_id": "MessageID",
    "relay_server_id": "MMSRelayServerID",
    "status_text": "StatusText",
    "text": "StatusText",
    "details": "Details",
    "faultstring": "faultstring",
    "cancel_id": "CancelID",
    "replace_id": "ReplaceID",
    "reply_charging_id": "ReplyChargingID",
}


def _text_paths(m: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every free-text slot of a message (tuple items by index)."""
    paths: list[str] = []
    for f in fields(m):
        value = getattr(m, f.name)
        path = f"{prefix}{f.name}"
        if f.name in _ELEMENTS:
            if f.name in ("applic_id", "reply_applic_id", "aux_applic_info") and not is_rel6(
                m.namespace
            ):
                continue
            if (
                f.name in ("vasp_id", "vas_id")
                and isinstance(m, DeliverReq)
                and not is_rel6(m.namespace)
            ):
                continue  # Rel-6 elements of DeliverReq
            if prefix.startswith("detail.") and f.name == "transaction_id":
                continue  # the Fault's TransactionID is the detail's
            paths.append(path)
        elif isinstance(value, Address):
            paths.append(f"{path}.value")
        elif isinstance(value, tuple) and value and isinstance(value[0], Address):
            paths += [f"{path}.{i}.value" for i in range(len(value))]
        elif isinstance(value, Status | RSErrorRsp | VASPErrorRsp):
            paths += _text_paths(value, f"{path}.")
    return paths


def _set(obj: Any, path: str, value: str) -> Any:
    head, _, rest = path.partition(".")
    if isinstance(obj, tuple):
        i = int(head)
        return (*obj[:i], _set(obj[i], rest, value) if rest else value, *obj[i + 1 :])
    new = _set(getattr(obj, head), rest, value) if rest else value
    changed = replace(obj, **{head: new})
    if head == "transaction_id" and isinstance(obj, SoapFault) and obj.detail is not None:
        changed = replace(changed, detail=replace(obj.detail, transaction_id=value))
    return changed


@given(data=st.data())
def test_any_text_encodes_or_is_refused(
    mm7s: ModuleType, mm7_error_check: Any, data: st.DataObject
) -> None:
    """Encode refuses exactly what XML 1.0 cannot carry; the rest comes back unchanged."""
    op = data.draw(st.sampled_from(OPERATIONS + mm7s.MORE_OPERATIONS), label="op")
    ns = data.draw(st.sampled_from(mm7s.namespaces_of(op)), label="ns")
    message = data.draw(mm7s.message(op, ns), label="m")
    path = data.draw(st.sampled_from(_text_paths(message)), label="path")
    text = data.draw(mm7s.any_text(), label="text")
    changed = _set(message, path, text)
    leaf = path.rsplit(".", 1)[-1]
    if not mm7s.xml_ok(text):
        with pytest.raises(MM7Error) as err:
            encode(changed)
        mm7_error_check(err.value)
        if leaf == "value":
            assert err.value.element in ("Number", "RFC2822Address", "ShortCode")
        elif isinstance(message, RSErrorRsp | VASPErrorRsp) and leaf == "text":
            assert err.value.element in ("faultstring", "StatusText")  # also the faultstring
        else:
            assert err.value.element == _ELEMENTS[leaf]
        return
    encoded = encode(changed)
    want = mm7s.expected(changed)
    bare = text.strip(XML_SPACE)
    if path == "transaction_id" and (bare != text or not bare):
        # TransactionID is echoed for correlation: padding is a deviation, not data.
        with pytest.raises(MM7Error) as err:
            _decode(encoded.body, encoded.content_type, ns, STRICT)
        assert (err.value.element, err.value.status) == ("TransactionID", 4004)
        lenient = _decode(encoded.body, encoded.content_type, ns, LENIENT)
        assert lenient.message == _set(want, "transaction_id", bare)
        code = "transaction-id-whitespace" if bare else "transaction-id-empty"
        assert [d.code for d in lenient.deviations] == [code]
        return
    if leaf == "value" and not bare:
        for mode in Mode:  # a blank address is no address, in both modes
            with pytest.raises(MM7Error) as err:
                _decode(encoded.body, encoded.content_type, ns, mode)
            assert err.value.status == 4004
        return
    for mode in Mode:
        assert _decode(encoded.body, encoded.content_type, ns, mode) == Decoded(want, ())


@given(data=st.data())
def test_content_ids_and_types_encode_or_are_refused(
    mm7s: ModuleType, mm7_error_check: Any, data: st.DataObject
) -> None:
    """MIME header values of the parts: refused by encode, or back exactly."""
    ns = data.draw(mm7s.NAMESPACES)
    message = data.draw(mm7s.message("SubmitReq+parts", ns))
    i = data.draw(st.integers(0, len(message.parts) - 1))
    value = data.draw(st.one_of(mm7s.any_text(max_size=8), mm7s.xml_text(max_size=3)))
    part = message.parts[i]
    if data.draw(st.booleans(), label="change Content-ID"):
        assume(all(p.content_id != value for p in message.parts))
        part = ContentPart(value, part.content_type, part.data)
        href = f"cid:{value}"
    else:
        part = ContentPart(part.content_id, value, part.data)
        href = f"cid:{part.content_id}"
    changed = replace(
        message, parts=(*message.parts[:i], part, *message.parts[i + 1 :]), content_href=href
    )
    try:
        encoded = encode(changed)
    except MM7Error as err:
        mm7_error_check(err)
        return
    note(f"content type: {encoded.content_type!r}")
    for mode in Mode:
        assert _decode(encoded.body, encoded.content_type, ns, mode) == Decoded(changed, ())


@given(data=st.data())
def test_faultcode_encodes_or_is_refused(
    mm7s: ModuleType, mm7_error_check: Any, data: st.DataObject
) -> None:
    """faultcode is a QName: written with the env prefix, read back white-space collapsed."""
    fault = data.draw(mm7s.message("SoapFault", data.draw(mm7s.NAMESPACES)))
    local = data.draw(mm7s.any_text(max_size=6), label="local part")
    prefix = data.draw(st.sampled_from(("env:", "")), label="prefix")
    changed = replace(fault, faultcode=prefix + local)
    if not mm7s.xml_ok(local) or ":" in local:
        with pytest.raises(MM7Error) as err:
            encode(changed)
        mm7_error_check(err.value)
        assert err.value.element == "faultcode"
        return
    encoded = encode(changed)
    want = replace(changed, faultcode=f"env:{local}".strip(XML_SPACE))
    assert _decode(encoded.body, encoded.content_type, fault.namespace, STRICT) == Decoded(want, ())


# --------------------------------------------------------------------------- typed values

_TYPED = re.compile(
    rb"(<mm7:(MM7Version|StatusCode|Date|MMStatus|DeliveryReport|ReadReply|"
    rb"Priority|MessageClass)>)([^<]*)(</mm7:\2>)"
)


def _has_typed(body: bytes) -> bool:
    return _TYPED.search(body) is not None


@given(data=st.data())
def test_typed_values_take_xml_space_only(mm7s: ModuleType, data: st.DataObject) -> None:
    message = data.draw(mm7s.messages().filter(lambda m: _has_typed(encode(m).body)))
    encoded = encode(message)
    spots = list(_TYPED.finditer(encoded.body))
    spot = spots[data.draw(st.integers(0, len(spots) - 1), label="element")]
    note(f"element: {spot.group(2).decode()}")

    def padded(pad: str) -> bytes:
        left = pad.encode() if data.draw(st.booleans()) else b""
        right = b"" if left and data.draw(st.booleans()) else pad.encode()
        value = left + spot.group(3) + right
        return encoded.body[: spot.start(3)] + value + encoded.body[spot.end(3) :]

    ns = message.namespace
    xml_pad = data.draw(st.text(st.sampled_from(XML_SPACE), min_size=1, max_size=4))
    assert _decode(padded(xml_pad), encoded.content_type, ns, STRICT) == Decoded(
        mm7s.expected(message), ()
    )
    other = data.draw(st.sampled_from(("\u00a0", "\u2028", "\u3000", "\u0085", "\u200b", "\ufeff")))
    with pytest.raises(MM7Error) as err:
        _decode(padded(other), encoded.content_type, ns, STRICT)
    assert err.value.element == spot.group(2).decode()
    assert err.value.status in (4002, 4004)


@given(data=st.data())
def test_typed_leaves_any_value(
    mm7s: ModuleType, mm7_error_check: Any, data: st.DataObject
) -> None:
    """Any text in a typed leaf: Decoded or MM7Error, and strict never wider than lenient."""
    message = data.draw(mm7s.messages().filter(lambda m: _has_typed(encode(m).body)))
    encoded = encode(message)
    spots = list(_TYPED.finditer(encoded.body))
    spot = spots[data.draw(st.integers(0, len(spots) - 1), label="element")]
    value = data.draw(
        st.one_of(
            st.sampled_from(mm7s.NEAR_MISSES),
            mm7s.any_text(),
            st.from_regex(r"[+-]?[0-9]{0,60}", fullmatch=True),
        ),
        label="value",
    )
    raw = escape(value).encode("utf-8", "surrogatepass")
    body = encoded.body[: spot.start(3)] + raw + encoded.body[spot.end(3) :]
    ns = message.namespace
    strict = _outcome(body, encoded.content_type, ns, STRICT, mm7_error_check)
    lenient = _outcome(body, encoded.content_type, ns, LENIENT, mm7_error_check)
    if isinstance(strict, Decoded):
        assert lenient == strict


_DIGIT_ZEROS = (0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0xFF10, 0x1D7CE)  # other scripts' "0"


@given(data=st.data())
def test_dates_need_ascii_digits(mm7s: ModuleType, data: st.DataObject) -> None:
    message = data.draw(mm7s.message("DeliveryReportReq", data.draw(mm7s.NAMESPACES)))
    assert isinstance(message, DeliveryReportReq)
    spots = [i for i, c in enumerate(message.date) if c.isascii() and c.isdigit()]
    chosen = data.draw(st.lists(st.sampled_from(spots), min_size=1, unique=True))
    zero = data.draw(st.sampled_from(_DIGIT_ZEROS))
    date = "".join(chr(zero + int(c)) if i in chosen else c for i, c in enumerate(message.date))
    encoded = encode(replace(message, date=date))
    for mode in Mode:
        with pytest.raises(MM7Error) as err:
            _decode(encoded.body, encoded.content_type, message.namespace, mode)
        assert (err.value.element, err.value.status) == ("Date", 4004)


@given(data=st.data())
def test_status_code_digits(mm7s: ModuleType, data: st.DataObject) -> None:
    """xs:positiveInteger, bounded: at most 40 significant digits (no 4300-digit int())."""
    message = data.draw(mm7s.message("DeliveryReportRsp", data.draw(mm7s.NAMESPACES)))
    text = data.draw(
        st.one_of(
            st.from_regex(r"\+?0{0,60}[0-9]{0,60}", fullmatch=True),
            st.integers(1, 6000).map(lambda n: "9" * n),
            st.integers(1, 6000).map(lambda n: "0" * n + "7"),
        ),
        label="StatusCode",
    )
    body = re.sub(
        rb"(<mm7:StatusCode>)[^<]*", lambda mt: mt.group(1) + text.encode(), encode(message).body
    )
    significant = text.removeprefix("+").lstrip("0")
    for mode in Mode:
        result = _outcome(body, "text/xml", message.namespace, mode, lambda e: None)
        if significant and len(significant) <= 40:
            assert isinstance(result, Decoded), result
            assert result.message.status.code == int(significant)
        else:
            assert isinstance(result, MM7Error)
            assert (result.element, result.status) == ("StatusCode", 4004)


# --------------------------------------------------------------------------- damage


@given(data=st.data())
def test_damage_strict_implies_lenient(
    mm7s: ModuleType, mm7_target: Any, mm7_error_check: Any, data: st.DataObject
) -> None:
    """What strict accepts, lenient accepts identically; what lenient refuses, strict does."""
    message = data.draw(mm7s.messages(), label="message")
    encoded = encode(message)
    rnd = data.draw(st.randoms(use_true_random=False))
    body = encoded.body
    for _ in range(data.draw(st.integers(1, 3))):
        mutator = data.draw(st.sampled_from(mm7_target.all_mutators))
        note(f"mutator: {mutator.__name__}")
        body = mutator(rnd, body)
    ns = message.namespace
    strict = _outcome(body, encoded.content_type, ns, STRICT, mm7_error_check)
    lenient = _outcome(body, encoded.content_type, ns, LENIENT, mm7_error_check)
    if isinstance(strict, Decoded):
        assert strict.deviations == ()
        assert lenient == strict
    if isinstance(lenient, MM7Error):
        assert isinstance(strict, MM7Error)
    else:
        assert {d.code for d in lenient.deviations} <= set(DEVIATION_CODES)
        assert _decode(body, encoded.content_type, ns, LENIENT) == lenient  # deterministic


@given(data=st.data())
def test_valid_body_any_content_type_and_soapaction(
    mm7s: ModuleType, mm7_error_check: Any, data: st.DataObject
) -> None:
    message = data.draw(mm7s.messages())
    encoded = encode(message)
    content_type = data.draw(st.one_of(mm7s.content_types(), st.just(encoded.content_type)))
    soap_action = data.draw(mm7s.soap_actions())
    for mode in Mode:
        try:
            _decode(encoded.body, content_type, message.namespace, mode, soap_action)
        except MM7Error as err:
            mm7_error_check(err)


@given(data=st.data())
def test_fast_writer_bytes_are_lxmls(mm7s: ModuleType, data: st.DataObject) -> None:
    """The encoder writes plain envelopes without lxml (encoder._fast_envelope): for any
    message of any operation in any namespace, any text in any field, the bytes (or the
    refusal) are those of the lxml writer it stands in for."""
    from mmsconf.emulators.codecs.mm7 import encoder

    op = data.draw(st.sampled_from(OPERATIONS + mm7s.MORE_OPERATIONS), label="op")
    ns = data.draw(st.sampled_from(mm7s.namespaces_of(op)), label="ns")
    message = data.draw(mm7s.message(op, ns), label="m")
    if data.draw(st.booleans(), label="change a text"):
        path = data.draw(st.sampled_from(_text_paths(message)), label="path")
        plain = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)
        text = data.draw(st.one_of(plain, mm7s.any_text()), label="text")
        message = _set(message, path, text)

    def outcome() -> Any:
        try:
            return encode(message)
        except MM7Error as err:
            return ("refused", err.element, err.reason, err.status)

    fast = outcome()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(encoder, "_fast_envelope", lambda *args: None)
        slow = outcome()
    assert fast == slow
