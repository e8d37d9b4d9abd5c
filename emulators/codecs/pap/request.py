"""PAP over HTTP bodies: a push submission is multipart/related, the PAP control entity
first and the content second; every other PAP message is a bare application/xml body.

Framing is the shared MIME module's (codecs/mime.py). What PIs in the field
get wrong at this level, and lenient mode reads: an unquoted ``start``
parameter, the PAP entity not first or inside a nested multipart, the PAP
entity labelled text/xml, no ``type`` parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import mime
from .decode import Reader, decode
from .encode import encode
from .types import (
    BAD_REQUEST,
    PAP_MEDIA_TYPE,
    Decoded,
    Deviation,
    Mode,
    PapError,
    PushMessage,
)

_XML_TYPES = ("application/xml", "text/xml")
_START_UNQUOTED = re.compile(r";\s*start\s*=\s*<", re.IGNORECASE)


@dataclass(frozen=True)
class ContentEntity:
    """What is pushed: its media type (with parameters), bytes and extra part headers."""

    content_type: str
    data: bytes
    headers: tuple[tuple[str, str], ...] = ()
    content_id: str | None = None

    @property
    def media_type(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()

    def header(self, name: str) -> str | None:
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)

    @property
    def application_id(self) -> str | None:
        return self.header("X-Wap-Application-Id")


@dataclass
class PapRequest:
    """A PAP request body taken apart: the control document and, for a push, the content."""

    control: Decoded
    content: ContentEntity | None = None
    deviations: list[Deviation] = field(default_factory=list)

    @property
    def message(self):
        return self.control.message

    @property
    def all_deviations(self) -> list[Deviation]:
        return [*self.deviations, *self.control.deviations]


def _entity(part: mime.SplitPart) -> ContentEntity:
    extra = tuple(
        (k, v)
        for k, v in part.headers
        if k.lower() not in ("content-type", "content-id", "content-transfer-encoding")
    )
    try:
        data = part.data
    except mime.MimeError as err:
        raise PapError("content", f"cannot decode the content part: {err}") from None
    return ContentEntity(part.content_type or "text/plain", data, extra, _cid(part))


def _cid(part: mime.SplitPart) -> str | None:
    return part.content_id.strip().strip("<>") if part.content_id is not None else None


def _flatten(parts: tuple[mime.SplitPart, ...], r: Reader) -> list[tuple[mime.SplitPart, bool]]:
    """Parts, with a nested multipart's parts in its place (marked nested)."""
    out: list[tuple[mime.SplitPart, bool]] = []
    for part in parts:
        if part.media_type.startswith("multipart/"):
            try:
                ctype = mime.parse_content_type(part.content_type or "")
                boundary = ctype.param("boundary")
                if not boundary:
                    raise PapError("multipart", "a nested multipart without a boundary")
                inner = mime.split(part.data, boundary)
            except mime.MimeError as err:
                raise PapError("multipart", f"nested multipart: {err}") from None
            out += [(p, True) for p in inner.parts]
        else:
            out.append((part, False))
    return out


def split_request(content_type: str, body: bytes, mode: Mode | str = Mode.STRICT) -> PapRequest:
    """A PAP request from its HTTP Content-Type and body; PapError (2000 unless the control
    document says otherwise) when it cannot be read."""
    r = Reader(Mode(mode))
    try:
        ctype = mime.parse_content_type(content_type or "")
    except mime.MimeError as err:
        raise PapError("Content-Type", str(err)) from None
    if ctype.media_type in _XML_TYPES:
        control = decode(body, mode)
        if isinstance(control.message, PushMessage):
            raise PapError("multipart", "a push-message needs a content entity (multipart/related)")
        return PapRequest(control)
    if ctype.media_type != "multipart/related":
        raise PapError("Content-Type", f"{ctype.media_type or 'nothing'} is not a PAP body")
    try:
        boundary = ctype.param("boundary")
        start = ctype.param("start")
        root_type = ctype.param("type")
    except mime.MimeError as err:
        raise PapError("Content-Type", str(err)) from None
    if not boundary:
        raise PapError("Content-Type@boundary", "multipart/related without a boundary")
    if root_type is None:
        r.deviate("related-type-missing", "Content-Type@type", "no type parameter")
    if start is not None and _START_UNQUOTED.search(content_type):
        r.deviate("start-unquoted", "Content-Type@start", f"start=<{start}>")
    try:
        split = mime.split(body, boundary)
    except mime.MimeError as err:
        raise PapError("multipart", str(err)) from None
    parts = _flatten(split.parts, r)
    if start is not None:
        cid = start.strip("<> ")
        index = next((i for i, (p, _n) in enumerate(parts) if _cid(p) == cid), None)
        if index is None:
            raise PapError("Content-Type@start", f"no part with Content-ID <{cid}>")
    else:
        index = next((i for i, (p, _n) in enumerate(parts) if p.media_type in _XML_TYPES), None)
        if index is None:
            raise PapError("multipart", "no PAP control entity (application/xml part)")
    pap_part, nested = parts[index]
    if nested:
        r.deviate("pap-nested", "multipart", "the PAP entity is inside a nested multipart")
    elif index != 0:
        r.deviate("pap-not-first", "multipart", f"the PAP entity is part {index + 1}")
    if pap_part.media_type != PAP_MEDIA_TYPE:
        if pap_part.media_type not in _XML_TYPES:
            raise PapError("multipart", f"the PAP entity is {pap_part.media_type}, not XML")
        r.deviate("pap-media-type", "multipart", pap_part.media_type)
    control = decode(pap_part.data, mode)
    others = [p for i, (p, _n) in enumerate(parts) if i != index]
    if isinstance(control.message, PushMessage):
        if len(others) != 1:
            raise PapError(
                "multipart", f"a push needs exactly one content entity, found {len(others)}"
            )
        return PapRequest(control, _entity(others[0]), r.deviations)
    if others:
        raise PapError("multipart", "content entities with a message that takes none")
    return PapRequest(control, None, r.deviations)


@dataclass(frozen=True)
class Body:
    content_type: str
    body: bytes


def build_push(
    message: PushMessage,
    content: ContentEntity,
    *,
    version: str = "2.1",
    boundary_seed: str = "",
    start: str | None = None,
) -> Body:
    """multipart/related: the PAP entity (application/xml) first, then the content."""
    parts = [
        mime.Part(
            PAP_MEDIA_TYPE,
            encode(message, version=version),
            content_id=start,
            transfer_encoding="8bit",
        ),
        mime.Part(
            content.content_type,
            content.data,
            content_id=content.content_id,
            # binary: the content's bytes reach the PPG exactly as the PI made them.
            transfer_encoding="binary",
            headers=content.headers,
        ),
    ]
    try:
        built = mime.build_related(
            parts,
            root_type=PAP_MEDIA_TYPE,
            start=start,
            boundary_seed=boundary_seed or message.push_id,
            boundary_prefix="pap-",
        )
    except mime.MimeError as err:
        raise PapError(err.field, err.reason, BAD_REQUEST) from None
    return Body(built.content_type, built.body)


def build_plain(message, *, version: str = "2.1") -> Body:
    """Any PAP message but a push as a bare application/xml body."""
    return Body(PAP_MEDIA_TYPE, encode(message, version=version))
