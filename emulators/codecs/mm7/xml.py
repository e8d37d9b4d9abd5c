"""Safe XML parsing and the helpers every reader uses: the per-call Reader
(mode, namespace, deviations), schema sequences, simple and complex content."""

from __future__ import annotations

import codecs
import re
import threading
from collections.abc import Callable, Sequence

from lxml import etree

from .rules import STATUS_FORMAT, STATUS_SCHEMA, XML_SPACE, CodecConfig, Mode, Slot
from .types import MM7_NAMESPACES, SOAP_ENV_NS, Deviation, MM7Error

_XML_DECL_ENCODING = re.compile(
    rb"\A(?:\xef\xbb\xbf)?<\?xml\s[^>]*?\bencoding\s*=\s*([\"'])([A-Za-z][A-Za-z0-9._:-]*)\1"
)


#: Clark tag -> (namespace or None, local name). Tags repeat across messages (a few dozen
#: names in eleven namespaces), so each is split once; bounded, so a peer sending endless
#: new names costs at most this many entries.
_TAGS: dict[str, tuple[str | None, str]] = {}
_MAX_TAGS = 4096


def split_tag(tag: str) -> tuple[str | None, str]:
    """(namespace, local name) of an element's ``tag``, as ``etree.QName`` gives them."""
    found = _TAGS.get(tag)
    if found is not None:
        return found
    qn = etree.QName(tag)
    found = (qn.namespace, qn.localname)
    if len(_TAGS) < _MAX_TAGS:
        _TAGS[tag] = found
    return found


class Reader:
    """Per-call state: mode, the namespace being read and the deviations so far."""

    def __init__(self, config: CodecConfig) -> None:
        self.config = config
        self.strict = config.mode is Mode.STRICT
        self.deviations: list[Deviation] = []
        self._codes: set[str] = set()
        self._pairs: set[tuple[str, str]] = set()
        self.ns: str | None = config.namespace  # namespace of the MM7 elements being read
        self.rel5 = False

    def deviate(
        self,
        code: str,
        element: str,
        detail: str,
        status: int = STATUS_SCHEMA,
        *,
        once: bool = False,
    ) -> None:
        """Record once per (code, element), or per code with ``once``, and go on.

        Both modes read on past a deviation: strict refuses at the end of the
        message, with all of them (``decode``), so a peer learns every fault
        of a message from one answer.
        """
        # Sets, not a scan of the list: a hostile message may hold thousands.
        if code in self._codes and (once or (code, element) in self._pairs):
            return
        self._codes.add(code)
        self._pairs.add((code, element))
        self.deviations.append(Deviation(code, element, detail, int(status)))

    def mm7_name(self, el: etree._Element) -> str | None:
        """Local name of an MM7 child element, or None for a foreign element."""
        namespace, localname = split_tag(el.tag)
        if namespace == self.ns:
            return localname
        if namespace is None:
            # Peers that do this do it for every child: record it once per message.
            self.deviate(
                "children-no-namespace",
                localname,
                f"{localname} (and siblings) in no namespace, expected {self.ns}",
                once=True,
            )
            return localname
        return None

    def fault_name(self, el: etree._Element) -> str | None:
        """SOAP 1.1 Fault children are unqualified; some toolkits qualify them."""
        qn = etree.QName(el)
        if qn.namespace is None:
            return qn.localname
        if qn.namespace == SOAP_ENV_NS:
            self.deviate(
                "fault-children-qualified",
                qn.localname,
                f"{qn.localname} qualified, SOAP 1.1 has it unqualified",
                once=True,
            )
            return qn.localname
        if qn.namespace in MM7_NAMESPACES or qn.namespace == self.config.namespace:
            # An Envelope whose default namespace is MM7's puts the unprefixed
            # Fault children in it. Unambiguous: SOAP 1.1 has no MM7 Fault children.
            self.deviate(
                "fault-children-namespaced",
                qn.localname,
                f"{qn.localname} in the MM7 namespace {qn.namespace}, SOAP 1.1 has it unqualified",
                once=True,
            )
            return qn.localname
        return None


# --------------------------------------------------------------------------- parsing


def _charset_override(r: Reader, data: bytes) -> str | None:
    """Detect a declaration that says e.g. ISO-8859-1 over bytes that are UTF-8."""
    match = _XML_DECL_ENCODING.match(data)
    if match is None:
        return None
    declared = match.group(2).decode("ascii")
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        raise MM7Error("xml@encoding", f"unknown charset {declared!r}", STATUS_FORMAT) from None
    if name.startswith(("utf-8", "utf-16", "utf-32")) or data.isascii():
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None  # not UTF-8 either: trust the declaration
    r.deviate(
        "charset-mismatch",
        "xml@encoding",
        f"declares {declared} but the bytes are UTF-8",
        STATUS_FORMAT,
    )
    return "utf-8"


def _leading_space(r: Reader, data: bytes) -> bytes:
    """Blank lines before the XML declaration: XML 1.0 wants the declaration
    first (libxml2 refuses), but nothing is lost by dropping them."""
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    rest = data[len(bom) :].lstrip(b" \t\r\n")
    if len(rest) == len(data) - len(bom) or not rest.startswith(b"<?xml"):
        return data  # none, or no declaration after it (then white space is legal)
    r.deviate(
        "space-before-xml-declaration",
        "xml declaration",
        f"{len(data) - len(bom) - len(rest)} white-space bytes before the XML declaration",
        STATUS_FORMAT,
    )
    return bom + rest


