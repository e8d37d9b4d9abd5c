"""Hostile XML against the PAP, SI and PIDF codecs: refused before anything is expanded,
fetched or read, with memory bounded - as for MM7 (test_xml_safety.py).

PAP documents carry a DOCTYPE, so the PAP codec cannot refuse every DTD as the MM7
codec does: it reads the DOCTYPE by hand, refuses any markup declaration in an internal
subset, and blanks the DOCTYPE before libxml2 parses (no DTD, no entities, no network).
PIDF refuses any DTD. Peak Python-heap memory while refusing is measured with
tracemalloc and bounded by a small multiple of the input.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from mmsconf.emulators.codecs import pap, pidf, si

MIB = 1024 * 1024

PAP_DOCTYPE = (
    '<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.1//EN" "http://127.0.0.1:{port}/pap.dtd"'
)

LAUGHS = '<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
    for i in range(1, 10)
)


@pytest.fixture
def canary(tmp_path: Path):
    """A FIFO and a listening socket: either notices being read from or connected to."""
    fifo = tmp_path / "canary.fifo"
    os.mkfifo(fifo)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    touched: list[str] = []

    def watch() -> None:
        try:
            conn, _ = listener.accept()
            touched.append("socket")
            conn.close()
        except OSError:
            pass

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    yield fifo, listener.getsockname()[1], touched
    thread.join(1)
    listener.close()
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        touched.append("fifo")  # someone had it open for reading
    except OSError:
        pass
    assert touched == [], f"the parser reached out: {touched}"


def _attacks(fifo: Path, port: int) -> dict[str, bytes]:
    head = PAP_DOCTYPE.format(port=port)
    return {
        "external file entity": f'{head} [<!ENTITY x SYSTEM "file://{fifo}">]><pap>&x;</pap>',
        "network entity": f'{head} [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/x">]><pap>&x;</pap>',
        "parameter entity": f'{head} [<!ENTITY % p SYSTEM "file://{fifo}"> %p;]><pap/>',
        "billion laughs": f"{head} [{LAUGHS}]><pap>&lol9;</pap>",
        "the DTD by URL only": f"{head}><pap><push-message push-id='&undeclared;'/></pap>",
    }


@pytest.mark.parametrize("mode", ["strict", "lenient"])
def test_pap_attacks_are_refused_without_reaching_out(canary, mode: str) -> None:
    fifo, port, _touched = canary
    for name, doc in _attacks(fifo, port).items():
        with pytest.raises(pap.PapError) as err:
            pap.decode(doc.encode(), mode)
        assert err.value.code == pap.BAD_REQUEST, name


def test_si_and_pidf_refuse_entities(canary) -> None:
    fifo, port, _touched = canary
    doc = f'<!DOCTYPE si [<!ENTITY x SYSTEM "file://{fifo}">]><si><indication>&x;</indication></si>'
    with pytest.raises(si.SiError):
        si.decode_text(doc.encode())
    presence = (
        f'<!DOCTYPE presence [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/">]>'
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="tel:+1">&x;</presence>'
    )
    with pytest.raises(pidf.PidfError):
        pidf.decode(presence.encode(), "lenient")


def _peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    with contextlib.suppress(pap.PapError, pidf.PidfError, si.SiError):
        fn()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


BIG = {
    "100 000 nested elements": b"<pap>" + b"<a>" * 100_000,
    "a 900 KB attribute": b'<pap><push-message push-id="' + b"x" * 900_000 + b'"/></pap>',
    "100 000 attributes": b"<pap><push-message "
    + b" ".join(b"a%d='1'" % i for i in range(100_000))
    + b"/></pap>",
    "a 900 KB internal subset of comments": b"<!DOCTYPE pap [<!--"
    + b"c" * 900_000
    + b"-->]><pap/>",
}


@pytest.mark.parametrize("name", list(BIG))
def test_pap_memory_is_bounded_while_refusing(name: str) -> None:
    data = BIG[name]
    peak = _peak(lambda: pap.decode(data, "lenient"))
    print(f"{name}: {len(data)} B in, peak {peak / MIB:.1f} MiB")
    assert peak < 8 * len(data) + MIB


def test_oversized_documents_are_refused_before_parsing() -> None:
    for decode, limit in (
        (lambda d: pap.decode(d), pap.xml.MAX_DOCUMENT),
        (lambda d: pidf.decode(d), pidf.MAX_DOCUMENT),
    ):
        data = b"<x>" + b" " * (limit + 1) + b"</x>"
        peak = _peak(lambda d=data, f=decode: f(d))
        assert peak < MIB // 4, peak


def test_pidf_nesting_and_width_are_bounded() -> None:
    deep = b'<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="tel:+1">' + b"<a>" * 20_000
    with pytest.raises(pidf.PidfError):
        pidf.decode(deep, "lenient")
    peak = _peak(lambda: pidf.decode(deep, "lenient"))
    assert peak < 8 * len(deep) + MIB
