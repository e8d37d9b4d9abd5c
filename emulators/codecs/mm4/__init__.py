"""MM4 codec: RFC 5322 messages carrying X-Mms-* headers (3GPP TS 23.140 §8.4) <-> typed
messages.

Sans-IO: ``decode`` takes what SMTP DATA carried (dot-unstuffed, without the
final dot) and returns a typed message plus the deviations lenient mode
accepted; ``encode`` does the reverse. Strict mode raises ``MM4Error``
naming the header for anything 23.140 or RFC 5322 forbids, including every
deviation of ``DEVIATION_CODES``; ``MM4Error.smtp_reply`` is the 5xx a
receiving MMSC answers with.

Modules: ``types`` (messages, addresses, errors, summaries), ``rules``
(configuration, mandatory headers, deviations), ``decoder``, ``encoder`` and
``content`` (multipart content through ``codecs.mime``).
"""

from __future__ import annotations

from .content import content_parts, multipart_content, text_content
from .decoder import decode
from .encoder import encode
from .rules import DEVIATION_CODES, MANDATORY, CodecConfig, Mode
from .types import (
    DEFAULT_VERSION,
    DELIVERY_REPORT_REQ,
    DELIVERY_REPORT_RES,
    FORWARD_REQ,
    FORWARD_RES,
    MESSAGE_CLASSES,
    MESSAGE_TYPES,
    MM_STATUSES,
    PRIORITIES,
    READ_REPLY_REQ,
    READ_REPLY_RES,
    READ_STATUSES,
    REQUEST_STATUSES,
    VISIBILITIES,
    Address,
    Content,
    Decoded,
    DeliveryReportReq,
    DeliveryReportRes,
    Deviation,
    ForwardReq,
    ForwardRes,
    MM4Error,
    Mm4Message,
    ReadReplyReq,
    ReadReplyRes,
    mms_domain,
    summary,
)

LENIENT = CodecConfig(mode=Mode.LENIENT)


def describe(raw: bytes) -> str:
    """A trace line for a message DATA carried: its MM4 summary, or why it is not MM4."""
    try:
        decoded = decode(raw, config=LENIENT)
    except MM4Error as err:
        return f"not MM4 ({err.field}: {err.reason}), {len(raw)} bytes"[:200]
    line = summary(decoded.message)
    if decoded.deviations:
        line += f" [{len(decoded.deviations)} deviation(s)]"
    return line


__all__ = [
    "DEFAULT_VERSION",
    "DELIVERY_REPORT_REQ",
    "DELIVERY_REPORT_RES",
    "DEVIATION_CODES",
    "FORWARD_REQ",
    "FORWARD_RES",
    "LENIENT",
    "MANDATORY",
    "MESSAGE_CLASSES",
    "MESSAGE_TYPES",
    "MM_STATUSES",
    "PRIORITIES",
    "READ_REPLY_REQ",
    "READ_REPLY_RES",
    "READ_STATUSES",
    "REQUEST_STATUSES",
    "VISIBILITIES",
    "Address",
    "CodecConfig",
    "Content",
    "Decoded",
    "DeliveryReportReq",
    "DeliveryReportRes",
    "Deviation",
    "ForwardReq",
    "ForwardRes",
    "MM4Error",
    "Mm4Message",
    "Mode",
    "ReadReplyReq",
    "ReadReplyRes",
    "content_parts",
    "decode",
    "describe",
    "encode",
    "mms_domain",
    "multipart_content",
    "summary",
    "text_content",
]
