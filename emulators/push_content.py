"""What a pushed content is: what the PI pushes, and how the handset judges what arrives.

A push reaches the handset as a SIP MESSAGE body (its Content-Type says what
it is) or as a WSP push PDU in a WDP datagram (the PDU's content type says
it). The content must decode as what it claims to be: an MMS notification
(m-notification-ind, application/vnd.wap.mms-message; codecs/mm1.py), a
tokenised SI (application/vnd.wap.sic; codecs/si.py) or a textual one
(text/vnd.wap.si). The push reference it carries (push_refs.py: the
notification's transaction id and content location, the SI's si-id and
href) names the push and scenario.
"""

from __future__ import annotations

from dataclasses import dataclass

from mmsconf.emulators.codecs import mm1, pap, si, wsp_push
from mmsconf.emulators.push_refs import PushRef, find_ref

MMS_MESSAGE = "application/vnd.wap.mms-message"
SIC = si.SIC_MEDIA_TYPE
SI_TEXT = si.MEDIA_TYPE
MMS_UA = "x-wap-application:mms.ua"
PUSH_SIA = "x-wap-application:push.sia"
#: The content location a notification points to (the MMSC the handset would fetch from).
MMSC_URL = "http://mmsc.mmsconf.example/mms"


@dataclass(frozen=True)
class Seen:
    ok: bool
    detail: str
    ref: PushRef | None
    #: What the handset took although it is not how the push should be written (a PPG's
    #: habits the report lists: Kannel's textual content type, the PI's headers copied).
    deviations: tuple[str, ...] = ()


#: Header fields that belong to the PI's HTTP request or its MIME part, not to a push:
#: a PPG that copies them into the WSP headers forwards its PI's transport.
PI_TRANSPORT_HEADERS = frozenset(
    {"user-agent", "content-transfer-encoding", "x-wap-initiator-uri", "host", "accept"}
)


def _media(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def inspect(content_type: str, data: bytes) -> Seen:
    """The content of a push (from its media type and bytes)."""
    media = _media(content_type)
    if media == MMS_MESSAGE:
        try:
            message = mm1.decode(data, lenient=True).message
        except (mm1.MM1Error, ValueError) as err:
            return Seen(False, f"an MMS PDU that does not decode ({err})", find_ref(data))
        if not isinstance(message, mm1.NotificationInd):
            return Seen(False, f"{message.type.label}, not m-notification-ind", find_ref(data))
        ref = find_ref(message.transaction_id) or find_ref(message.content_location)
        return Seen(True, mm1.summary(message), ref)
    if media in (SIC, SI_TEXT):
        try:
            indication = si.decode_tokens(data) if media == SIC else si.decode_text(data)
        except si.SiError as err:
            return Seen(False, f"{media} that does not decode ({err})", find_ref(data))
        ref = find_ref(indication.si_id or "") or find_ref(indication.href or "")
        return Seen(True, f"SI {indication.si_id} {indication.action} {indication.href}", ref)
    if media == "text/plain":
        return Seen(bool(data), f"text/plain, {len(data)} bytes", find_ref(data))
    return Seen(
        False,
        f"{media or 'no content type'}: not a push content this handset takes",
        find_ref(data),
    )


def inspect_wdp(data: bytes) -> Seen:
    """A WDP datagram: a connectionless WSP push PDU (TID, 0x06, headers, content)."""
    try:
        pdu = wsp_push.decode(data)
    except wsp_push.WspError as err:
        return Seen(False, f"{len(data)} bytes that are no WSP push PDU ({err})", find_ref(data))
    inner = inspect(pdu.content_type, pdu.data)
    app = (pdu.application_id or "no application id").removeprefix("x-wap-application:")
    return Seen(
        inner.ok,
        f"WSP push TID {pdu.tid} to {app}: {inner.detail}",
        inner.ref,
        _push_deviations(pdu),
    )


def _push_deviations(pdu: wsp_push.PushPdu) -> tuple[str, ...]:
    out = []
    if pdu.content_type_form == "text" and pdu.media_type in wsp_push.CONTENT_TYPE_CODES:
        out.append(f"content type {pdu.media_type} as a text string, not its short form")
    copied = sorted({n for n, _v in pdu.headers if n.lower() in PI_TRANSPORT_HEADERS})
    if copied:
        out.append("the PI's request headers copied into the push: " + ", ".join(copied))
    return tuple(out)


# --- what the push initiator pushes ------------------------------------------------------


def mms_notification(ref: PushRef) -> pap.ContentEntity:
    """An m-notification-ind naming ``ref`` (its transaction id and content location)."""
    data = mm1.encode(
        mm1.NotificationInd(
            transaction_id=ref.text,
            content_location=f"{MMSC_URL}/{ref.text}",
            message_size=2048,
            expiry=mm1.TimeValue(86_400),
        )
    )
    return pap.ContentEntity(MMS_MESSAGE, data, (("X-Wap-Application-Id", MMS_UA),))


def si_text(ref: PushRef) -> pap.ContentEntity:
    """A service indication (SI 1.0, textual) naming ``ref`` (its si-id and href)."""
    body = si.encode_text(si.Si(href=f"{MMSC_URL}/{ref.text}", si_id=ref.text, text="New MMS"))
    return pap.ContentEntity(SI_TEXT, body, (("X-Wap-Application-Id", PUSH_SIA),))


def for_the_air(content: pap.ContentEntity) -> tuple[str, bytes]:
    """What goes over WAP push: a textual SI is tokenised (as a PPG does), anything else as
    given. SiError when a textual SI does not compile (PAP 3006)."""
    if content.media_type == SI_TEXT:
        return SIC, si.encode_tokens(si.decode_text(content.data))
    return content.content_type, content.data
