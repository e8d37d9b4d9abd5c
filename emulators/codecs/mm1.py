"""MM1 codec: the OMA MMS binary encapsulation (WAP-209 / OMA-MMS-ENC) <-> typed PDUs.

Sans-IO, on the primitives of ``wsp_encoding``. It reads and writes
``m-send-req`` (handset -> MMSC submission), ``m-send-conf`` (the MMSC's
answer) and ``m-notification-ind`` (the MMSC's notification, pushed over
WAP push). Facts are WIRE-FACTS.md §4: header fields are short-integers
(code | 0x80); X-Mms-Message-Type, X-Mms-Transaction-Id and X-Mms-MMS-Version
come first, in that order; Content-Type comes last, directly before the body.

Strict by default: whatever the encapsulation forbids raises
``MM1Error(field, reason, status)`` naming the header field, with the
Response-Status an MMSC answers it with. ``lenient=True`` accepts the named
deviations of ``DEVIATION_CODES`` and records them on the result instead.
Header fields the codec knows but does not interpret (e.g. X-Mms-Content-Class)
are kept in ``extra`` as their raw value bytes and written back unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .mm1_registry import (
    ABSOLUTE,
    ADDRESS_PRESENT,
    ALLOWED,
    CODES,
    DEVIATION_CODES,
    FIELDS,
    INSERT_ADDRESS,
    MESSAGE_CLASSES,
    NO,
    PRIORITIES,
    RELATIVE,
    REPEATABLE,
    YES,
    MessageType,
    Status,
    status_name,
)
from .wsp_encoding import (
    MMS_MESSAGE,
    MULTIPART_RELATED,
    ContentType,
    Part,
    Reader,
    WspError,
    encode_content_type,
    encode_encoded_string,
    encode_long_integer,
    encode_multipart,
    encode_short_integer,
    encode_text_string,
    encode_token_text,
    with_length,
)

__all__ = [
    "CONTENT_TYPE",
    "DEVIATION_CODES",
    "FIELDS",
    "Decoded",
    "Deviation",
    "MM1Error",
    "MessageType",
    "Mm1Message",
    "NotificationInd",
    "SendConf",
    "SendReq",
    "Status",
    "TimeValue",
    "decode",
    "encode",
    "status_name",
    "summary",
]

#: The HTTP Content-Type of an MM1 PDU.
CONTENT_TYPE = MMS_MESSAGE
#: Bodies larger than this are refused before decoding.
MAX_PDU = 2_000_000


class MM1Error(ValueError):
    """A PDU the codec will not accept: the header field, why, and the Response-Status
    an MMSC answers it with (message-format-corrupt unless the type is unsupported)."""

    def __init__(
        self, field: str, reason: str, status: int = Status.PERMANENT_MESSAGE_FORMAT_CORRUPT
    ) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.status = int(status)


@dataclass(frozen=True)
class Deviation:
    code: str  # a key of DEVIATION_CODES
    field: str
    detail: str


@dataclass(frozen=True)
class TimeValue:
    """X-Mms-Expiry / X-Mms-Delivery-Time: an absolute date or a delay, in seconds."""

    seconds: int
    absolute: bool = False


#: Header fields the codec keeps as raw value bytes: (field name, value bytes).
Extra = tuple[str, bytes]

_DEFAULT_CT = ContentType(MULTIPART_RELATED)


@dataclass(frozen=True)
class SendReq:
    transaction_id: str
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    #: None: the insert-address token (the MMSC puts in the sender it knows).
    sender: str | None = None
    subject: str | None = None
    date: int | None = None
    message_class: str | None = None
    expiry: TimeValue | None = None
    delivery_time: TimeValue | None = None
    priority: str | None = None
    delivery_report: bool | None = None
    read_report: bool | None = None
    content_type: ContentType = _DEFAULT_CT
    #: The parts of a multipart body (empty otherwise).
    parts: tuple[Part, ...] = ()
    #: The body when the content type is not multipart.
    body: bytes = b""
    version: str = "1.2"
    extra: tuple[Extra, ...] = ()
    type = MessageType.SEND_REQ


@dataclass(frozen=True)
class SendConf:
    transaction_id: str
    response_status: int = Status.OK
    response_text: str | None = None
    message_id: str | None = None
    version: str = "1.2"
    extra: tuple[Extra, ...] = ()
    type = MessageType.SEND_CONF

    @property
    def ok(self) -> bool:
        return self.response_status == Status.OK


@dataclass(frozen=True)
class NotificationInd:
    transaction_id: str
    content_location: str
    message_size: int
    expiry: TimeValue
    message_class: str = "personal"
    sender: str | None = None
    subject: str | None = None
    priority: str | None = None
    delivery_report: bool | None = None
    version: str = "1.2"
    extra: tuple[Extra, ...] = ()
    type = MessageType.NOTIFICATION_IND


Mm1Message = SendReq | SendConf | NotificationInd


@dataclass(frozen=True)
class Decoded:
    message: Mm1Message
    deviations: tuple[Deviation, ...] = ()


# --- encoding --------------------------------------------------------------------------


def _version(version: str) -> bytes:
    major, _, minor = version.partition(".")
    if major.isdigit() and 1 <= int(major) <= 7 and (minor == "" or minor.isdigit()):
        low = 0x0F if minor == "" else int(minor)
        if low <= 0x0F:
            return encode_short_integer(int(major) << 4 | low)
    return encode_text_string(version)


def _field(name: str, value: bytes) -> bytes:
    return bytes([0x80 | CODES[name]]) + value


def _time(value: TimeValue) -> bytes:
    token = ABSOLUTE if value.absolute else RELATIVE
    return with_length(bytes([token]) + encode_long_integer(value.seconds))


def _from(sender: str | None) -> bytes:
    if sender is None:
        return with_length(bytes([INSERT_ADDRESS]))
    return with_length(bytes([ADDRESS_PRESENT]) + encode_encoded_string(sender))


def _coded(table: dict[int, str], value: str, field: str) -> bytes:
    for code, name in table.items():
        if name == value.lower():
            return bytes([code])
    if field == "X-Mms-Message-Class":
        return encode_token_text(value)
    raise MM1Error(field, f"{value!r} is not one of {', '.join(table.values())}")


def _yes_no(value: bool) -> bytes:
    return bytes([YES if value else NO])


def _top(msg: Mm1Message) -> list[bytes]:
    return [
        _field("X-Mms-Message-Type", bytes([msg.type])),
        _field("X-Mms-Transaction-Id", encode_text_string(msg.transaction_id)),
        _field("X-Mms-MMS-Version", _version(msg.version)),
    ]


def _extras(extra: tuple[Extra, ...]) -> list[bytes]:
    out = []
    for name, value in extra:
        if name in CODES:
            out.append(_field(name, value))
        elif name.startswith("x-mms-field-0x"):  # an unassigned code, kept as read
            out.append(bytes([0x80 | int(name[-2:], 16)]) + value)
        else:  # an application header: token-text name, text value bytes
            out.append(encode_token_text(name) + value)
    return out


def encode(msg: Mm1Message) -> bytes:
    """The PDU's bytes: the first three fields, the others in a fixed order, the extras,
    and for m-send-req the Content-Type and body last."""
    out = _top(msg)
    if isinstance(msg, SendReq):
        if not (msg.to or msg.cc or msg.bcc):
            raise MM1Error("To", "an m-send-req needs at least one of To, Cc, Bcc")
        if msg.date is not None:
            out.append(_field("Date", encode_long_integer(msg.date)))
        out.append(_field("From", _from(msg.sender)))
        for name, addresses in (("To", msg.to), ("Cc", msg.cc), ("Bcc", msg.bcc)):
            out += [_field(name, encode_encoded_string(a)) for a in addresses]
        if msg.subject is not None:
            out.append(_field("Subject", encode_encoded_string(msg.subject)))
        if msg.message_class is not None:
            cls = _coded(MESSAGE_CLASSES, msg.message_class, "X-Mms-Message-Class")
            out.append(_field("X-Mms-Message-Class", cls))
        if msg.expiry is not None:
            out.append(_field("X-Mms-Expiry", _time(msg.expiry)))
        if msg.delivery_time is not None:
            out.append(_field("X-Mms-Delivery-Time", _time(msg.delivery_time)))
        if msg.priority is not None:
            prio = _coded(PRIORITIES, msg.priority, "X-Mms-Priority")
            out.append(_field("X-Mms-Priority", prio))
        if msg.delivery_report is not None:
            out.append(_field("X-Mms-Delivery-Report", _yes_no(msg.delivery_report)))
        if msg.read_report is not None:
            out.append(_field("X-Mms-Read-Report", _yes_no(msg.read_report)))
        out += _extras(msg.extra)
        out.append(_field("Content-Type", encode_content_type(msg.content_type)))
        body = encode_multipart(msg.parts) if msg.content_type.is_multipart else msg.body
        return b"".join(out) + body
    if isinstance(msg, SendConf):
        out.append(_field("X-Mms-Response-Status", bytes([msg.response_status])))
        if msg.response_text is not None:
            out.append(_field("X-Mms-Response-Text", encode_encoded_string(msg.response_text)))
        if msg.message_id is not None:
            out.append(_field("Message-ID", encode_text_string(msg.message_id)))
    else:
        if msg.sender is not None:
            out.append(_field("From", _from(msg.sender)))
        if msg.subject is not None:
            out.append(_field("Subject", encode_encoded_string(msg.subject)))
        if msg.delivery_report is not None:
            out.append(_field("X-Mms-Delivery-Report", _yes_no(msg.delivery_report)))
        cls = _coded(MESSAGE_CLASSES, msg.message_class, "X-Mms-Message-Class")
        out.append(_field("X-Mms-Message-Class", cls))
        if msg.priority is not None:
            out.append(_field("X-Mms-Priority", _coded(PRIORITIES, msg.priority, "X-Mms-Priority")))
        out.append(_field("X-Mms-Message-Size", encode_long_integer(msg.message_size)))
        out.append(_field("X-Mms-Expiry", _time(msg.expiry)))
        out.append(_field("X-Mms-Content-Location", encode_text_string(msg.content_location)))
    return b"".join(out + _extras(msg.extra))


# --- decoding --------------------------------------------------------------------------


@dataclass
class _State:
    """What the decoder has read so far, and the deviations it accepted."""

    lenient: bool
    deviations: list[Deviation] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def deviate(self, code: str, field: str, detail: str) -> None:
        if not self.lenient:
            raise MM1Error(field, detail)
        self.deviations.append(Deviation(code, field, detail))


def decode(data: bytes, *, lenient: bool = False, max_size: int = MAX_PDU) -> Decoded:
    """One PDU from its bytes, or MM1Error naming the header field at fault."""
    if len(data) > max_size:
        raise MM1Error("PDU", f"{len(data)} octets, more than {max_size}")
    if not data:
        raise MM1Error("X-Mms-Message-Type", "the PDU is empty")
    state = _State(lenient)
    reader = Reader(data, strict=not lenient)
    try:
        msg = _decode(reader, state)
    except WspError as err:
        raise MM1Error(err.field.strip() or "header", err.reason) from None
    for where, detail in reader.lapses:
        state.deviations.append(Deviation("encoding", where, detail))
    return Decoded(msg, tuple(state.deviations))


_TOP = ("X-Mms-Message-Type", "X-Mms-Transaction-Id", "X-Mms-MMS-Version")


@dataclass(frozen=True)
class _Name:
    """A header field's name as read, where it started, and whether it is an application
    header (a token-text name with a text value) rather than a coded MMS field."""

    name: str
    start: int
    application: bool = False
    known: bool = True


def _field_name(reader: Reader, state: _State) -> _Name:
    start = reader.pos
    first = reader.peek("header")
    if first & 0x80:
        code = reader.byte("header") & 0x7F
        if code not in FIELDS:
            state.deviate("unknown-field", f"header 0x{first:02X}", "an unassigned field code")
            return _Name(f"x-mms-field-0x{code:02x}", start, known=False)
        return _Name(FIELDS[code], start)
    if first < 0x20:
        raise MM1Error("header", f"expected a header field, got 0x{first:02X}")
    name = reader.token_text("application header")
    if not name.strip():
        # A blank name could not be told from its neighbours in an answer naming it.
        raise MM1Error("application header", "a name that is blank")
    return _Name(name, start, application=True)


def _read_top(reader: Reader, state: _State) -> tuple[MessageType, str, str, list[_Name]]:
    """The first three fields, and the fields that came before them (to be read later)."""
    early: list[_Name] = []
    values: dict[str, object] = {}
    order: list[str] = []
    while len(values) < 3:
        if reader.at_end:
            missing = next(n for n in _TOP if n not in values)
            raise MM1Error(missing, "absent (the PDU ends first)")
        got = _field_name(reader, state)
        if got.name in _TOP and not got.application:
            if got.name in values:
                raise MM1Error(got.name, "given twice")
            values[got.name] = _TOP_READERS[got.name](reader, got.name)
            order.append(got.name)
        else:
            early.append(got)
            if got.application:
                reader.text_bytes(got.name)
            else:
                reader.raw_value(got.name)
    if order != list(_TOP) or early:
        first = [n.name for n in early] + order
        state.deviate("header-order", "X-Mms-Message-Type", f"the PDU starts with {first[:4]}")
    code = values["X-Mms-Message-Type"]
    try:
        kind = MessageType(code)
    except ValueError:
        raise MM1Error("X-Mms-Message-Type", f"0x{code:02X} is no message type") from None
    if kind not in ALLOWED:
        raise MM1Error(
            "X-Mms-Message-Type",
            f"{kind.label} is not a PDU this codec reads",
            Status.PERMANENT_FAILURE,
        )
    return kind, str(values["X-Mms-Transaction-Id"]), str(values["X-Mms-MMS-Version"]), early


def _read_version(reader: Reader, name: str) -> str:
    if reader.peek(name) & 0x80:
        value = reader.short_integer(name)
        major, minor = value >> 4, value & 0x0F
        if major == 0:
            raise MM1Error(name, f"major version 0 (0x{value | 0x80:02X})")
        return str(major) if minor == 0x0F else f"{major}.{minor}"
    return reader.text_string(name)


def _read_type(reader: Reader, name: str) -> int:
    code = reader.byte(name)
    if not code & 0x80:
        raise MM1Error(name, f"0x{code:02X} is no message type")
    return code


_TOP_READERS = {
    "X-Mms-Message-Type": _read_type,
    "X-Mms-Transaction-Id": lambda r, n: r.text_string(n),
    "X-Mms-MMS-Version": _read_version,
}


@dataclass
class _Fields:
    """The fields of one PDU as read: interpreted values, and the rest as raw bytes."""

    values: dict[str, object] = field(default_factory=dict)
    extra: list[Extra] = field(default_factory=list)


def _decode(reader: Reader, state: _State) -> Mm1Message:
    kind, tid, version, early = _read_top(reader, state)
    read = _Fields()
    # Fields that came before the first three (lenient only): read them now, in place.
    for got in early:
        resume, reader.pos = reader.pos, got.start
        _field_name(reader, state)
        _one_field(reader, state, kind, got, read)
        reader.pos = resume
    content_type: ContentType | None = None
    while not reader.at_end:
        got = _field_name(reader, state)
        if got.name == "Content-Type" and kind is MessageType.SEND_REQ:
            content_type = reader.content_type("Content-Type")
            break
        _one_field(reader, state, kind, got, read)
    return _build(reader, state, kind, tid, version, read, content_type)


def _one_field(reader: Reader, state: _State, kind: MessageType, got: _Name, read: _Fields) -> None:
    name = got.name
    value_start = reader.pos
    if got.application:
        reader.text_bytes(name)
        read.extra.append((name, reader.data[value_start : reader.pos]))
        return
    if name in _TOP:
        raise MM1Error(name, "given twice")
    allowed = got.known and name in ALLOWED[kind]
    if got.known and not allowed:
        state.deviate("field-not-allowed", name, f"not a field of {kind.label}")
    value_reader = _VALUE_READERS.get(name) if allowed else None
    if value_reader is None:
        reader.raw_value(name)
        read.extra.append((name, reader.data[value_start : reader.pos]))
        return
    value = value_reader(reader, name, state)
    if name in REPEATABLE:
        read.values.setdefault(name, [])
        read.values[name].append(value)  # type: ignore[union-attr]
    elif name in read.values:
        state.deviate("repeated-field", name, "given twice")
    else:
        read.values[name] = value


def _read_from(reader: Reader, name: str, state: _State) -> str | None:
    inner = reader.length_value(name)
    token = inner.byte(name)
    if token == INSERT_ADDRESS:
        inner.done(name)
        return None
    if token != ADDRESS_PRESENT:
        raise MM1Error(name, f"0x{token:02X} is neither address-present nor insert-address")
    address = inner.encoded_string(name).text
    inner.done(name)
    return address


def _read_time(reader: Reader, name: str, state: _State) -> TimeValue:
    inner = reader.length_value(name)
    token = inner.byte(name)
    if token not in (ABSOLUTE, RELATIVE):
        raise MM1Error(name, f"0x{token:02X} is neither absolute nor relative")
    seconds = inner.long_integer(name)
    inner.done(name)
    return TimeValue(seconds, absolute=token == ABSOLUTE)


def _read_coded(table: dict[int, str]):
    def read(reader: Reader, name: str, state: _State) -> str:
        if not reader.peek(name) & 0x80 and name == "X-Mms-Message-Class":
            return reader.token_text(name)
        code = reader.byte(name)
        if code not in table:
            state.deviate("bad-value", name, f"0x{code:02X} is not in its table")
            return f"0x{code:02x}"
        return table[code]

    return read


def _read_yes_no(reader: Reader, name: str, state: _State) -> bool:
    code = reader.byte(name)
    if code not in (YES, NO):
        state.deviate("bad-value", name, f"0x{code:02X} is neither yes nor no")
    return code == YES


def _read_status(reader: Reader, name: str, state: _State) -> int:
    code = reader.byte(name)
    try:
        Status(code)
    except ValueError:
        state.deviate("bad-value", name, f"0x{code:02X} is no Response-Status")
    return code


_VALUE_READERS = {
    "Date": lambda r, n, s: r.long_integer(n),
    "From": _read_from,
    "To": lambda r, n, s: r.encoded_string(n).text,
    "Cc": lambda r, n, s: r.encoded_string(n).text,
    "Bcc": lambda r, n, s: r.encoded_string(n).text,
    "Subject": lambda r, n, s: r.encoded_string(n).text,
    "X-Mms-Message-Class": _read_coded(MESSAGE_CLASSES),
    "X-Mms-Priority": _read_coded(PRIORITIES),
    "X-Mms-Expiry": _read_time,
    "X-Mms-Delivery-Time": _read_time,
    "X-Mms-Delivery-Report": _read_yes_no,
    "X-Mms-Read-Report": _read_yes_no,
    "X-Mms-Response-Status": _read_status,
    "X-Mms-Response-Text": lambda r, n, s: r.encoded_string(n).text,
    "Message-ID": lambda r, n, s: r.text_string(n),
    "X-Mms-Message-Size": lambda r, n, s: r.long_integer(n),
    "X-Mms-Content-Location": lambda r, n, s: r.text_string(n),
}


def _need(fields: dict[str, object], state: _State, name: str, kind: MessageType, default):
    if name in fields:
        return fields[name]
    state.deviate("missing-field", name, f"mandatory in {kind.label}")
    return default


def _build(
    reader: Reader,
    state: _State,
    kind: MessageType,
    tid: str,
    version: str,
    read: _Fields,
    content_type: ContentType | None,
) -> Mm1Message:
    fields, extra = read.values, tuple(read.extra)
    f = fields.get
    if kind is MessageType.SEND_REQ:
        if content_type is None:
            raise MM1Error("Content-Type", "absent: an m-send-req ends with its Content-Type")
        recipients = {n: tuple(f(n) or ()) for n in ("To", "Cc", "Bcc")}  # type: ignore[arg-type]
        if not any(recipients.values()):
            state.deviate("missing-field", "To", "an m-send-req needs one of To, Cc, Bcc")
        if "From" not in fields:
            state.deviate("missing-field", "From", "mandatory in m-send-req")
        parts: tuple[Part, ...] = ()
        body = b""
        if content_type.is_multipart:
            parts = reader.multipart("body")
        else:
            body = reader.take(reader.remaining, "body")
        return SendReq(
            transaction_id=tid,
            to=recipients["To"],
            cc=recipients["Cc"],
            bcc=recipients["Bcc"],
            sender=f("From"),  # type: ignore[arg-type]
            subject=f("Subject"),  # type: ignore[arg-type]
            date=f("Date"),  # type: ignore[arg-type]
            message_class=f("X-Mms-Message-Class"),  # type: ignore[arg-type]
            expiry=f("X-Mms-Expiry"),  # type: ignore[arg-type]
            delivery_time=f("X-Mms-Delivery-Time"),  # type: ignore[arg-type]
            priority=f("X-Mms-Priority"),  # type: ignore[arg-type]
            delivery_report=f("X-Mms-Delivery-Report"),  # type: ignore[arg-type]
            read_report=f("X-Mms-Read-Report"),  # type: ignore[arg-type]
            content_type=content_type,
            parts=parts,
            body=body,
            version=version,
            extra=extra,
        )
    if kind is MessageType.SEND_CONF:
        status = _need(fields, state, "X-Mms-Response-Status", kind, int(Status.ERROR_UNSPECIFIED))
        return SendConf(
            transaction_id=tid,
            response_status=status,  # type: ignore[arg-type]
            response_text=f("X-Mms-Response-Text"),  # type: ignore[arg-type]
            message_id=f("Message-ID"),  # type: ignore[arg-type]
            version=version,
            extra=extra,
        )
    return NotificationInd(
        transaction_id=tid,
        content_location=_need(fields, state, "X-Mms-Content-Location", kind, ""),  # type: ignore[arg-type]
        message_size=_need(fields, state, "X-Mms-Message-Size", kind, 0),  # type: ignore[arg-type]
        expiry=_need(fields, state, "X-Mms-Expiry", kind, TimeValue(0)),  # type: ignore[arg-type]
        message_class=_need(fields, state, "X-Mms-Message-Class", kind, "personal"),  # type: ignore[arg-type]
        sender=f("From"),  # type: ignore[arg-type]
        subject=f("Subject"),  # type: ignore[arg-type]
        priority=f("X-Mms-Priority"),  # type: ignore[arg-type]
        delivery_report=f("X-Mms-Delivery-Report"),  # type: ignore[arg-type]
        version=version,
        extra=extra,
    )


# --- what the trace shows ----------------------------------------------------------------


def summary(msg: Mm1Message) -> str:
    """One line for a ladder: the PDU type, its transaction id and what matters most."""
    head = f"{msg.type.label} tid={msg.transaction_id}"
    if isinstance(msg, SendReq):
        to = ",".join([*msg.to, *msg.cc, *msg.bcc][:3])
        size = sum(len(p.data) for p in msg.parts) + len(msg.body)
        return f"{head} to={to} ({len(msg.parts)} parts, {size} bytes)"
    if isinstance(msg, SendConf):
        mid = f" msgid={msg.message_id}" if msg.message_id else ""
        return f"{head} {status_name(msg.response_status)}{mid}"
    return f"{head} {msg.content_location} ({msg.message_size} bytes)"
