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


_HEADS = {
    b"x-mms-message-type": "type",
    b"x-mms-transaction-id": "tid",
    b"x-mms-message-id": "mid",
    b"x-mms-request-status-code": "status",
    b"x-mms-mm-status-code": "status",
}


def describe(raw: bytes) -> str:
    """A trace line for a message DATA carried: its type and ids as the headers name them
    (read without decoding the message: a trace line is not a verdict), or why it is not
    MM4. Lines of the trace come from every hop, so this is kept cheap."""
    found: dict[str, str] = {}
    head = raw[: raw.find(b"\r\n\r\n")] if b"\r\n\r\n" in raw[:65536] else raw[:65536]
    for line in head.split(b"\n"):
        name, colon, value = line.partition(b":")
        key = _HEADS.get(name.strip().lower()) if colon else None
        if key is not None and key not in found:
            found[key] = value.strip().decode("ascii", "replace")[:80]
    if "type" not in found:
        return f"not MM4 (no X-Mms-Message-Type), {len(raw)} bytes"
    line = f"{found['type']} tid={found.get('tid', '?')} mid={found.get('mid', '?')}"
    if "status" in found:
        line += f" {found['status']}"
    return " ".join(line.split())[:200]


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
