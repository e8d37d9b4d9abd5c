"""Steps for bearer choice. Thin: they act through the area's driver and judge what the
harness's own roles (the push initiator, the presence server, the handsets) saw on
the wire. The driver's judge (fixtures/areas/bearer_choice/judge.py) names the
clause of the first thing the push gateway got wrong and says what it did.
"""

from __future__ import annotations

from collections.abc import Callable

from pytest_bdd import given, parsers, then, when

from mmsconf.emulators.codecs import pap, sip
from mmsconf.emulators.push_refs import SIP, UDP
from mmsconf.fixtures.areas.bearer_choice import judge
from mmsconf.fixtures.areas.bearer_choice.driver import STATES, BearerChoiceDriver, Push
from mmsconf.fixtures.areas.bearer_choice.judge import BEARER_WORDS
from mmsconf.fixtures.verdicts import BarChart, ClauseViolation, HarnessError, Note, check

# --- Given ---------------------------------------------------------------------------


@given("the bearer-choice network from the SUT profile", target_fixture="bc")
def bc_network(bearer_choice: BearerChoiceDriver) -> BearerChoiceDriver:
    return bearer_choice


@given(parsers.parse("a client {state}"))
def client_in_state(bc: BearerChoiceDriver, state: str) -> None:
    """state: registered for SIP push | not registered for SIP push |
    registered without the push feature tag | that is offline"""
    name = state.removeprefix("that is ")
    if name not in STATES:
        raise HarnessError(f"unknown client state {state!r}; known: {', '.join(STATES)}")
    bc.set_state(name)


@given("the client-information server is down")
def presence_down(bc: BearerChoiceDriver) -> None:
    bc.take_presence_down()


@given(parsers.parse("clients in mixed states: {states}"), target_fixture="mixed_states")
def clients_in_mixed_states(bc: BearerChoiceDriver, states: str) -> list[str]:
    """states: client states separated by commas, given to the handsets in turn"""
    names = [s.strip() for s in states.split(",") if s.strip()]
    unknown = [s for s in names if s not in STATES]
    if unknown:
        raise HarnessError(f"unknown client states {unknown}; known: {', '.join(STATES)}")
    for index in range(bc.handset_count):
        bc.set_state(names[index % len(names)], index)
    return names


# --- When ----------------------------------------------------------------------------


@when("the push initiator pushes an MMS notification to the client", target_fixture="push")
def pi_pushes(bc: BearerChoiceDriver) -> Push:
    return bc.push()


@when(
    parsers.parse(
        "the push initiator pushes an MMS notification to the client, preferring the bearer "
        '"{bearer}"'
    ),
    target_fixture="push",
)
def pi_pushes_preferring(bc: BearerChoiceDriver, bearer: str) -> Push:
    """bearer: a PAP bearer name, e.g. SIP, GPRS"""
    return bc.push(preferred=bearer)


@when(
    parsers.parse(
        "the push initiator pushes an MMS notification to the client, requiring the bearer "
        '"{bearer}"'
    ),
    target_fixture="push",
)
def pi_pushes_requiring(bc: BearerChoiceDriver, bearer: str) -> Push:
    return bc.push(preferred=bearer, required=True)


@when(
    parsers.parse(
        "the push initiator pushes an MMS notification to the client, requiring the bearer "
        '"{bearer}" on the network "{network}"'
    ),
    target_fixture="push",
)
def pi_pushes_requiring_on(bc: BearerChoiceDriver, bearer: str, network: str) -> Push:
    """bearer, network: PAP (WDP) names, e.g. "GHOST/R_DATA" on "GSM"."""
    return bc.push(preferred=bearer, required=True, network=network)


