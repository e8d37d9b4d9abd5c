"""The MM1 registries: header field codes, PDU types, Response-Status values, the coded
values of a few fields, which fields each PDU may carry, and the named deviations
lenient decoding may accept (OMA-MMS-ENC; WIRE-FACTS.md §4). Data only."""

from __future__ import annotations

from enum import IntEnum


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Header field names by their 7-bit code (on the wire: code | 0x80).
FIELDS: dict[int, str] = {
    0x01: "Bcc",
    0x02: "Cc",
    0x03: "X-Mms-Content-Location",
    0x04: "Content-Type",
    0x05: "Date",
    0x06: "X-Mms-Delivery-Report",
    0x07: "X-Mms-Delivery-Time",
    0x08: "X-Mms-Expiry",
    0x09: "From",
    0x0A: "X-Mms-Message-Class",
    0x0B: "Message-ID",
    0x0C: "X-Mms-Message-Type",
    0x0D: "X-Mms-MMS-Version",
    0x0E: "X-Mms-Message-Size",
    0x0F: "X-Mms-Priority",
    0x10: "X-Mms-Read-Report",
    0x11: "X-Mms-Report-Allowed",
    0x12: "X-Mms-Response-Status",
    0x13: "X-Mms-Response-Text",
    0x14: "X-Mms-Sender-Visibility",
    0x15: "X-Mms-Status",
    0x16: "Subject",
    0x17: "To",
    0x18: "X-Mms-Transaction-Id",
    0x19: "X-Mms-Retrieve-Status",
    0x1A: "X-Mms-Retrieve-Text",
    0x1B: "X-Mms-Read-Status",
    0x1C: "X-Mms-Reply-Charging",
    0x1D: "X-Mms-Reply-Charging-Deadline",
    0x1E: "X-Mms-Reply-Charging-ID",
    0x1F: "X-Mms-Reply-Charging-Size",
    0x20: "X-Mms-Previously-Sent-By",
    0x21: "X-Mms-Previously-Sent-Date",
    0x22: "X-Mms-Store",
    0x23: "X-Mms-MM-State",
    0x24: "X-Mms-MM-Flags",
    0x25: "X-Mms-Store-Status",
    0x26: "X-Mms-Store-Status-Text",
    0x27: "X-Mms-Stored",
    0x28: "X-Mms-Attributes",
    0x29: "X-Mms-Totals",
    0x2A: "X-Mms-Mbox-Totals",
    0x2B: "X-Mms-Quotas",
    0x2C: "X-Mms-Mbox-Quotas",
    0x2D: "X-Mms-Message-Count",
    0x2E: "Content",
    0x2F: "X-Mms-Start",
    0x30: "Additional-headers",
    0x31: "X-Mms-Distribution-Indicator",
    0x32: "X-Mms-Element-Descriptor",
    0x33: "X-Mms-Limit",
    0x34: "X-Mms-Recommended-Retrieval-Mode",
    0x35: "X-Mms-Recommended-Retrieval-Mode-Text",
    0x36: "X-Mms-Status-Text",
    0x37: "X-Mms-Applic-ID",
    0x38: "X-Mms-Reply-Applic-ID",
    0x39: "X-Mms-Aux-Applic-Info",
    0x3A: "X-Mms-Content-Class",
    0x3B: "X-Mms-DRM-Content",
    0x3C: "X-Mms-Adaptation-Allowed",
    0x3D: "X-Mms-Replace-ID",
    0x3E: "X-Mms-Cancel-ID",
    0x3F: "X-Mms-Cancel-Status",
}
CODES: dict[str, int] = {name: code for code, name in FIELDS.items()}


class MessageType(IntEnum):
    SEND_REQ = 0x80
    SEND_CONF = 0x81
    NOTIFICATION_IND = 0x82
    NOTIFYRESP_IND = 0x83
    RETRIEVE_CONF = 0x84
    ACKNOWLEDGE_IND = 0x85
    DELIVERY_IND = 0x86
    READ_REC_IND = 0x87
    READ_ORIG_IND = 0x88
    FORWARD_REQ = 0x89
    FORWARD_CONF = 0x8A

    @property
    def label(self) -> str:
        return "m-" + self.name.lower().replace("_", "-")


