"""The gateway status document (codecs/gateway_status.py) for its fuzz target.

Valid documents come from ``GatewayStatus`` values over the whole range the
document allows (integers and floats, the optional members present or not);
the mutators damage what a broken gateway would send: one member's value
replaced by another JSON type (a string, a negative number, null, nested,
an overflowing float, a 300-character string), or one member dropped.
"""

from __future__ import annotations

import json
import random

from hypothesis import strategies as st

from mmsconf.emulators.codecs import gateway_status as gs

NUMBER = st.one_of(st.integers(0, 10**9), st.floats(0, 1e9, allow_nan=False))
STATUS = st.builds(
    gs.GatewayStatus,
    delay_ms=NUMBER,
    traffic=st.integers(0, 10**9),
    max_traffic=st.integers(0, 10**9),
    throughput=NUMBER,
    max_throughput=NUMBER,
    overloaded=st.booleans(),
    gateway=st.one_of(st.none(), st.text(max_size=30)),
    accepted=st.one_of(st.none(), st.integers(0, 10**12)),
)

#: Bodies a status resource answering garbage might send.
JUNK = st.binary(max_size=300)
#: What the Content-Type header might say (None: absent).
JUNK_CONTENT_TYPES = st.one_of(
    st.none(),
    st.sampled_from(
        [gs.CONTENT_TYPE, "application/json; charset=utf-8", "text/plain", "text/html", ""]
    ),
    st.text(max_size=40),
)


def json_value(rnd: random.Random, body: bytes) -> bytes:
    """One member's value replaced by another JSON type (a string, negative, nested, null)."""
    try:
        obj = json.loads(body)
    except ValueError:
        return body
    if not isinstance(obj, dict) or not obj:
        return body
    key = rnd.choice(sorted(obj))
    obj[key] = rnd.choice(["12", -1, None, [], {"a": 1}, True, 1e400, "x" * 300, 1.5])
    return json.dumps(obj).encode()


def json_drop(rnd: random.Random, body: bytes) -> bytes:
    """One member left out."""
    try:
        obj = json.loads(body)
    except ValueError:
        return body
    if isinstance(obj, dict) and obj:
        obj.pop(rnd.choice(sorted(obj)))
    return json.dumps(obj).encode()


MUTATORS = (json_value, json_drop)