@when(
    parsers.parse(
        "the push initiator pushes {count:d} MMS notifications over them, preferring {prefs} "
        "in turn"
    ),
    target_fixture="mixed",
)
def pi_pushes_mixed(bc: BearerChoiceDriver, count: int, prefs: str) -> list[Push]:
    """prefs: e.g. 'no bearer, SIP and GPRS'"""
    choices: list[str | None] = [
        None if p.strip() == "no bearer" else p.strip()
        for p in prefs.replace(" and ", ", ").split(",")
    ]
    n = bc.handset_count

    def plan(k: int) -> tuple[int, str | None]:
        return k % n, choices[(k // n) % len(choices)]

    return bc.push_many(count, plan)


_MALFORMED_PAP: dict[str, Callable[[BearerChoiceDriver], tuple[str, bytes]]] = {}


def _malformed(name: str):
    def register(fn: Callable[[BearerChoiceDriver], tuple[str, bytes]]):
        _MALFORMED_PAP[name] = fn
        return fn

    return register


def _swap_pap(bc: BearerChoiceDriver, old: bytes, new: bytes) -> tuple[str, bytes]:
    ctype, body = bc.pap_request()
    if old not in body:
        raise HarnessError(f"the valid request has no {old!r} to break")
    return ctype, body.replace(old, new, 1)


@_malformed("a PAP document that is not well-formed XML")
def _not_well_formed(bc: BearerChoiceDriver) -> tuple[str, bytes]:
    return _swap_pap(bc, b"</push-message>", b"</push-mesage>")


@_malformed("a push-message whose address is no address")
def _bad_address(bc: BearerChoiceDriver) -> tuple[str, bytes]:
    ctype, body = bc.pap_request()
    start = body.index(b'address-value="') + len(b'address-value="')
    end = body.index(b'"', start)
    return ctype, body[:start] + b"WAPPUSH=nobody/TYPE=PLMN@ppg" + body[end:]


@_malformed("a PAP document that declares an entity")
def _entity(bc: BearerChoiceDriver) -> tuple[str, bytes]:
    ctype, body = bc.pap_request()
    end = body.index(b'pap_2.1.dtd">') + len(b'pap_2.1.dtd"')
    subset = b' [<!ENTITY x SYSTEM "file:///etc/passwd">]'
    return ctype, body[:end] + subset + body[end:]


@_malformed("a push-message without its content")
def _no_content(bc: BearerChoiceDriver) -> tuple[str, bytes]:
    _ctype, body = bc.pap_request()
    start = body.index(b"<?xml")
    end = body.index(b"</pap>") + len(b"</pap>")
    return "application/xml", body[start:end]


@_malformed("a body that is not PAP at all")
def _not_pap(bc: BearerChoiceDriver) -> tuple[str, bytes]:
    return "text/plain", b"hello, push gateway\r\n"


@when(parsers.parse("a push initiator sends the gateway {what}"), target_fixture="pap_answer")
def sends_malformed_pap(bc: BearerChoiceDriver, what: str) -> tuple[str, object]:
    if what not in _MALFORMED_PAP:
        raise HarnessError(f"unknown malformed PAP {what!r}; known: {sorted(_MALFORMED_PAP)}")
    ctype, body = _MALFORMED_PAP[what](bc)
    return what, bc.send_pap(ctype, body)


_MALFORMED_SIP = {
    "a REGISTER whose CSeq names another method": (b"CSeq: 1 REGISTER", b"CSeq: 1 INVITE"),
    "a REGISTER without Call-ID": (b"Call-ID: hostile-1@127.0.0.1\r\n", b""),
    "a REGISTER whose Content-Length is longer than its body": (
        b"Content-Length: 0",
        b"Content-Length: 40",
    ),
    "a REGISTER whose To is no address": (b"To: <sip:", b"To: <nowhere:"),
}


def _register_bytes(bc: BearerChoiceDriver) -> bytes:
    return (
        f"REGISTER sip:{bc.pixit.domain} SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-hostile-1\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:hostile@{bc.pixit.domain}>;tag=h1\r\n"
        f"To: <sip:hostile@{bc.pixit.domain}>\r\n"
        "Call-ID: hostile-1@127.0.0.1\r\n"
        "CSeq: 1 REGISTER\r\n"
        "Contact: <sip:hostile@127.0.0.1:5999>;expires=0\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


@when(parsers.parse("a SIP peer sends the gateway's registrar {what}"), target_fixture="sip_answer")
def sends_malformed_sip(bc: BearerChoiceDriver, what: str) -> tuple[str, object]:
    if what not in _MALFORMED_SIP:
        raise HarnessError(f"unknown malformed SIP {what!r}; known: {sorted(_MALFORMED_SIP)}")
    old, new = _MALFORMED_SIP[what]
    data = _register_bytes(bc).replace(old, new, 1)
    return what, bc.send_sip(data)


# --- Then --------------------------------------------------------------------------------


def _expecting(bc: BearerChoiceDriver, push: Push, bearer: str | None) -> None:
    """The feature file's words and the client state must call for the same thing."""
    if push.expect.bearer != bearer:
        raise HarnessError(
            f"the scenario says {BEARER_WORDS[bearer]}, but its client state calls for "
            f"{BEARER_WORDS[push.expect.bearer]}: a mistake in the feature file"
        )


@then("the push reaches the client by SIP push in exactly one attempt")
def by_sip(bc: BearerChoiceDriver, push: Push) -> None:
    _expecting(bc, push, SIP)
    bc.judge(push)


@then("the push reaches the client by WAP push over UDP in exactly one attempt")
def by_udp(bc: BearerChoiceDriver, push: Push) -> None:
    _expecting(bc, push, UDP)
    bc.judge(push)


@then("no delivery attempt reaches the client")
def no_attempt(bc: BearerChoiceDriver, push: Push) -> None:
    _expecting(bc, push, None)
    bc.judge(push)


@then(
    parsers.parse(
        "the gateway refuses the push at once with PAP code {code:d}, and no attempt reaches "
        "the client"
    )
)
def refused_at_once(bc: BearerChoiceDriver, push: Push, code: int) -> None:
    story = bc.settled_story(push)
    sent = story.sent[0] if story.sent else None
    check(
        sent is not None and not sent.problem and sent.code == code,
        "bc_via_server",
        f"push-response {code} ({pap.RESULT_CODES.get(code, '?')}) to the push-message",
        judge.tell(story),
    )
    check(not story.attempts, "bc_no_retry", "no delivery attempt", judge.tell(story))


@then(parsers.parse('the push initiator gets a result notification saying "{state}"'))
def told(bc: BearerChoiceDriver, push: Push, state: str) -> None:
    """state: delivered | undeliverable"""
    if push.expect.state != state:
        raise HarnessError(
            f"the scenario says {state}, but its client state calls for {push.expect.state}"
        )
    if not bc.pics.result_notifications:
        raise HarnessError("a result-notification step needs @needs_result_notifications")
    bc.judge(push)


@then("the push reaches the client by the documented fallback")
def by_fallback(bc: BearerChoiceDriver, push: Push) -> None:
    if not push.expect.fallback:
        raise HarnessError("the fallback step needs 'the client-information server is down'")
    bc.judge(push)


@then("the result notification reports the fallback")
def fallback_reported(bc: BearerChoiceDriver, push: Push) -> None:
    if not bc.pics.result_notifications:
        raise HarnessError("a result-notification step needs @needs_result_notifications")
    bc.judge(push)  # judged with the fallback expectation: the note's desc is checked


@then(parsers.parse("the attempts per push are exactly {figure:g}"))
def attempts_per_push(
    bc: BearerChoiceDriver, mixed: list[Push], figure: float, mmsconf_evidence, mmsconf_note
) -> None:
    measured, stories = bc.attempts_per_push(mixed)
    by_count = bc.distribution(stories)
    chart = BarChart("Pushes by the attempts each took", dict(sorted(by_count.items())), "pushes")
    mmsconf_note(f"attempts per push: {measured:.3f} over {len(stories)} pushes")
    mmsconf_evidence(chart)
    problems = [(p, judge.judge(s, p.expect, bc.pixit)) for p, s in stories]
    broken = [(p, v) for p, v in problems if v is not None]
    if measured == figure and not broken:
        return
    clauses = [v.clause for _p, v in broken]
    worst = max(set(clauses), key=clauses.count) if clauses else "bc_no_retry"
    if measured > figure:
        worst = "bc_no_retry"
    rows = [
        (seq, f"{p.group}: {v.clause}")
        for p, v in broken[:10]
        for table in v.evidence[:1]
        for seq in [m.seq for m in getattr(table, "messages", [])][:4]
    ]
    example = "; ".join(
        f"{p.group} ({p.preferred or 'no preference'}): {v.seen}" for p, v in broken[:2]
    )
    raise ClauseViolation(
        worst,
        f"exactly {figure:g} attempt per push over {len(stories)} pushes",
        f"{measured:.3f} attempts per push; {len(broken)} push(es) went wrong, e.g. {example}",
        evidence=[
            chart,
            judge.table("Messages of the pushes that went wrong", rows),
            Note(", ".join(f"{n} {k}" for k, n in sorted(by_count.items())), "Distribution"),
        ],
    )


def _pap_code(result) -> tuple[int | None, str]:
    if result.error is not None:
        return None, result.error
    try:
        m = pap.decode(result.body, pap.Mode.LENIENT).message
    except pap.PapError as err:
        return None, f"HTTP {result.status}, not PAP: {err}"
    if isinstance(m, pap.BadMessageResponse):
        return m.code, f"HTTP {result.status} badmessage-response {m.code}"
    if isinstance(m, pap.PushResponse):
        return m.result.code, f"HTTP {result.status} push-response {m.result.code}"
    return None, f"HTTP {result.status} {type(m).__name__}"


@then(parsers.parse("the gateway answers with PAP code {codes}"))
def pap_code(bc: BearerChoiceDriver, pap_answer: tuple[str, object], codes: str) -> None:
    """codes: one code, or several separated by 'or' (the first is the specification's)"""
    what, result = pap_answer
    allowed = [int(c) for c in codes.replace(" or ", ",").split(",")]
    code, seen = _pap_code(result)
    check(
        code in allowed and result.status in (200, 202, 400),
        "bc_via_server",
        f"{what} answered with PAP code {codes} (HTTP 200/202)",
        seen,
    )


@then("the gateway still takes a valid push and delivers it")
def still_serving(bc: BearerChoiceDriver) -> None:
    """Only that it still serves: which bearer it picks is the other scenarios' business."""
    push = bc.push()
    bc.wait_outcomes([push])
    story = bc.story(push)
    sent = story.sent[0]
    taken = [a for a in story.attempts if a.accepted]
    check(
        not sent.problem and sent.code in (1000, 1001) and bool(taken),
        "bc_via_server",
        "after the bad request, a valid push is accepted (1001) and reaches the client",
        judge.tell(story),
    )


@then("the registrar answers 400")
def registrar_400(bc: BearerChoiceDriver, sip_answer: tuple[str, object]) -> None:
    what, result = sip_answer
    seen = result.error or "no answer"
    status = None
    if result.answer is not None:
        status = sip.status_of(result.answer)
        first = result.answer.split(b"\r\n", 1)[0][:80].decode("latin-1")
        seen = first if status is not None else f"an answer that is no SIP response: {first!r}"
    check(status == 400, "bc_get_info", f"{what} answered 400 Bad Request", seen)


@then("a client still registers with the gateway's registrar")
def still_registers(bc: BearerChoiceDriver) -> None:
    bc.register()  # a refusal or no answer fails bc_get_info, naming the timer
