"""A forwarded MM's content: built from parts with ``codecs.mime``, and read back."""

from __future__ import annotations

import binascii
import re
from collections.abc import Sequence

from mmsconf.emulators.codecs import mime

from .types import Content, MM4Error

_ANY_NEWLINE = re.compile(rb"\r\n|\r|\n")


def text_content(text: str) -> Content:
    """A plain-text MM: text/plain in UTF-8, quoted-printable (7-bit safe for any relay).

    Line breaks become CRLF (MIME's canonical text form); the body always ends in CRLF,
    a soft line break when the text itself does not end a line.
    """
    encoded = binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=True, header=False)
    body = _ANY_NEWLINE.sub(b"\r\n", encoded)
    if not body.endswith(b"\r\n"):
        body += b"=\r\n"
    return Content("text/plain; charset=utf-8", body, "quoted-printable")


def multipart_content(
    parts: Sequence[mime.Part],
    *,
    related: bool = False,
    root_type: str = "application/smil",
    start: str | None = None,
    boundary_seed: str = "",
) -> Content:
    """An MM of several parts: multipart/mixed, or multipart/related led by ``start``."""
    try:
        if related:
            built = mime.build_related(
                parts, root_type=root_type, start=start, boundary_seed=boundary_seed
            )
        else:
            built = mime.build_mixed(parts, boundary_seed=boundary_seed)
    except mime.MimeError as err:
        raise MM4Error(err.field, err.reason) from None
    return Content(built.content_type, built.body)


def content_parts(content: Content) -> list[mime.SplitPart]:
    """The parts of ``content`` (one for a body that is not multipart), decoded on demand."""
    ctype = mime.parse_content_type(content.content_type)
    if ctype.media_type.startswith("multipart/"):
        return list(mime.split(content.body, ctype.param("boundary") or "").parts)
    encoding = (content.transfer_encoding or "").lower()
    headers = [("Content-Type", content.content_type)]
    if content.transfer_encoding is not None:
        headers.append(("Content-Transfer-Encoding", content.transfer_encoding))
    return [
        mime.SplitPart(
            headers=tuple(headers),
            content_id=None,
            content_type=content.content_type,
            media_type=ctype.media_type,
            transfer_encoding=encoding,
            raw=content.body,
        )
    ]