_parsers = threading.local()


def _parser(encoding: str | None) -> etree.XMLParser:
    """The safe parser for ``encoding`` (None: as the document declares), made once per
    thread: making one costs more than parsing a small envelope, and an lxml parser must
    not be shared between threads. A parser keeps no state between documents."""
    cache: dict[str | None, etree.XMLParser] | None = getattr(_parsers, "by_encoding", None)
    if cache is None:
        cache = _parsers.by_encoding = {}
    parser = cache.get(encoding)
    if parser is None:
        parser = cache[encoding] = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            remove_blank_text=False,
            load_dtd=False,
            encoding=encoding,
        )
    return parser


def parse_xml(r: Reader, data: bytes) -> etree._Element:
    data = _leading_space(r, data)
    # Refuse DTDs before libxml2 sees them, so no entity can be declared,
    # let alone expanded (XXE, billion laughs). The post-parse check below
    # catches DTDs the byte scan misses (e.g. UTF-16 documents).
    if b"<!DOCTYPE" in data:
        raise MM7Error("Envelope", "DTD not allowed", STATUS_FORMAT)
    parser = _parser(_charset_override(r, data))
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise MM7Error("Envelope", f"malformed XML: {exc}", STATUS_FORMAT) from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise MM7Error("Envelope", "DTD not allowed", STATUS_FORMAT)
    return root


# --------------------------------------------------------------------------- content


def child_elements(el: etree._Element) -> list[etree._Element]:
    # Elements only: no comments, processing instructions or entities (lxml filters in C).
    return list(el.iterchildren(etree.Element))


def no_text(el: etree._Element, name: str, status: int = STATUS_SCHEMA) -> None:
    """Complex elements carry only whitespace between their children."""
    text = el.text
    if text and text.strip(XML_SPACE):
        raise MM7Error(name, "unexpected text content", status)
    for child in el:
        tail = child.tail
        if tail and tail.strip(XML_SPACE):
            raise MM7Error(name, "unexpected text content", status)


def text_of(el: etree._Element, name: str) -> str:
    """Text of a simple element; comments inside are dropped, child elements refused."""
    pieces = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str):
            raise MM7Error(name, f"unexpected child element {etree.QName(child).localname}")
        pieces.append(child.tail or "")
    return "".join(pieces)


Seq = dict[str, list[etree._Element]]

#: id(slots) -> (slots, name -> position): the rules' sequences are module constants, read
#: on every message; the tuple is kept beside its index so an id is never reused for another.
_INDEXES: dict[int, tuple[Sequence[Slot], dict[str, int]]] = {}


def _index_of(slots: Sequence[Slot]) -> dict[str, int]:
    cached = _INDEXES.get(id(slots))
    if cached is not None and cached[0] is slots:
        return cached[1]
    index = {slot.name: i for i, slot in enumerate(slots)}
    if len(_INDEXES) < 256:
        _INDEXES[id(slots)] = (slots, index)
    return index


def read_sequence(
    r: Reader,
    parent: etree._Element,
    where: str,
    slots: Sequence[Slot],
    *,
    name_of: Callable[[etree._Element], str | None] | None = None,
    foreign: str = "unknown-element",
    aliases: dict[str, tuple[str, str]] | None = None,
) -> Seq:
    """Check the children of ``parent`` against a schema sequence.

    Returns the children by slot name. Unknown elements are skipped (lenient)
    or refused (strict); order and Rel-6 membership are checked the same way;
    duplicates and missing mandatory elements are refused in both modes.
    ``aliases`` maps a wrong element name to (slot, deviation code), used only
    when the right element is absent.
    """
    name_of = name_of or r.mm7_name
    no_text(parent, where)
    index = _index_of(slots)
    children = [(child, name_of(child)) for child in child_elements(parent)]
    present = {name for _, name in children}
    seen: Seq = {}
    high = -1
    for child, name in children:
        if aliases and name in aliases and aliases[name][0] not in present:
            target, code = aliases[name]
            r.deviate(code, name, f"{name} where {where} has {target}")
            name = target
        if name is None or name not in index:
            shown = name or etree.QName(child).localname
            r.deviate(foreign, shown, f"{shown} is not an element of {where}")
            continue
        slot = slots[index[name]]
        if name in seen and not slot.many:
            raise MM7Error(name, f"duplicate in {where}")
        if slot.rel6 and r.rel5:
            r.deviate("rel6-element-in-rel5", name, f"{name} is not in REL-5")
        if index[name] < high:
            r.deviate("out-of-order", name, f"{name} out of order in {where}")
        high = max(high, index[name])
        seen.setdefault(name, []).append(child)
    for slot in slots:
        if slot.required and slot.name not in seen:
            raise MM7Error(slot.name, f"missing in {where}")
    return seen


def one(seq: Seq, name: str) -> etree._Element | None:
    found = seq.get(name)
    return found[0] if found else None


def opt_text(seq: Seq, name: str) -> str | None:
    el = one(seq, name)
    return None if el is None else text_of(el, name)
