"""decode: an MM7 HTTP body (text/xml, or multipart/related with the envelope
and content parts), its Content-Type and SOAPAction -> a typed message."""

from __future__ import annotations

from .. import mime
from .envelope import read_envelope
from .multipart import split_judged
from .rules import DEFAULT_CONFIG, STATUS_FORMAT, CodecConfig
from .types import MM7_NAMESPACES, ContentPart, Decoded, MM7Error, MM7Message
from .xml import Reader, parse_xml


def _check_soap_action(r: Reader, value: str | None) -> None:
    if value is None:
        return
    bare = value.strip()
    if len(bare) >= 2 and bare[0] == bare[-1] == '"':
        bare = bare[1:-1].strip()
    if bare == "":
        return
    if bare in MM7_NAMESPACES or bare == r.config.namespace:
        r.deviate("soapaction-namespace", "SOAPAction", f'{value!r}, expected ""', STATUS_FORMAT)
    else:
        r.deviate("soapaction-other", "SOAPAction", f'{value!r}, expected ""', STATUS_FORMAT)


def _unbracket(r: Reader, raw: str, element: str) -> str:
    value = raw.strip()
    if len(value) >= 2 and value[0] == "<" and value[-1] == ">":
        return value[1:-1]
    r.deviate("content-id-no-brackets", element, f"{raw!r} without angle brackets", STATUS_FORMAT)
    return value


def _xml_type(r: Reader, media_type: str, element: str) -> None:
    if media_type == "text/xml":
        return
    if media_type == "application/xml":
        r.deviate(
            "content-type-application-xml",
            element,
            "application/xml, expected text/xml",
            STATUS_FORMAT,
        )
        return
    raise MM7Error(element, f"{media_type}, expected text/xml", STATUS_FORMAT)


def _split_body(r: Reader, body: bytes, content_type: str) -> tuple[bytes, dict[str, ContentPart]]:
    """Return the SOAP envelope bytes and the content parts by Content-ID."""
    header = mime.parse_content_type(content_type)
    if header.media_type != "multipart/related":
        _xml_type(r, header.media_type, "Content-Type")
        return body, {}
    boundary = header.param("boundary")
    if not boundary:
        if body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            r.deviate(
                "multipart-no-boundary",
                "Content-Type@boundary",
                "multipart/related without boundary",
                STATUS_FORMAT,
            )
            return body, {}
        raise MM7Error("Content-Type@boundary", "multipart/related without boundary", STATUS_FORMAT)
    try:
        content_type.encode("latin-1")
    except UnicodeEncodeError:
        raise MM7Error("Content-Type", "not latin-1", STATUS_FORMAT) from None
    subparts = split_judged(r, body, boundary)
    if not subparts:
        raise MM7Error(
            "Content-Type@boundary", f"no MIME part with boundary {boundary!r}", STATUS_FORMAT
        )
    start_raw = header.param("start")
    start = None if start_raw is None else _unbracket(r, start_raw, "Content-Type@start")
    envelope: mime.SplitPart | None = None
    parts: dict[str, ContentPart] = {}
    for part in subparts:
        cid = None if part.content_id is None else _unbracket(r, part.content_id, "Content-ID")
        if envelope is None and (cid == start if start is not None else True):
            envelope = part
            continue
        if cid is None:
            r.deviate(
                "content-id-missing",
                "Content-ID",
                "content part without Content-ID",
                STATUS_FORMAT,
            )
            cid = ""
        if cid in parts:
            raise MM7Error("Content-ID", f"duplicate Content-ID <{cid}>", STATUS_FORMAT)
        ctype = part.media_type if part.content_type is None else part.content_type
        parts[cid] = ContentPart(cid, ctype, part.data)
    if envelope is None:
        raise MM7Error(
            "Content-Type@start", f"no MIME part with Content-ID <{start}>", STATUS_FORMAT
        )
    _xml_type(r, envelope.media_type, "Content-Type")
    return envelope.data, parts


def decode(
    body: bytes,
    content_type: str,
    *,
    soap_action: str | None = None,
    config: CodecConfig = DEFAULT_CONFIG,
) -> Decoded:
    """Turn an MM7 HTTP body into a typed message, or raise MM7Error."""
    if len(body) > config.max_body:
        raise MM7Error("Envelope", "body too large", STATUS_FORMAT)
    r = Reader(config)
    try:
        message = _read(r, bytes(body), content_type, soap_action)
    except MM7Error as err:
        if not r.strict or not r.deviations:
            raise
        # Strict: what was found before reading had to stop leads, the stop comes last.
        raise MM7Error.of((*r.deviations, *err.deviations)) from None
    if r.strict and r.deviations:
        raise MM7Error.of(tuple(r.deviations))
    return Decoded(message, tuple(r.deviations))


def _read(r: Reader, body: bytes, content_type: str, soap_action: str | None) -> MM7Message:
    _check_soap_action(r, soap_action)
    try:
        xml, parts = _split_body(r, body, content_type)
    except mime.MimeError as exc:
        # Whatever the MIME layer cannot read is a corrupt message format to MM7.
        raise MM7Error(exc.field, exc.reason, STATUS_FORMAT) from None
    return read_envelope(r, parse_xml(r, xml), parts)
