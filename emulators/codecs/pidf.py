"""PIDF presence documents (RFC 3863), with the two extensions bearer choice reads.

A document describes one client (``entity``) by tuples, each a way to reach
it: ``<basic>open</basic>`` says it can be reached that way now. The
client-information exchange of this kit (README, "Bearer choice") adds, in
the namespace ``urn:mmsconf:params:xml:ns:pidf:push``, which push bearer a
tuple is (``<push:bearer>SIP</push:bearer>`` or ``UDP``) and the SIP feature
tags its contact registered with (``<push:feature-tag>``); RFC 5196's
``<caps:servcaps><caps:methods>`` may list the SIP methods the contact takes.

Sans-IO, strict and lenient like every codec here. The XML is parsed with no
DTD at all (a DOCTYPE is refused before libxml2 sees the bytes), no entity
resolution and no network; a document is at most ``MAX_DOCUMENT`` bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from lxml import etree

PIDF_NS = "urn:ietf:params:xml:ns:pidf"
CAPS_NS = "urn:ietf:params:xml:ns:pidf:caps"
PUSH_NS = "urn:mmsconf:params:xml:ns:pidf:push"
MEDIA_TYPE = "application/pidf+xml"
MAX_DOCUMENT = 64_000
BASIC = ("open", "closed")
#: The push bearers a tuple may name.
BEARERS = ("SIP", "UDP")

DEVIATION_CODES: dict[str, str] = {
    "no-namespace": "PIDF elements in no namespace",
    "basic-case": "a basic status not in lower case (Open, CLOSED)",
    "tuple-id-missing": "a tuple without its id attribute",
    "unknown-element": "an element in the PIDF namespace that PIDF does not define there",
    "bearer-case": "a push bearer name not in upper case (sip, udp)",
    "status-missing": "a tuple without status",
}


class Mode(StrEnum):
    STRICT = "strict"
    LENIENT = "lenient"


class PidfError(Exception):
    def __init__(self, field: str, reason: str, deviation: str | None = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.deviation = deviation


@dataclass(frozen=True)
class Deviation:
    code: str
    field: str
    detail: str


@dataclass(frozen=True)
class Tuple:
    id: str
    basic: str | None = None  # "open", "closed" or None (not said)
    contact: str | None = None
    priority: float | None = None
    bearer: str | None = None  # one of BEARERS, or None for a tuple that names none
    feature_tags: tuple[str, ...] = ()  # e.g. '+g.oma.pusheventapp="mms.ua"'
    methods: tuple[str, ...] = ()  # caps:methods/caps:supported
    notes: tuple[str, ...] = ()

    @property
    def open(self) -> bool:
        return self.basic == "open"


@dataclass(frozen=True)
class Presence:
    entity: str
    tuples: tuple[Tuple, ...] = ()
    notes: tuple[str, ...] = ()

    def bearer(self, name: str) -> Tuple | None:
        return next((t for t in self.tuples if t.bearer == name), None)


@dataclass
class Decoded:
    presence: Presence
    deviations: list[Deviation] = field(default_factory=list)


class _Reader:
    def __init__(self, mode: Mode) -> None:
        self.strict = mode is Mode.STRICT
        self.deviations: list[Deviation] = []
        self.ns: str | None = PIDF_NS

    def deviate(self, code: str, where: str, detail: str) -> None:
        if self.strict:
            raise PidfError(where, f"{detail} ({code})", deviation=code)
        if not any(d.code == code and d.field == where for d in self.deviations):
            self.deviations.append(Deviation(code, where, detail))

    def pidf(self, el: etree._Element) -> str | None:
        """The local name of a PIDF element (or None for an extension)."""
        qn = etree.QName(el)
        return qn.localname if qn.namespace == self.ns else None


def _parse(data: bytes) -> etree._Element:
    if len(data) > MAX_DOCUMENT:
        raise PidfError("presence", f"document over {MAX_DOCUMENT} bytes")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise PidfError("presence", "DTD not allowed")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise PidfError("presence", f"not well-formed XML: {exc}") from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise PidfError("presence", "DTD not allowed")
    return root


def _text(el: etree._Element, where: str) -> str:
    if any(isinstance(c.tag, str) for c in el):
        raise PidfError(where, "child elements where text belongs")
    return "".join(el.itertext()).strip()


def _tuple(r: _Reader, el: etree._Element, index: int) -> Tuple:
    where = f"tuple[{index}]"
    tid = el.get("id")
    if not tid:
        r.deviate("tuple-id-missing", where, "no id")
        tid = f"t{index}"
    basic = contact = None
    priority: float | None = None
    bearer = None
    tags: list[str] = []
    methods: list[str] = []
    notes: list[str] = []
    seen_status = False
    for child in el:
        if not isinstance(child.tag, str):
            continue
        name = r.pidf(child)
        qn = etree.QName(child)
        if name == "status":
            seen_status = True
            for s in child:
                if isinstance(s.tag, str) and r.pidf(s) == "basic":
                    value = _text(s, f"{where}/status/basic")
                    if value not in BASIC:
                        if value.lower() not in BASIC:
                            raise PidfError(
                                f"{where}/status/basic", f"{value!r} is not open/closed"
                            )
                        r.deviate("basic-case", f"{where}/status/basic", repr(value))
                        value = value.lower()
                    basic = value
        elif name == "contact":
            contact = _text(child, f"{where}/contact")
            raw = child.get("priority")
            if raw is not None:
                try:
                    priority = float(raw)
                except ValueError:
                    raise PidfError(f"{where}/contact@priority", f"{raw!r}") from None
                if not 0 <= priority <= 1:
                    raise PidfError(f"{where}/contact@priority", f"{raw} is not 0..1")
        elif name == "note":
            notes.append(_text(child, f"{where}/note"))
        elif name == "timestamp":
            pass
        elif name is not None:
            r.deviate("unknown-element", f"{where}/{name}", "not a PIDF tuple child")
        elif qn.namespace == PUSH_NS and qn.localname == "bearer":
            value = _text(child, f"{where}/push:bearer")
            if value not in BEARERS:
                if value.upper() not in BEARERS:
                    raise PidfError(f"{where}/push:bearer", f"{value!r} is not one of {BEARERS}")
                r.deviate("bearer-case", f"{where}/push:bearer", repr(value))
                value = value.upper()
            bearer = value
        elif qn.namespace == PUSH_NS and qn.localname == "feature-tag":
            tags.append(_text(child, f"{where}/push:feature-tag"))
        elif qn.namespace == CAPS_NS and qn.localname == "servcaps":
            methods += _methods(child)
    if not seen_status:
        r.deviate("status-missing", where, "no status")
    return Tuple(tid, basic, contact, priority, bearer, tuple(tags), tuple(methods), tuple(notes))


def _methods(servcaps: etree._Element) -> list[str]:
    out = []
    for el in servcaps.iter(f"{{{CAPS_NS}}}supported"):
        parent = el.getparent()
        if parent is not None and etree.QName(parent).localname == "methods":
            out += [etree.QName(m).localname for m in el if isinstance(m.tag, str)]
    return out


def decode(data: bytes, mode: Mode | str = Mode.STRICT) -> Decoded:
    """A presence document; PidfError naming the element otherwise."""
    r = _Reader(Mode(mode))
    root = _parse(data)
    qn = etree.QName(root)
    if qn.localname != "presence":
        raise PidfError(qn.localname, "the root element must be presence")
    if qn.namespace is None:
        r.deviate("no-namespace", "presence", f"expected {PIDF_NS}")
        r.ns = None
    elif qn.namespace != PIDF_NS:
        raise PidfError("presence", f"namespace {qn.namespace}, expected {PIDF_NS}")
    entity = root.get("entity")
    if not entity or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:\S+", entity):
        raise PidfError("presence@entity", f"{entity!r} is not a URI")
    tuples, notes = [], []
    for child in root:
        if not isinstance(child.tag, str):
            continue
        name = r.pidf(child)
        if name == "tuple":
            tuples.append(_tuple(r, child, len(tuples)))
        elif name == "note":
            notes.append(_text(child, "presence/note"))
        elif name is not None:
            r.deviate("unknown-element", f"presence/{name}", "not a PIDF presence child")
    ids = [t.id for t in tuples]
    if len(set(ids)) != len(ids):
        raise PidfError("tuple@id", "tuple ids repeat")
    return Decoded(Presence(entity, tuple(tuples), tuple(notes)), r.deviations)


def _esc(value: str) -> str:
    for ch in value:
        if (
            (ord(ch) < 0x20 and ch not in "\t\r\n")
            or 0xD800 <= ord(ch) <= 0xDFFF
            or ch in "\ufffe\uffff"
        ):
            raise PidfError("presence", f"character U+{ord(ch):04X} cannot be written in XML")
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def encode(presence: Presence) -> bytes:
    """The document, prefixed namespaces for the extensions, tuples in order."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<presence xmlns="{PIDF_NS}" xmlns:caps="{CAPS_NS}" xmlns:push="{PUSH_NS}" '
        f'entity="{_esc(presence.entity)}">',
    ]
    for t in presence.tuples:
        out.append(f'<tuple id="{_esc(t.id)}"><status>')
        if t.basic is not None:
            if t.basic not in BASIC:
                raise PidfError("basic", f"{t.basic!r} is not open/closed")
            out.append(f"<basic>{t.basic}</basic>")
        out.append("</status>")
        if t.methods:
            supported = "".join(f"<caps:{m}/>" for m in t.methods)
            out.append(
                f"<caps:servcaps><caps:methods><caps:supported>{supported}"
                "</caps:supported></caps:methods></caps:servcaps>"
            )
        if t.bearer is not None:
            out.append(f"<push:bearer>{_esc(t.bearer)}</push:bearer>")
        out += [f"<push:feature-tag>{_esc(tag)}</push:feature-tag>" for tag in t.feature_tags]
        if t.contact is not None:
            prio = f' priority="{t.priority:g}"' if t.priority is not None else ""
            out.append(f"<contact{prio}>{_esc(t.contact)}</contact>")
        out += [f"<note>{_esc(n)}</note>" for n in t.notes]
        out.append("</tuple>")
    out += [f"<note>{_esc(n)}</note>" for n in presence.notes]
    out.append("</presence>\n")
    return "".join(out).encode("utf-8")
