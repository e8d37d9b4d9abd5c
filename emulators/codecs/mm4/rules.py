"""What the MM4 codec holds peers to: configuration, header names, which headers each
message must carry (23.140 §8.4, stage-3 mapping onto RFC 5322), value sets, and the
deviations lenient mode accepts and records."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .types import (
    DELIVERY_REPORT_REQ,
    DELIVERY_REPORT_RES,
    FORWARD_REQ,
    FORWARD_RES,
    READ_REPLY_REQ,
    READ_REPLY_RES,
)


class Mode(enum.Enum):
    STRICT = "strict"
    LENIENT = "lenient"


@dataclass(frozen=True)
class CodecConfig:
    mode: Mode = Mode.STRICT
    max_size: int = 2_000_000  # bytes; a larger message is refused before parsing


DEFAULT_CONFIG = CodecConfig()

# Header names as the codec writes them (reading is case-insensitive, RFC 5322 §1.2.2).
VERSION = "X-Mms-3GPP-MMS-Version"
MMS_VERSION = "X-Mms-MMS-Version"  # an MM1 header some relays send instead
MESSAGE_TYPE = "X-Mms-Message-Type"
TRANSACTION_ID = "X-Mms-Transaction-ID"
MESSAGE_ID = "X-Mms-Message-ID"
ACK_REQUEST = "X-Mms-Ack-Request"
ORIGINATOR_SYSTEM = "X-Mms-Originator-System"
REQUEST_STATUS = "X-Mms-Request-Status-Code"
STATUS_TEXT = "X-Mms-Status-Text"
MM_STATUS = "X-Mms-MM-Status-Code"
READ_STATUS = "X-Mms-Read-Status"
MESSAGE_CLASS = "X-Mms-Message-Class"
PRIORITY = "X-Mms-Priority"
EXPIRY = "X-Mms-Expiry"
DELIVERY_REPORT = "X-Mms-Delivery-Report"
RS_DELIVERY_REPORT = "X-Mms-Originator-R/S-Delivery-Report"
READ_REPLY = "X-Mms-Read-Reply"
SENDER_VISIBILITY = "X-Mms-Sender-Visibility"
FORWARD_COUNTER = "X-Mms-Forward-Counter"
FROM, TO, CC, DATE, SUBJECT = "From", "To", "Cc", "Date", "Subject"
CONTENT_TYPE = "Content-Type"
TRANSFER_ENCODING = "Content-Transfer-Encoding"
MIME_VERSION = "MIME-Version"

#: The headers the codec reads into fields; everything else goes to ``extra``.
KNOWN = {
    name.lower()
    for name in (
        VERSION,
        MESSAGE_TYPE,
        TRANSACTION_ID,
        MESSAGE_ID,
        ACK_REQUEST,
        ORIGINATOR_SYSTEM,
        REQUEST_STATUS,
        STATUS_TEXT,
        MM_STATUS,
        READ_STATUS,
        MESSAGE_CLASS,
        PRIORITY,
        EXPIRY,
        DELIVERY_REPORT,
        RS_DELIVERY_REPORT,
        READ_REPLY,
        SENDER_VISIBILITY,
        FORWARD_COUNTER,
        FROM,
        TO,
        CC,
        DATE,
        SUBJECT,
        CONTENT_TYPE,
        TRANSFER_ENCODING,
        MIME_VERSION,
    )
}

_COMMON = (VERSION, MESSAGE_TYPE, TRANSACTION_ID, MESSAGE_ID)
_REQUEST = (*_COMMON, FROM, TO, DATE)
_RESPONSE = (*_COMMON, REQUEST_STATUS)

#: The mandatory headers of each message type, in the order they are checked. A
#: forward also needs a recipient in To or Cc (checked as "To"), and every request that
#: asks for an acknowledgement needs X-Mms-Originator-System (where the .RES goes).
MANDATORY: dict[str, tuple[str, ...]] = {
    FORWARD_REQ: (*_COMMON, FROM, DATE, CONTENT_TYPE),
    FORWARD_RES: _RESPONSE,
    DELIVERY_REPORT_REQ: (*_REQUEST, MM_STATUS),
    DELIVERY_REPORT_RES: _RESPONSE,
    READ_REPLY_REQ: (*_REQUEST, READ_STATUS),
    READ_REPLY_RES: _RESPONSE,
}

#: Every code lenient mode can record, with what it means. Strict mode raises MM4Error
#: naming the field for each of these instead.
DEVIATION_CODES: dict[str, str] = {
    "bare-lf": "lines end in LF alone instead of CRLF (RFC 5322 §2.1)",
    "version-from-mms-version": "no X-Mms-3GPP-MMS-Version; X-Mms-MMS-Version read instead",
    "version-format": "an X-Mms-3GPP-MMS-Version that is not major.minor.patch (kept)",
    "message-type-case": "X-Mms-Message-Type in another letter case",
    "yes-no-case": "a Yes/No header in another letter case (yes, NO, ...)",
    "value-case": "an enumerated value in another letter case (normal, retrieved, ...)",
    "date-missing": "no Date header",
    "date-format": "a Date (or X-Mms-Expiry) that is not an RFC 5322 date (kept as written)",
    "originator-system-missing": "X-Mms-Ack-Request: Yes without X-Mms-Originator-System "
    "(Sender, else From, read instead)",
    "address-no-type": "a number address without /TYPE=PLMN (read as PLMN)",
    "status-unknown": "a status value outside 23.140's table (kept as written)",
    "duplicate-header": "an X-Mms header given twice (the first is kept)",
    "mime-framing": "a multipart body with a framing fault the MIME splitter read past",
    "message-id-quoted": "X-Mms-Message-ID or X-Mms-Transaction-ID in double quotes (unquoted)",
}
