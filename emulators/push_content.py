"""What a pushed content is, as the handset judges it: decoded, described, attributed.

A push reaches the handset as a SIP MESSAGE body (its Content-Type says
what it is) or as a WSP push PDU in a WDP datagram (the PDU's content type
says it). The content must decode as what it claims to be: an MMS
notification (m-notification-ind, application/vnd.wap.mms-message), a
tokenised SI (application/vnd.wap.sic) or a textual one (text/vnd.wap.si).
The push reference it carries (push_refs.py) names the push and scenario.
"""

from __future__ import annotations

from dataclasses import dataclass

from mmsconf.emulators.codecs import pap, wsp_push
from mmsconf.emulators.push_refs import PushRef, find_ref

MMS_MESSAGE = "application/vnd.wap.mms-message"
SIC = "application/vnd.wap.sic"
SI_TEXT = "text/vnd.wap.si"


@dataclass(frozen=True)
class Seen:
    ok: bool
    detail: str
    ref: PushRef | None


def _media(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def inspect(content_type: str, data: bytes) -> Seen:
    """The content of a push (from its media type and bytes)."""
    media = _media(content_type)
    ref = find_ref(data)
    if media == MMS_MESSAGE:
        return _mms(data, ref)
    if media in (SIC, SI_TEXT, "text/plain"):
        return Seen(bool(data), f"{media}, {len(data)} bytes", ref)
    return Seen(False, f"{media or 'no content type'}: not a push content this handset takes", ref)


def _mms(data: bytes, ref: PushRef | None) -> Seen:
    # X-Mms-Message-Type (0x8C) first, m-notification-ind (0x82): WIRE-FACTS §4.
    if len(data) < 2 or data[0] != 0x8C or data[1] != 0x82:
        return Seen(False, "application/vnd.wap.mms-message that is no m-notification-ind", ref)
    return Seen(True, f"m-notification-ind for {ref.text if ref else 'no push of this run'}", ref)


def inspect_wdp(data: bytes) -> Seen:
    """A WDP datagram: a connectionless WSP push PDU (TID, 0x06, headers, content)."""
    try:
        pdu = wsp_push.decode(data)
    except wsp_push.WspError as err:
        return Seen(False, f"{len(data)} bytes that are no WSP push PDU ({err})", find_ref(data))
    inner = inspect(pdu.content_type, pdu.data)
    app = (pdu.application_id or "no application id").removeprefix("x-wap-application:")
    return Seen(inner.ok, f"WSP push TID {pdu.tid} to {app}: {inner.detail}", inner.ref)


# --- what the push initiator pushes ------------------------------------------------------

#: The content location a notification points to (the MMSC the handset would fetch from).
MMSC_URL = "http://mmsc.mmsconf.example/mms"


def mms_notification(ref: PushRef) -> pap.ContentEntity:
    """An m-notification-ind naming ``ref`` (its transaction id and content location)."""
    data = mm1_notification(ref.text, f"{MMSC_URL}/{ref.text}")
    return pap.ContentEntity(
        MMS_MESSAGE, data, (("X-Wap-Application-Id", "x-wap-application:mms.ua"),)
    )


def si_text(ref: PushRef) -> pap.ContentEntity:
    """A service indication (SI 1.0, textual) naming ``ref`` (its si-id and href)."""
    body = (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE si PUBLIC "-//WAPFORUM//DTD SI 1.0//EN" "http://www.wapforum.org/DTD/si.dtd">\n'
        f'<si><indication href="{MMSC_URL}/{ref.text}" si-id="{ref.text}" '
        f'action="signal-medium">New MMS</indication></si>\n'
    )
    return pap.ContentEntity(
        SI_TEXT, body.encode(), (("X-Wap-Application-Id", "x-wap-application:push.sia"),)
    )


def mm1_notification(transaction_id: str, location: str, size: int = 2048) -> bytes:
    """m-notification-ind (OMA MMS ENC; WIRE-FACTS §4): type, transaction id, version 1.2,
    class personal, size, expiry (relative, one day), content location."""
    size_octets = size.to_bytes(max(1, (size.bit_length() + 7) // 8), "big")
    expiry = (86_400).to_bytes(3, "big")
    return b"".join(
        [
            b"\x8c\x82",
            b"\x98" + transaction_id.encode("ascii") + b"\x00",
            b"\x8d\x92",
            b"\x8a\x80",
            b"\x8e" + bytes([len(size_octets)]) + size_octets,
            b"\x88" + bytes([2 + len(expiry), 0x81, len(expiry)]) + expiry,
            b"\x83" + location.encode("ascii") + b"\x00",
        ]
    )
