"""Safe XML for PAP: a DOCTYPE read by hand and never handed to the parser.

Every PAP document carries ``<!DOCTYPE pap PUBLIC "..." "...">`` (and PAP 2.0
an internal subset holding only ``<?wap-pap-ver ...?>``), so "no DOCTYPE at
all", which the MM7 codec enforces, is not an option here. Instead the
DOCTYPE is scanned here: its public id names the PAP version; an internal
subset may hold processing instructions, comments and white space only (a
markup declaration or a parameter entity is refused: nothing is ever
declared, let alone expanded); and the DOCTYPE is blanked out before libxml2
sees the bytes, which parses with no DTD loading, no entity resolution and
no network. An entity reference other than the five predefined ones is then
a well-formedness error. Documents in UTF-16/32 are transcoded first, so no
encoding hides a DOCTYPE from the scan; the parsed tree is checked again for
a DTD all the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from .types import BAD_REQUEST, DOCTYPES, PapError

#: Bytes of a PAP document the codec reads at most (a PPG's HTTP limit is usually lower).
MAX_DOCUMENT = 1_000_000

_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)
_DECL = re.compile(rb"\A(\xef\xbb\xbf)?\s*<\?xml\s[^?]*\?>")
_DECL_ENCODING = re.compile(rb"(\bencoding\s*=\s*)([\"'])[A-Za-z0-9._:-]+\2")
_NAME = re.compile(rb"[A-Za-z_:][A-Za-z0-9._:-]*")
_SPACE = b" \t\r\n"
#: Typographic quotes some PIs write around attribute values.
_OPEN_Q = "\u201c\u201d\u201e\u2018\u2019"
_CLOSE_Q = "\u201c\u201d\u2018\u2019"
_CURLY = re.compile(f'(=[ \t\r\n]*)[{_OPEN_Q}]([^{_CLOSE_Q}"<>]*)[{_CLOSE_Q}]')
_CURLY_NAME = re.compile(
    r"([A-Za-z_][A-Za-z0-9._-]*)[ \t\r\n]*=[ \t\r\n]*[\u201c\u201d\u201e\u2018\u2019]"
)


@dataclass(frozen=True)
class Doctype:
    name: str
    public_id: str | None
    system_id: str | None
    internal_subset: str  # only PIs, comments and white space
    start: int
    end: int  # the byte after '>'

    @property
    def version(self) -> str | None:
        """The PAP version its public id names; None if it names none."""
        for version, (public_id, _system) in DOCTYPES.items():
            if self.public_id == public_id:
                return version
        return None

    @property
    def pap_ver_pi(self) -> str | None:
        """``supported-versions`` of a ``<?wap-pap-ver ...?>`` in the internal subset."""
        m = re.search(
            r'<\?wap-pap-ver\s+supported-versions\s*=\s*["\']([^"\']*)["\']', self.internal_subset
        )
        return m.group(1) if m else None


def transcode(data: bytes) -> bytes:
    """UTF-16/32 (by BOM, or by NULs in the first bytes) as UTF-8, declaration fixed, so the
    byte scans below see the markup as it is."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _to_utf8(data[len(bom) :], name)
    head = data[:4]
    if len(head) == 4 and b"\x00" in head:
        guess = {
            b"\x00<\x00?": "utf-16-be",
            b"<\x00?\x00": "utf-16-le",
            b"\x00\x00\x00<": "utf-32-be",
            b"<\x00\x00\x00": "utf-32-le",
        }.get(head)
        if guess is None:
            raise PapError("pap", "NUL bytes in the document", BAD_REQUEST)
        return _to_utf8(data, guess)
    return data


def _to_utf8(data: bytes, encoding: str) -> bytes:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise PapError("pap", f"not valid {encoding}", BAD_REQUEST) from None
    out = text.encode("utf-8")
    m = _DECL.match(out)
    if m is not None:
        decl = _DECL_ENCODING.sub(rb'\1"UTF-8"', m.group(0))
        out = decl + out[m.end() :]
    return out


def _skip_space(data: bytes, i: int) -> int:
    while i < len(data) and data[i] in _SPACE:
        i += 1
    return i


def _literal(data: bytes, i: int, what: str) -> tuple[str, int]:
    if i >= len(data) or data[i] not in b"\"'":
        raise PapError("pap@DOCTYPE", f"expected a quoted {what}")
    quote = data[i]
    end = data.find(bytes([quote]), i + 1)
    if end < 0:
        raise PapError("pap@DOCTYPE", f"unterminated {what}")
    return data[i + 1 : end].decode("utf-8", "replace"), end + 1


