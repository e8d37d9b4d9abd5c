"""MM7 codec: SOAP 1.1 envelopes (text/xml or multipart/related) <-> typed messages.

Sans-IO: ``decode`` takes the HTTP body, its Content-Type and SOAPAction and
returns a typed message (plus the deviations lenient mode accepted);
``encode`` does the reverse. Nothing here touches sockets, clocks or threads.
Strict mode refuses a message once, listing every deviation it has
(``MM7Error.deviations``); ``error_details`` words them for a fault's Details.

Every operation of TS 23.140 in all eleven namespaces: Submit, Deliver, Cancel,
Replace, DeliveryReport and ReadReply (Req and Rsp), RSErrorRsp, VASPErrorRsp,
and REL-6-MM7-1-4's extendedCancel / extendedReplace (``operations_in`` says
which namespace defines which). Element orders follow WIRE-FACTS.md §1-3
(ZXID's REL-6-MM7-1-4 grammar; REL-5 is the same order without the Rel-6
items). Status codes on errors: 2007 for byte/transport-level problems
(content type, charset, XML well-formedness, DTDs, MIME structure,
SOAPAction, size), 4002 for namespaces and versions, 4003 for unknown
operations and operations the release lacks, 4004 for element-level schema
problems.

The public names are the ones below; the modules behind them are:
``types`` (the messages, MM7Error, trace summaries), ``rules`` (configuration,
releases, the named deviations, the schema's sequences and value sets),
``xml`` (safe parsing and reading helpers), ``values``, ``operations`` and
``envelope`` (the readers, leaf to root), ``decoder`` and ``encoder``. MIME
framing is ``codecs.mime``'s.
"""

from __future__ import annotations

from .decoder import decode
from .encoder import encode
from .rules import (
    ALL_OPERATIONS,
    DEVIATION_CODES,
    ENVELOPE_CONTENT_ID,
    KNOWN_VERSIONS,
    CodecConfig,
    Mode,
    operations_in,
)
from .types import (
    DEFAULT_NAMESPACE,
    DEFAULT_VERSION,
    MM7_NAMESPACES,
    MM_STATUSES,
    READ_STATUSES,
    REFUSED,
    SOAP_ENV_NS,
    STATUS_TEXT,
    Address,
    CancelReq,
    CancelRsp,
    ContentPart,
    Decoded,
    DeliverReq,
    DeliverRsp,
    DeliveryReportReq,
    DeliveryReportRsp,
    Deviation,
    Encoded,
    Envelope,
    ExtendedCancelReq,
    ExtendedCancelRsp,
    ExtendedReplaceReq,
    ExtendedReplaceRsp,
    MM7Error,
    MM7Message,
    ReadReplyReq,
    ReadReplyRsp,
    ReplaceReq,
    ReplaceRsp,
    RSErrorRsp,
    SoapFault,
    Status,
    StatusCode,
    SubmitReq,
    SubmitRsp,
    VASPErrorRsp,
    error_details,
    is_rel6,
    status_of,
    summary,
)

__all__ = [
    "ALL_OPERATIONS",
    "DEFAULT_NAMESPACE",
    "DEFAULT_VERSION",
    "DEVIATION_CODES",
    "ENVELOPE_CONTENT_ID",
    "KNOWN_VERSIONS",
    "MM7_NAMESPACES",
    "MM_STATUSES",
    "READ_STATUSES",
    "REFUSED",
    "SOAP_ENV_NS",
    "STATUS_TEXT",
    "Address",
    "CancelReq",
    "CancelRsp",
    "CodecConfig",
    "ContentPart",
    "Decoded",
    "DeliverReq",
    "DeliverRsp",
    "DeliveryReportReq",
    "DeliveryReportRsp",
    "Deviation",
    "Encoded",
    "Envelope",
    "ExtendedCancelReq",
    "ExtendedCancelRsp",
    "ExtendedReplaceReq",
    "ExtendedReplaceRsp",
    "MM7Error",
    "MM7Message",
    "Mode",
    "RSErrorRsp",
    "ReadReplyReq",
    "ReadReplyRsp",
    "ReplaceReq",
    "ReplaceRsp",
    "SoapFault",
    "Status",
    "StatusCode",
    "SubmitReq",
    "SubmitRsp",
    "VASPErrorRsp",
    "decode",
    "encode",
    "error_details",
    "is_rel6",
    "operations_in",
    "status_of",
    "summary",
]