class Status(IntEnum):
    """X-Mms-Response-Status values (WIRE-FACTS.md §4)."""

    OK = 0x80
    ERROR_UNSPECIFIED = 0x81
    ERROR_SERVICE_DENIED = 0x82
    ERROR_MESSAGE_FORMAT_CORRUPT = 0x83
    ERROR_SENDING_ADDRESS_UNRESOLVED = 0x84
    ERROR_MESSAGE_NOT_FOUND = 0x85
    ERROR_NETWORK_PROBLEM = 0x86
    ERROR_CONTENT_NOT_ACCEPTED = 0x87
    ERROR_UNSUPPORTED_MESSAGE = 0x88
    TRANSIENT_FAILURE = 0xC0
    TRANSIENT_SENDING_ADDRESS_UNRESOLVED = 0xC1
    TRANSIENT_MESSAGE_NOT_FOUND = 0xC2
    TRANSIENT_NETWORK_PROBLEM = 0xC3
    TRANSIENT_PARTIAL_SUCCESS = 0xC4
    PERMANENT_FAILURE = 0xE0
    PERMANENT_SERVICE_DENIED = 0xE1
    PERMANENT_MESSAGE_FORMAT_CORRUPT = 0xE2
    PERMANENT_SENDING_ADDRESS_UNRESOLVED = 0xE3
    PERMANENT_MESSAGE_NOT_FOUND = 0xE4
    PERMANENT_CONTENT_NOT_ACCEPTED = 0xE5
    PERMANENT_REPLY_CHARGING_LIMITATIONS_NOT_MET = 0xE6
    PERMANENT_REPLY_CHARGING_REQUEST_NOT_ACCEPTED = 0xE7
    PERMANENT_REPLY_CHARGING_FORWARDING_DENIED = 0xE8
    PERMANENT_REPLY_CHARGING_NOT_SUPPORTED = 0xE9
    PERMANENT_ADDRESS_HIDING_NOT_SUPPORTED = 0xEA
    PERMANENT_LACK_OF_PREPAID = 0xEB


def status_name(value: int) -> str:
    try:
        return Status(value).name.lower().replace("_", "-")
    except ValueError:
        return f"0x{value:02X}"


MESSAGE_CLASSES = {0x80: "personal", 0x81: "advertisement", 0x82: "informational", 0x83: "auto"}
PRIORITIES = {0x80: "low", 0x81: "normal", 0x82: "high"}
YES, NO = 0x80, 0x81
ADDRESS_PRESENT, INSERT_ADDRESS = 0x80, 0x81
ABSOLUTE, RELATIVE = 0x80, 0x81

#: Every code lenient mode can record; strict mode raises MM1Error for each instead.
DEVIATION_CODES: dict[str, str] = {
    "header-order": "Message-Type, Transaction-Id, MMS-Version are not the first three, in order",
    "field-not-allowed": "a header field this PDU type does not have (kept in extra)",
    "unknown-field": "a header field code the encapsulation does not assign (kept in extra)",
    "repeated-field": "a single-valued header field given twice (the first kept)",
    "missing-field": "a mandatory header field absent (a default assumed)",
    "bad-value": "a coded value outside its table (kept as its number)",
    "encoding": "a WSP value not in its canonical encoding",
}


# Header fields each PDU may carry besides the first three (OMA-MMS-ENC 1.2/1.3).
ALLOWED: dict[MessageType, frozenset[str]] = {
    MessageType.SEND_REQ: _names(
        """Date From To Cc Bcc Subject X-Mms-Message-Class X-Mms-Expiry X-Mms-Delivery-Time
        X-Mms-Priority X-Mms-Sender-Visibility X-Mms-Delivery-Report X-Mms-Read-Report
        X-Mms-Reply-Charging X-Mms-Reply-Charging-Deadline X-Mms-Reply-Charging-Size
        X-Mms-Reply-Charging-ID X-Mms-Store X-Mms-MM-State X-Mms-MM-Flags X-Mms-Applic-ID
        X-Mms-Reply-Applic-ID X-Mms-Aux-Applic-Info X-Mms-Content-Class X-Mms-DRM-Content
        X-Mms-Adaptation-Allowed Content-Type"""
    ),
    MessageType.SEND_CONF: _names(
        """X-Mms-Response-Status X-Mms-Response-Text Message-ID X-Mms-Content-Location
        X-Mms-Store-Status X-Mms-Store-Status-Text"""
    ),
    MessageType.NOTIFICATION_IND: _names(
        """From Subject X-Mms-Delivery-Report X-Mms-Stored X-Mms-Message-Class X-Mms-Priority
        X-Mms-Message-Size X-Mms-Expiry X-Mms-Reply-Charging X-Mms-Reply-Charging-Deadline
        X-Mms-Reply-Charging-Size X-Mms-Reply-Charging-ID X-Mms-Content-Location
        X-Mms-Element-Descriptor X-Mms-Distribution-Indicator X-Mms-Content-Class
        X-Mms-DRM-Content X-Mms-Replace-ID X-Mms-Applic-ID X-Mms-Reply-Applic-ID
        X-Mms-Aux-Applic-Info X-Mms-Recommended-Retrieval-Mode
        X-Mms-Recommended-Retrieval-Mode-Text"""
    ),
}
REPEATABLE = _names("To Cc Bcc X-Mms-Previously-Sent-By X-Mms-Previously-Sent-Date")
