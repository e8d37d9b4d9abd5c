"""Readers of typed leaves and small structures: versions, booleans, enumerations,
dates, integers, addresses and Status."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from email.utils import parsedate_tz

from lxml import etree

from .rules import (
    ADDRESS_KINDS,
    KNOWN_VERSIONS,
    STATUS_SEQUENCE,
    STATUS_VERSION,
    XML_SPACE,
)
from .types import Address, MM7Error, Status
from .xml import Reader, Seq, child_elements, no_text, one, opt_text, read_sequence, text_of

_MAX_DIGITS = 40  # significant digits a StatusCode may have

# xs:dateTime, with field ranges so "2024-13-40T..." is not taken for a date.
_XS_DATETIME = re.compile(
    r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?"
    r"(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))?",
    re.ASCII,  # \d is [0-9]: "٢٠٢٤" is no year
)
# xs:duration (relative ExpiryDate / EarliestDeliveryTime, e.g. P2D, PT1H30M): at
# least one field, and a T only with a time field after it.
_XS_DURATION = re.compile(
    r"-?P(?!\Z)(\d+Y)?(\d+M)?(\d+D)?(T(?!\Z)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?", re.ASCII
)
# Dates real peers send instead: 20240501T100000Z, "2024-05-01 10:00:00", +0100 offsets.
_LOOSE_DATES = (
    re.compile(
        r"(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?(?:Z|[+-]\d{2}:?\d{2})?", re.ASCII
    ),
    re.compile(
        r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*"
        r"(?:Z|[+-]\d{2}:?\d{2})?",
        re.ASCII,
    ),
)


def read_version(r: Reader, seq: Seq) -> str:
    el = seq["MM7Version"][0]
    value = text_of(el, "MM7Version").strip(XML_SPACE)
    if value not in KNOWN_VERSIONS:
        r.deviate(
            "unknown-version",
            "MM7Version",
            f"MM7Version {value!r} matches no release",
            STATUS_VERSION,
        )
    return value


def read_bool(r: Reader, raw: str, name: str) -> bool:
    value = raw.strip(XML_SPACE)
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    if value.lower() in ("true", "false"):
        r.deviate("boolean-case", name, f"{value!r} is not an xs:boolean literal")
        return value.lower() == "true"
    raise MM7Error(name, f"{value!r} is not a boolean")


def read_opt_bool(r: Reader, seq: Seq, name: str) -> bool | None:
    el = one(seq, name)
    return None if el is None else read_bool(r, text_of(el, name), name)


def read_enum(seq: Seq, name: str, allowed: Sequence[str]) -> str | None:
    el = one(seq, name)
    if el is None:
        return None
    value = text_of(el, name).strip(XML_SPACE)
    if value not in allowed:
        raise MM7Error(name, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def read_date(r: Reader, el: etree._Element, name: str) -> str:
    value = text_of(el, name).strip(XML_SPACE)
    if _XS_DATETIME.fullmatch(value):
        return value
    if _is_loose_date(value):
        r.deviate("date-format", name, f"{value!r} is not an xs:dateTime")
        return value
    raise MM7Error(name, f"{value!r} is not a date")


def read_time(r: Reader, el: etree._Element, name: str) -> str | None:
    """ExpiryDate / EarliestDeliveryTime: absolute (xs:dateTime) or relative
    (xs:duration), kept as written. Lenient reads a loose date as a date, and
    ignores (None) what is neither: the element is optional, and a guessed time
    would be worse than none."""
    value = text_of(el, name).strip(XML_SPACE)
    if _XS_DATETIME.fullmatch(value) or _XS_DURATION.fullmatch(value):
        return value
    if _is_loose_date(value):
        r.deviate("date-format", name, f"{value!r} is not an xs:dateTime")
        return value
    r.deviate("date-invalid", name, f"{value[:50]!r} is neither an xs:dateTime nor an xs:duration")
    return None


def _is_loose_date(value: str) -> bool:
    """An RFC 822 or compact date whose fields make a real date and time."""
    fields: tuple[int, ...] | None = None
    if any(c.isalpha() for c in value):
        parsed = parsedate_tz(value)
        fields = None if parsed is None else tuple(parsed[:6])
    else:
        for pattern in _LOOSE_DATES:
            match = pattern.fullmatch(value)
            if match:
                fields = tuple(int(g or 0) for g in match.groups())
                break
    if fields is None:
        return False
    try:
        datetime(*fields)  # range check only; the value is kept as written
    except ValueError:
        return False
    return True


def read_int(el: etree._Element, name: str) -> int:
    value = text_of(el, name).strip(XML_SPACE)
    digits = value.removeprefix("+").lstrip("0")
    # Bounded before int(): Python refuses to convert more than 4300 digits
    # (ValueError), and no status code needs more than a handful.
    if not re.fullmatch(r"\+?[0-9]+", value) or not digits or len(digits) > _MAX_DIGITS:
        raise MM7Error(name, f"{value[:50]!r} is not a positive integer")
    return int(digits)


def _bare_address(r: Reader, el: etree._Element, name: str) -> Address | None:
    """Rel-5 <= 5.1 peers write the address as the element's text."""
    if child_elements(el):
        return None
    value = text_of(el, name).strip(XML_SPACE)
    if not value:
        raise MM7Error(name, "empty address")
    kind = "RFC2822Address" if "@" in value else "Number"
    r.deviate("bare-address", name, f"bare text address {value!r} (read as {kind})")
    return Address(value, kind)


def read_addresses(r: Reader, el: etree._Element, name: str) -> tuple[Address, ...]:
    bare = _bare_address(r, el, name)
    if bare is not None:
        return (bare,)
    no_text(el, name)
    found: list[Address] = []
    for child in child_elements(el):
        kind = r.mm7_name(child)
        if kind not in ADDRESS_KINDS:
            shown = kind or etree.QName(child).localname
            r.deviate("unknown-element", shown, f"{shown} is not an address element")
            continue
        value = text_of(child, kind)
        if not value.strip(XML_SPACE):
            raise MM7Error(kind, f"empty address in {name}")
        found.append(Address(value, kind))
    if not found:
        raise MM7Error(name, "no address")
    return tuple(found)


def read_address(r: Reader, el: etree._Element, name: str) -> Address:
    found = read_addresses(r, el, name)
    if len(found) > 1:
        raise MM7Error(name, "more than one address")
    return found[0]


def read_status(r: Reader, el: etree._Element) -> Status:
    seq = read_sequence(r, el, "Status", STATUS_SEQUENCE)
    code = read_int(seq["StatusCode"][0], "StatusCode")
    text = opt_text(seq, "StatusText")
    details_el = one(seq, "Details")
    details = None if details_el is None else _details(details_el)
    return Status(code, text or "", details)


def _details(el: etree._Element) -> str:
    """Details is xs:any: keep markup, each child element with just the namespace
    declarations it uses (exclusive C14N), so nothing is lost.

    Comments and processing instructions straight under Details are dropped, as
    in simple elements: C14N of such a node on its own crashes libxml2 (SIGSEGV).
    """
    pieces = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str):
            try:
                pieces.append(etree.tostring(child, method="c14n", exclusive=True).decode("utf-8"))
            except etree.C14NError:  # e.g. a relative namespace URI, which C14N refuses
                raise MM7Error("Details", "markup that cannot be canonicalised") from None
        pieces.append(child.tail or "")
    return "".join(pieces)