def _internal_subset(data: bytes, i: int) -> tuple[str, int]:
    """The subset after '[' up to its ']': PIs, comments and white space only."""
    start = i
    while i < len(data):
        c = data[i]
        if c in _SPACE:
            i += 1
        elif data.startswith(b"<?", i):
            end = data.find(b"?>", i + 2)
            if end < 0:
                break
            i = end + 2
        elif data.startswith(b"<!--", i):
            end = data.find(b"-->", i + 4)
            if end < 0:
                break
            i = end + 3
        elif c == ord("]"):
            return data[start:i].decode("utf-8", "replace"), i + 1
        elif data.startswith(b"<!", i) or c == ord("%"):
            what = _NAME.match(data, i + 2)
            kind = what.group(0).decode() if what and data.startswith(b"<!", i) else "%entity;"
            raise PapError(
                "pap@DOCTYPE",
                f"{kind} in the internal subset: markup declarations are refused "
                "(the DTD is never read or expanded)",
            )
        else:
            raise PapError("pap@DOCTYPE", "unexpected content in the internal subset")
    raise PapError("pap@DOCTYPE", "unterminated internal subset")


def find_doctype(data: bytes) -> Doctype | None:
    """The document's DOCTYPE, read without a DTD parser; None when it has none.

    Only the prolog is searched (up to the first element): a "<!DOCTYPE"
    after the root has started is markup libxml2 refuses anyway.
    """
    i = 0
    m = _DECL.match(data)
    if m is not None:
        i = m.end()
    while True:
        i = _skip_space(data, i)
        if data.startswith(b"<!--", i):
            end = data.find(b"-->", i + 4)
            if end < 0:
                return None
            i = end + 3
        elif data.startswith(b"<?", i):
            end = data.find(b"?>", i + 2)
            if end < 0:
                return None
            i = end + 2
        else:
            break
    if not data.startswith(b"<!DOCTYPE", i):
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise PapError("pap@DOCTYPE", "a DOCTYPE or ENTITY declaration outside the prolog")
        return None
    start = i
    i = _skip_space(data, i + len(b"<!DOCTYPE"))
    name = _NAME.match(data, i)
    if name is None:
        raise PapError("pap@DOCTYPE", "no document type name")
    i = _skip_space(data, name.end())
    public_id = system_id = None
    if data.startswith(b"PUBLIC", i):
        public_id, i = _literal(data, _skip_space(data, i + 6), "public id")
        i = _skip_space(data, i)
        if i < len(data) and data[i] in b"\"'":
            system_id, i = _literal(data, i, "system id")
    elif data.startswith(b"SYSTEM", i):
        system_id, i = _literal(data, _skip_space(data, i + 6), "system id")
    i = _skip_space(data, i)
    subset = ""
    if i < len(data) and data[i] == ord("["):
        subset, i = _internal_subset(data, i + 1)
        i = _skip_space(data, i)
    if i >= len(data) or data[i] != ord(">"):
        raise PapError("pap@DOCTYPE", "malformed DOCTYPE")
    if b"<!DOCTYPE" in data[i:] or b"<!ENTITY" in data[i:]:
        raise PapError("pap@DOCTYPE", "a second DOCTYPE or an ENTITY declaration")
    return Doctype(name.group(0).decode(), public_id, system_id, subset, start, i + 1)


def blank(data: bytes, start: int, end: int) -> bytes:
    """``data`` with [start, end) replaced by spaces (newlines kept, so lines still count)."""
    span = bytes(b if b == 0x0A else 0x20 for b in data[start:end])
    return data[:start] + span + data[end:]


_PARSER_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    load_dtd=False,
    dtd_validation=False,
    remove_blank_text=False,
)


def parse(data: bytes) -> etree._Element:
    """Parse DTD-free bytes; PapError(2000) for anything not well formed."""
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise PapError("pap", f"not well-formed XML: {exc}") from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise PapError("pap@DOCTYPE", "a DTD reached the parser")
    return root


def fix_typographic_quotes(data: bytes) -> tuple[bytes, str] | None:
    """The bytes with “…” around attribute values made plain quotes, and the first
    attribute so written; None when there is none."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    name = _CURLY_NAME.search(text)
    if name is None:
        return None
    fixed = _CURLY.sub(lambda m: f'{m.group(1)}"{m.group(2)}"', text)
    return fixed.encode("utf-8"), name.group(1)
