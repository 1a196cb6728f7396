"""The fault-injection control plane over raw HTTP: schedules, seeded probabilities, the journal
and its exported plan, counters, rule order, sessions, bad input, the CLI and fixture channels,
and the admin token.

- Schedules (`first`, `every`, `after`, combined, `from`/`until` on the virtual clock) are checked
  request by request: every condition applies to the same per-rule count `n`.
- Seeded probabilities draw the same decisions in two processes with the same `--seed`, and again
  after `POST /__mock/reset`; the journal shows each decision's roll.
- `GET /__mock/journal/plan` replays a run exactly in a fresh server, through `POST /__mock/faults`
  and through `--fixtures DIR/faults.json` (random latencies replayed as the drawn value).
- `X-Mock-Session` scopes rules, replies, journal views, counters, `seq` and reset.
- Bad specs are a 400 `invalid_fault` naming the mistake, and the mock keeps serving.

Most tests use the shared server (reset before and after each by `reset_mock`); tests that need
flags start their own with `running_mock`.
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import ExitStack

import pytest
import requests

from mockproc import run_cli, running_mock
from sdk_helpers import DEFAULT, reset_mock, usage_rows  # noqa: F401  (reset_mock is an autouse fixture)

TIMEOUT = 10
MODEL = "gpt-5-4-nano"
CLAUDE_MODEL = "claude-sonnet-4-5"
GEMINI_MODEL = "gemini-2-5-flash"
KEY_HEADERS = {"Authorization": f"Bearer {DEFAULT}"}


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

def _headers(session: str | None = None, headers: dict | None = None) -> dict:
    h = dict(headers or {})
    if session is not None:
        h["X-Mock-Session"] = session
    return h


def ctl(url: str, method: str, path: str, *, payload=None, data=None, session: str | None = None,
        headers: dict | None = None, params=None) -> requests.Response:
    """A control call (`/__mock/PATH`); `payload` is sent as JSON, `data` as the raw body."""
    kw: dict = {"headers": _headers(session, headers), "params": params, "timeout": TIMEOUT}
    if payload is not None:
        kw["json"] = payload
    if data is not None:
        kw["data"] = data.encode() if isinstance(data, str) else data
    return requests.request(method, url + "/__mock/" + path, **kw)


def add_faults(url: str, spec, *, session: str | None = None) -> list[dict]:
    """Adds runtime fault rules (a text spec, or a JSON value) and returns them as listed."""
    if isinstance(spec, str):
        r = ctl(url, "POST", "faults", data=spec, session=session)
    else:
        r = ctl(url, "POST", "faults", data=json.dumps(spec), session=session)
    assert r.status_code == 200, r.text
    return r.json()["faults"]


def list_faults(url: str, session: str | None = None) -> list[dict]:
    r = ctl(url, "GET", "faults", session=session)
    assert r.status_code == 200, r.text
    return r.json()["faults"]


def by_id(rules: list[dict]) -> dict[str, dict]:
    return {r["id"]: r for r in rules}


def journal(url: str, session: str | None = None, **params) -> dict:
    r = ctl(url, "GET", "journal", session=session, params=params or None)
    assert r.status_code == 200, r.text
    return r.json()


def wait_journal(url: str, count: int, session: str | None = None, **params) -> dict:
    r = ctl(url, "GET", "journal/wait", session=session, params={"count": count, "timeout_ms": 5000, **params})
    assert r.status_code == 200, r.text
    return r.json()


def chat(url: str, text: str = "hello", *, stream: bool = False, session: str | None = None,
         headers: dict | None = None, model: str = MODEL) -> requests.Response:
    body = {"model": model, "messages": [{"role": "user", "content": text}]}
    if stream:
        body["stream"] = True
    return requests.post(url + "/v1/chat/completions", json=body,
                         headers={**KEY_HEADERS, **_headers(session, headers)}, timeout=TIMEOUT)


def chat_statuses(url: str, n: int, session: str | None = None) -> list[int]:
    return [chat(url, f"request {i}", session=session).status_code for i in range(n)]


def positions(statuses: list[int], status: int) -> list[int]:
    """1-based positions of `status` in a list of statuses."""
    return [i + 1 for i, s in enumerate(statuses) if s == status]


def assert_error(r: requests.Response, status: int, code: str, *substrings: str) -> dict:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code, r.text
    for s in substrings:
        assert s in err["message"], (s, err["message"])
    return err


def set_clock(url: str, **body) -> dict:
    r = ctl(url, "POST", "clock", payload=body)
    assert r.status_code == 200, r.text
    return r.json()


# ---------------------------------------------------------------------------------------------
# 1. schedules
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec, n, expected, reason", [
    ("429 first=2", 5, [1, 2], "n=2: first=2"),
    ("429 times=2", 4, [1, 2], "n=1: first=2"),
    ("429 every=3", 10, [3, 6, 9], "n=6: every=3"),
    ("429 after=2", 5, [3, 4, 5], "n=3: after=2"),
    # every condition holds on the same n: n <= 3 and n > 1
    ("429 after=1 first=3", 6, [2, 3], "n=2: first=3 after=1"),
    # n % 2 == 0 and n > 3
    ("429 every=2 after=3", 9, [4, 6, 8], "n=4: every=2 after=3"),
    ("429", 3, [1, 2, 3], "n=1: always"),
])
def test_schedule_fires_on_exact_request_indices(base_url, spec, n, expected, reason):
    [rule] = add_faults(base_url, spec + " id=sched")
    assert rule["id"] == "sched" and rule["origin"] == "runtime" and rule["stage"] == "response"
    statuses = chat_statuses(base_url, n)
    assert positions(statuses, 429) == expected, statuses
    assert positions(statuses, 200) == [i for i in range(1, n + 1) if i not in expected]
    [listed] = list_faults(base_url)
    assert (listed["matched"], listed["applied"]) == (n, len(expected))
    faulted = journal(base_url, faulted="true")["entries"]
    assert [e["seq"] for e in faulted] == expected
    assert all(e["faults"][0]["rule"] == "sched" and e["faults"][0]["action"] == "429" for e in faulted)
    assert [e["faults"][0]["n"] for e in faulted] == expected
    assert reason in [e["faults"][0]["reason"] for e in faulted]


def test_time_window_on_the_virtual_clock(base_url):
    now = set_clock(base_url, action="freeze")["now"]
    [rule] = add_faults(base_url, "503 from=+10s until=+20s id=window")
    # relative times are resolved against the virtual clock when the rule is added
    assert rule["spec"] == f"503 from={now + 10} until={now + 20}"
    assert chat(base_url, "before").status_code == 200
    set_clock(base_url, action="advance", seconds=10)
    r = chat(base_url, "at from")
    assert_error(r, 503, "service_unavailable", "window")
    set_clock(base_url, action="advance", seconds=9)
    assert chat(base_url, "just before until").status_code == 503
    set_clock(base_url, action="advance", seconds=1)
    assert chat(base_url, "at until").status_code == 200
    assert chat(base_url, "after").status_code == 200
    entries = journal(base_url)["entries"]
    assert [e["status"] for e in entries] == [200, 503, 503, 200, 200]
    assert [e["time"] for e in entries] == [now, now + 10, now + 19, now + 20, now + 20]
    assert entries[1]["faults"][0]["reason"] == f"n=2: from={now + 10} until={now + 20}"
    assert (list_faults(base_url)[0]["matched"], list_faults(base_url)[0]["applied"]) == (5, 2)


def test_absolute_time_window_in_rfc3339(base_url):
    set_clock(base_url, action="set", time="2030-01-01T00:00:00Z")
    [rule] = add_faults(base_url, "502 from=2030-01-01T00:00:05Z until=1893456010")
    assert rule["spec"] == "502 from=1893456005 until=1893456010"
    assert chat(base_url, "a").status_code == 200
    set_clock(base_url, action="advance", seconds=5)
    assert chat(base_url, "b").status_code == 502
    set_clock(base_url, action="advance", seconds=5)
    assert chat(base_url, "c").status_code == 200


# ---------------------------------------------------------------------------------------------
# 2. seeded probability
# ---------------------------------------------------------------------------------------------

def _probability_run(url: str, spec: str, n: int = 40) -> list[int]:
    add_faults(url, spec)
    statuses = chat_statuses(url, n)
    assert set(statuses) <= {200, 429}, statuses
    return positions(statuses, 429)


def test_seeded_probability_is_reproducible_across_processes_and_resets():
    spec42 = "429 probability=0.3 seed=42 id=p"
    with ExitStack() as stack:
        a = stack.enter_context(running_mock("--seed", "7"))
        b = stack.enter_context(running_mock("--seed", "7"))
        c = stack.enter_context(running_mock("--seed", "8"))

        first = _probability_run(a.url, spec42)
        assert 3 <= len(first) <= 25, first  # about 30% of 40
        # the same decisions in a second process with the same --seed ...
        assert _probability_run(b.url, spec42) == first
        # ... and in one with another --seed: the rule's own seed decides
        assert _probability_run(c.url, spec42) == first

        # the journal shows each decision: roll < p, and why
        entries = journal(a.url, faulted="true")["entries"]
        assert [e["seq"] for e in entries] == first
        for e in entries:
            [f] = e["faults"]
            assert f["rule"] == "p" and f["seed"] == "42" and f["n"] == e["seq"]
            assert 0 <= f["roll"] < 0.3
            assert f["reason"].startswith(f"n={e['seq']}: probability=0.3 seed=42 roll=")
            assert abs(float(f["reason"].rsplit("roll=", 1)[1]) - f["roll"]) < 1e-4
        assert journal(a.url, faulted="false")["count"] == 40 - len(first)

        # a reset zeroes the counters: the same draws again (the runtime rule is re-added)
        assert ctl(a.url, "POST", "reset").status_code == 200
        assert list_faults(a.url) == []
        assert _probability_run(a.url, spec42) == first

        # another seed= draws another set
        assert ctl(a.url, "POST", "reset").status_code == 200
        other = _probability_run(a.url, "429 probability=0.3 seed=43 id=p")
        assert other != first

        # without seed=, the mock's --seed (mixed with the rule id) decides
        for m in (a, b, c):
            assert ctl(m.url, "POST", "reset").status_code == 200
        unseeded = "429 probability=0.5 id=q"
        qa = _probability_run(a.url, unseeded)
        assert _probability_run(b.url, unseeded) == qa
        assert _probability_run(c.url, unseeded) != qa
        seeds = {}
        for m in (a, c):
            entries = journal(m.url, faulted="true")["entries"]
            assert all(e["faults"][0]["roll"] < 0.5 for e in entries)
            seeds[m.url] = {e["faults"][0]["seed"] for e in entries}
        # one seed per rule, derived from --seed and the rule id
        assert len(seeds[a.url]) == 1 and seeds[a.url] != {"7"} and seeds[a.url] != seeds[c.url]


# ---------------------------------------------------------------------------------------------
# 3. plan export and replay
# ---------------------------------------------------------------------------------------------

KINDS = ["chat", "chat_stream", "messages", "responses_stream", "gemini", "models", "messages_stream",
         "responses", "gemini_stream", "chat"]


def plan_sequence() -> list[tuple[str, str | None, str]]:
    """30 requests over every text surface and the model list, streamed and not, every third one
    in session S1."""
    return [(KINDS[i % len(KINDS)], "S1" if i % 3 == 1 else None, f"plan request {i}") for i in range(30)]


def send(url: str, kind: str, session: str | None, text: str) -> requests.Response:
    h = _headers(session)
    stream = kind.endswith("_stream")
    if kind.startswith("chat"):
        return chat(url, text, stream=stream, session=session)
    if kind.startswith("messages"):
        body = {"model": CLAUDE_MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": text}], "stream": stream}
        return requests.post(url + "/v1/messages", json=body, headers={"x-api-key": DEFAULT, **h}, timeout=TIMEOUT)
    if kind.startswith("responses"):
        body = {"model": MODEL, "input": text, "stream": stream}
        return requests.post(url + "/v1/responses", json=body, headers={**KEY_HEADERS, **h}, timeout=TIMEOUT)
    if kind.startswith("gemini"):
        action = "streamGenerateContent?alt=sse" if stream else "generateContent"
        body = {"contents": [{"role": "user", "parts": [{"text": text}]}]}
        return requests.post(f"{url}/v1beta/models/{GEMINI_MODEL}:{action}", json=body,
                             headers={"x-goog-api-key": DEFAULT, **h}, timeout=TIMEOUT)
    assert kind == "models"
    return requests.get(url + "/v1/models", headers={**KEY_HEADERS, **h}, timeout=TIMEOUT)


def run_sequence(url: str) -> list[int]:
    statuses = [send(url, kind, session, text).status_code for kind, session, text in plan_sequence()]
    wait_journal(url, len(statuses))
    return statuses


def rule_ids(url: str) -> dict[tuple, list[str]]:
    """Per (session, seq): the ids of the rules that acted."""
    return {(e["session"] or "", e["seq"]): [f["rule"] for f in e["faults"]] for e in journal(url)["entries"]}


def expected_plan_ids(url: str) -> dict[tuple, list[str]]:
    """Per (session, seq): the plan rule each decision becomes (plan-K, K counting decisions in
    journal order)."""
    out, k = {}, 0
    for e in journal(url)["entries"]:
        ids = []
        for _ in e["faults"]:
            k += 1
            ids.append(f"plan-{k}")
        out[(e["session"] or "", e["seq"])] = ids
    return out


def decisions(url: str) -> list[tuple]:
    """Per request, in (session, seq) order: what the plan must reproduce."""
    entries = journal(url)["entries"]
    out = [(e["session"] or "", e["seq"], e["method"], e["path"], e["surface"], e["stream"], e["status"],
            [(f["stage"], f["action"], f.get("latency_ms")) for f in e["faults"]]) for e in entries]
    return sorted(out, key=lambda d: (d[0], d[1]))


def test_plan_export_replays_the_same_decisions_in_a_fresh_server(tmp_path):
    with running_mock("--seed", "5") as first:
        add_faults(first.url, "429 probability=0.35 id=prob")
        add_faults(first.url, "latency 10ms..50ms seed=3 every=4 id=lat")
        # the model list is request 4 of the default session and request 9 of session S1
        add_faults(first.url, "500 surface=models id=models500")
        statuses1 = run_sequence(first.url)
        run1 = decisions(first.url)
        plan_ids = expected_plan_ids(first.url)
        r = ctl(first.url, "GET", "journal/plan")
        assert r.status_code == 200, r.text
        plan = r.json()

    # the first run is worth replaying: errors, drawn latencies, decisions in both sessions
    assert 429 in statuses1 and 200 in statuses1
    latencies = [f for d in run1 for f in d[7] if f[0] == "delay"]
    assert latencies and all(f[1] == f"latency {f[2]}ms" and 10 <= f[2] <= 50 for f in latencies)
    assert any(d[0] == "S1" and d[7] for d in run1) and any(d[0] != "S1" and d[7] for d in run1)
    assert plan["requests"] == 30 and plan["seed"] == "5"
    n_faults = sum(len(d[7]) for d in run1)
    assert len(plan["faults"]) == n_faults
    for k, spec in enumerate(plan["faults"], 1):
        assert spec.endswith(f" id=plan-{k}") and " seq=" in spec

    # a fresh server with no rules: the plan through the control API
    with running_mock() as second:
        added = add_faults(second.url, plan)
        assert [r["id"] for r in added] == [f"plan-{k}" for k in range(1, n_faults + 1)]
        statuses2 = run_sequence(second.url)
        run2 = decisions(second.url)
        ids2 = rule_ids(second.url)
        assert all(f["rule"].startswith("plan-") for e in journal(second.url)["entries"] for f in e["faults"])
    assert run2 == run1
    assert statuses2 == statuses1
    # each request is faulted by the plan rule of its own decision (session and seq)
    assert ids2 == plan_ids

    # and through --fixtures DIR/faults.json
    (tmp_path / "faults.json").write_text(json.dumps(plan))
    with running_mock("--fixtures", str(tmp_path)) as third:
        listed = list_faults(third.url)
        assert [r["id"] for r in listed] == [f"plan-{k}" for k in range(1, n_faults + 1)]
        assert {r["origin"] for r in listed} == {"fixture"}
        statuses3 = run_sequence(third.url)
        run3 = decisions(third.url)
        ids3 = rule_ids(third.url)
    assert run3 == run1
    assert statuses3 == statuses1
    assert ids3 == plan_ids


# ---------------------------------------------------------------------------------------------
# 4. counters, delete, reset
# ---------------------------------------------------------------------------------------------

def test_counters_delete_and_reset_restores_cli_and_fixture_rules(tmp_path):
    (tmp_path / "faults.json").write_text(json.dumps({"faults": [{"fault": 500, "path": "/v1/messages", "id": "fx500"}]}))
    with running_mock("--fault", "503 first=1", "--fixtures", str(tmp_path)) as m:
        u = m.url
        start = list_faults(u)
        assert [(r["id"], r["origin"], r["spec"]) for r in start] == [
            ("cli-1", "cli", "503 first=1"), ("fx500", "fixture", "500 path=/v1/messages")]
        assert all(r["matched"] == 0 and r["applied"] == 0 and r["session"] is None for r in start)

        [rt] = add_faults(u, "429 every=2 id=rt")
        assert (rt["matched"], rt["applied"]) == (0, 0)
        # runtime rules are tried before --fault rules, which come before faults.json
        assert [r["id"] for r in list_faults(u)] == ["rt", "cli-1", "fx500"]

        assert chat_statuses(u, 4) == [503, 429, 200, 429]
        r = requests.post(u + "/v1/messages", headers={"x-api-key": DEFAULT}, timeout=TIMEOUT,
                          json={"model": CLAUDE_MODEL, "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]})
        assert r.status_code == 500, r.text
        counts = {r["id"]: (r["matched"], r["applied"]) for r in list_faults(u)}
        assert counts == {"rt": (5, 2), "cli-1": (5, 1), "fx500": (1, 1)}
        one = ctl(u, "GET", "faults/rt")
        assert one.status_code == 200 and one.json() == {
            "id": "rt", "spec": "429 every=2", "origin": "runtime", "stage": "response", "session": None,
            "matched": 5, "applied": 2}

        # the same id replaces the rule in place
        add_faults(u, "418 every=2 id=rt")
        assert [(r["id"], r["spec"]) for r in list_faults(u)][0] == ("rt", "418 every=2")

        r = ctl(u, "DELETE", "faults/rt")
        assert r.status_code == 200 and r.json() == {"deleted": True}
        assert [r["id"] for r in list_faults(u)] == ["cli-1", "fx500"]
        assert_error(ctl(u, "GET", "faults/rt"), 404, "fault_not_found", "rt")
        assert_error(ctl(u, "DELETE", "faults/rt"), 404, "fault_not_found", "rt")

        add_faults(u, "429 id=a; 502 id=b")
        assert [r["id"] for r in list_faults(u)] == ["a", "b", "cli-1", "fx500"]
        r = ctl(u, "DELETE", "faults")
        assert r.status_code == 200 and [x["id"] for x in r.json()["faults"]] == ["cli-1", "fx500"]
        assert chat(u, "after clear").status_code == 200

        # any rule can be deleted; a reset brings the start-up rules back with zeroed counters
        assert ctl(u, "DELETE", "faults/fx500").json() == {"deleted": True}
        assert ctl(u, "DELETE", "faults/cli-1").json() == {"deleted": True}
        assert list_faults(u) == []
        add_faults(u, "429 id=gone")
        r = ctl(u, "POST", "reset")
        assert r.status_code == 200 and r.json() == {"status": "reset"}
        assert list_faults(u) == start
        assert chat_statuses(u, 2) == [503, 200]
        assert journal(u)["count"] == 2


# ---------------------------------------------------------------------------------------------
# 5. rule order and composition
# ---------------------------------------------------------------------------------------------

def test_first_rule_of_a_stage_acts_the_next_only_counts(base_url):
    add_faults(base_url, "429 id=first-rule")
    add_faults(base_url, "503 id=second-rule")
    r = chat(base_url)
    assert_error(r, 429, "rate_limit_exceeded", "first-rule")
    counts = {x["id"]: (x["matched"], x["applied"]) for x in list_faults(base_url)}
    assert counts == {"first-rule": (1, 1), "second-rule": (1, 0)}
    [e] = journal(base_url)["entries"]
    assert [(f["rule"], f["stage"], f["action"]) for f in e["faults"]] == [("first-rule", "response", "429")]


def test_latency_and_status_rules_both_act_delay_then_error(base_url):
    add_faults(base_url, "latency 150ms id=slow")
    add_faults(base_url, "500 id=boom")
    t0 = time.monotonic()
    r = chat(base_url)
    elapsed = time.monotonic() - t0
    assert_error(r, 500, "internal_error", "boom")
    assert elapsed >= 0.15
    [e] = journal(base_url)["entries"]
    assert [(f["rule"], f["stage"], f["action"], f.get("latency_ms")) for f in e["faults"]] == [
        ("slow", "delay", "latency 150ms", 150), ("boom", "response", "500", None)]
    assert e["status"] == 500 and e["duration_ms"] >= 150
    counts = {x["id"]: (x["matched"], x["applied"]) for x in list_faults(base_url)}
    assert counts == {"slow": (1, 1), "boom": (1, 1)}


def test_header_rule_takes_precedence_over_runtime_rules(base_url):
    add_faults(base_url, "429 id=rt")
    r = chat(base_url, headers={"X-Mock-Fault": "503 message=\"from the header\""})
    err = assert_error(r, 503, "service_unavailable")
    assert err["message"] == "from the header"
    [e] = journal(base_url)["entries"]
    assert [(f["rule"], f["origin"], f["action"]) for f in e["faults"]] == [
        ("header-1", "header", "503 message=\"from the header\"")]
    assert [(x["id"], x["matched"], x["applied"]) for x in list_faults(base_url)] == [("rt", 1, 0)]
    # without the header, the runtime rule acts
    assert chat(base_url, "again").status_code == 429


# ---------------------------------------------------------------------------------------------
# 6. sessions
# ---------------------------------------------------------------------------------------------

def chat_text(r: requests.Response) -> str:
    assert r.status_code == 200, r.text
    return r.json()["choices"][0]["message"]["content"]


def test_sessions_scope_rules_replies_journal_counters_and_reset(base_url):
    A, B = "sess-A", "sess-B"
    [rule] = add_faults(base_url, "503 id=a503", session=A)
    assert rule["session"] == A
    assert chat(base_url, "a1", session=A).status_code == 503
    assert chat(base_url, "b1", session=B).status_code == 200
    assert chat(base_url, "n1").status_code == 200
    assert [r["id"] for r in list_faults(base_url, session=A)] == ["a503"]
    assert list_faults(base_url, session=B) == []
    # a rule's session must agree with the header
    assert_error(ctl(base_url, "POST", "faults", data="429 session=other", session=A), 400, "invalid_fault", "session")
    # B cannot delete A's rule
    assert_error(ctl(base_url, "DELETE", "faults/a503", session=B), 404, "fault_not_found")
    assert ctl(base_url, "DELETE", "faults/a503", session=A).json() == {"deleted": True}

    # reply rules added under A answer only A
    r = ctl(base_url, "POST", "replies", session=A,
            payload={"id": "pong-a", "match": {"contains": "ping"}, "reply": {"text": "pong from A"}})
    assert r.status_code == 200, r.text
    assert chat_text(chat(base_url, "ping", session=A)) == "pong from A"
    assert chat_text(chat(base_url, "ping", session=B)) != "pong from A"
    assert chat_text(chat(base_url, "ping")) != "pong from A"

    # journal views and seq are per session
    ja = journal(base_url, session=A)["entries"]
    jb = journal(base_url, session=B)["entries"]
    assert [e["seq"] for e in ja] == [1, 2] and {e["session"] for e in ja} == {A}
    assert [e["seq"] for e in jb] == [1, 2] and {e["session"] for e in jb} == {B}
    assert [e["status"] for e in ja] == [503, 200]
    assert [e["seq"] for e in journal(base_url)["entries"] if e["session"] is None] == [1, 2]
    assert journal(base_url, session="nobody")["entries"] == []
    # one entry by id: only within its own session
    assert ctl(base_url, "GET", "journal/" + ja[0]["id"], session=A).json() == ja[0]
    assert_error(ctl(base_url, "GET", "journal/" + ja[0]["id"], session=B), 404, "entry_not_found")
    assert ctl(base_url, "GET", "journal/" + ja[0]["id"]).json() == ja[0]

    # an unscoped first=1 rule counts each session on its own
    add_faults(base_url, "429 first=1 id=once")
    assert [chat(base_url, f"x{i}", session=A).status_code for i in range(2)] == [429, 200]
    assert [chat(base_url, f"x{i}", session=B).status_code for i in range(2)] == [429, 200]
    assert [chat(base_url, f"x{i}").status_code for i in range(2)] == [429, 200]
    assert by_id(list_faults(base_url, session=A))["once"] == {
        "id": "once", "spec": "429 first=1", "origin": "runtime", "stage": "response", "session": None,
        "matched": 2, "applied": 1}
    total = by_id(list_faults(base_url))["once"]
    assert (total["matched"], total["applied"]) == (6, 3)

    # a reset with a session header clears only that session
    add_faults(base_url, "500 surface=responses id=b500", session=B)
    before_b = journal(base_url, session=B)["entries"]
    r = ctl(base_url, "POST", "reset", session=A)
    assert r.status_code == 200 and r.json() == {"status": "reset", "session": A}
    assert journal(base_url, session=A)["entries"] == []
    assert journal(base_url, session=B)["entries"] == before_b
    assert [e["seq"] for e in before_b] == [1, 2, 3, 4]
    assert [r["id"] for r in list_faults(base_url, session=A)] == ["once"]
    assert by_id(list_faults(base_url, session=A))["once"]["matched"] == 0
    assert [r["id"] for r in list_faults(base_url, session=B)] == ["once", "b500"]
    assert by_id(list_faults(base_url, session=B))["once"]["matched"] == 2
    replies_a = ctl(base_url, "GET", "replies", session=A).json()["replies"]
    assert "pong-a" not in [x["id"] for x in replies_a]
    assert chat_text(chat(base_url, "ping", session=B)) != "pong from A"

    # A starts over (counter and seq), B carries on
    assert chat(base_url, "again", session=A).status_code == 429
    assert chat(base_url, "again", session=B).status_code == 200
    assert [e["seq"] for e in journal(base_url, session=A)["entries"]] == [1]
    assert [e["seq"] for e in journal(base_url, session=B)["entries"]] == [1, 2, 3, 4, 5, 6]
    # B's own rule still acts on B only
    body = {"model": MODEL, "input": "hi"}
    assert requests.post(base_url + "/v1/responses", json=body, headers={**KEY_HEADERS, "X-Mock-Session": B},
                         timeout=TIMEOUT).status_code == 500
    assert requests.post(base_url + "/v1/responses", json=body, headers={**KEY_HEADERS, "X-Mock-Session": A},
                         timeout=TIMEOUT).status_code == 200


# ---------------------------------------------------------------------------------------------
# 7. journal API
# ---------------------------------------------------------------------------------------------

def test_journal_filters_limit_since_and_entries(base_url):
    base = journal(base_url)["total"]  # the journal index keeps counting across resets
    ids = {}
    ids["chat"] = chat(base_url, "one").headers["x-request-id"]
    ids["chat_stream"] = chat(base_url, "two", stream=True).headers["x-request-id"]
    r = requests.post(base_url + "/v1/messages", headers={"x-api-key": DEFAULT}, timeout=TIMEOUT,
                      json={"model": CLAUDE_MODEL, "max_tokens": 16, "messages": [{"role": "user", "content": "three"}]})
    assert r.status_code == 200 and r.headers["request-id"] == r.headers["x-request-id"]
    ids["messages"] = r.headers["x-request-id"]
    r = chat(base_url, "four", headers={"X-Mock-Fault": "429"})
    assert r.status_code == 429
    ids["header429"] = r.headers["x-request-id"]
    with pytest.raises(requests.exceptions.ConnectionError):
        chat(base_url, "five", headers={"X-Mock-Fault": "cut"})
    add_faults(base_url, "503 path=/v1/responses first=1 id=r503")
    for text in ("six", "seven"):
        r = requests.post(base_url + "/v1/responses", json={"model": MODEL, "input": text}, headers=KEY_HEADERS, timeout=TIMEOUT)
        ids["r" + text] = r.headers["x-request-id"]
    all_ = wait_journal(base_url, 7)
    entries = all_["entries"]
    assert all_["count"] == 7 and all_["total"] == base + 7 and all_["capacity"] == 10000
    assert [e["index"] for e in entries] == list(range(base + 1, base + 8))
    assert [e["seq"] for e in entries] == list(range(1, 8))
    assert [e["status"] for e in entries] == [200, 200, 200, 429, 0, 503, 200]
    assert entries[4]["faults"][0]["action"] == "cut" and entries[4]["bytes"] == 0
    assert entries[1]["stream"] is True and entries[1]["events"] > 0
    assert [e["id"] for e in entries] == [ids["chat"], ids["chat_stream"], ids["messages"], ids["header429"],
                                          entries[4]["id"], ids["rsix"], ids["rseven"]]
    assert {e["key"] for e in entries} == {"key_default"}

    def seqs(**params) -> list[int]:
        j = journal(base_url, **params)
        assert j["count"] == len(j["entries"])
        return [e["seq"] for e in j["entries"]]

    assert seqs(surface="chat") == [1, 2, 4, 5]
    assert seqs(surface="responses") == [6, 7]
    assert seqs(status="4xx") == [4]
    assert seqs(status="5xx") == [6]
    assert seqs(status="0") == [5]
    assert seqs(status="200,503") == [1, 2, 3, 6, 7]
    assert seqs(faulted="true") == [4, 5, 6]
    assert seqs(faulted="false") == [1, 2, 3, 7]
    assert seqs(rule="r503") == [6]
    assert seqs(rule="header-1") == [4, 5]
    assert seqs(model="claude-*") == [3]
    assert seqs(model=MODEL) == [1, 2, 4, 5, 6, 7]
    assert seqs(stream="true") == [2]
    assert seqs(stream="false") == [1, 3, 4, 5, 6, 7]
    assert seqs(path="/v1/resp*") == [6, 7]
    assert seqs(key="key_default") == [1, 2, 3, 4, 5, 6, 7]
    assert seqs(key="key_claude") == []
    assert seqs(surface="chat", faulted="true") == [4, 5]
    assert seqs(limit="2") == [6, 7]
    assert seqs(surface="chat", limit="1") == [5]
    assert seqs(since=str(entries[4]["index"])) == [6, 7]
    assert seqs(since=str(base + 7)) == []

    for e in entries:
        r = ctl(base_url, "GET", "journal/" + e["id"])
        assert r.status_code == 200 and r.json() == e
    assert_error(ctl(base_url, "GET", "journal/req_does_not_exist"), 404, "entry_not_found", "req_does_not_exist")

    r = ctl(base_url, "DELETE", "journal")
    assert r.status_code == 200 and r.json() == {"cleared": True}
    assert journal(base_url)["entries"] == []
    assert ctl(base_url, "GET", "journal/" + ids["chat"]).status_code == 404
    # the index keeps counting after a clear, so since= cursors stay valid
    chat(base_url, "eight")
    [e] = journal(base_url)["entries"]
    assert e["index"] == base + 8 and e["seq"] == 8
    assert [x["seq"] for x in journal(base_url, since=str(base + 7))["entries"]] == [8]


def test_journal_clear_and_reset_are_not_reported_as_dropped():
    # `dropped` is what fell out of the ring (--journal-size); entries forgotten on request
    # (DELETE /__mock/journal, POST /__mock/reset) did not fall out of it
    with running_mock() as m:
        for i in range(3):
            chat(m.url, f"c{i}")
        j = journal(m.url)
        assert (j["count"], j["total"], j["dropped"]) == (3, 3, 0)
        assert ctl(m.url, "DELETE", "journal").status_code == 200
        after = journal(m.url)
        assert after["entries"] == [] and after["count"] == 0
        assert after["dropped"] == 0, after
        chat(m.url, "c3")
        assert ctl(m.url, "POST", "reset").status_code == 200
        after = journal(m.url)
        assert after["entries"] == [] and after["dropped"] == 0, after


def test_journal_wait_at_once_later_and_timeout(base_url):
    chat(base_url, "first")
    t0 = time.monotonic()
    j = wait_journal(base_url, 1)
    assert time.monotonic() - t0 < 1.0 and j["count"] == 1

    result: dict = {}

    def waiter():
        result["response"] = ctl(base_url, "GET", "journal/wait",
                                 params={"count": 1, "surface": "responses", "timeout_ms": 5000})
        result["done"] = time.monotonic()

    thread = threading.Thread(target=waiter, daemon=True)
    thread.start()
    time.sleep(0.2)
    assert thread.is_alive(), "the wait answered before any matching request"
    sent = time.monotonic()
    r = requests.post(base_url + "/v1/responses", json={"model": MODEL, "input": "hi"}, headers=KEY_HEADERS, timeout=TIMEOUT)
    assert r.status_code == 200
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    w = result["response"]
    assert w.status_code == 200, w.text
    assert [e["id"] for e in w.json()["entries"]] == [r.headers["x-request-id"]]
    assert sent <= result["done"] < sent + 2.0

    # two of three chat requests exist: 408 after timeout_ms
    chat(base_url, "second")
    t0 = time.monotonic()
    r = ctl(base_url, "GET", "journal/wait", params={"count": 3, "surface": "chat", "timeout_ms": 300})
    elapsed = time.monotonic() - t0
    assert_error(r, 408, "journal_wait_timeout", "2 of 3", "300 ms")
    assert 0.3 <= elapsed < 3.0
    r = ctl(base_url, "GET", "journal/wait", params={"count": 3, "surface": "messages", "timeout_ms": 0})
    assert_error(r, 408, "journal_wait_timeout", "0 of 3")
    # since= counts only newer entries
    newest = journal(base_url)["entries"][-1]["index"]
    r = ctl(base_url, "GET", "journal/wait", params={"count": 1, "since": newest, "timeout_ms": 100})
    assert_error(r, 408, "journal_wait_timeout", "0 of 1")


def test_journal_size_keeps_the_last_entries_and_reports_dropped():
    with running_mock("--journal-size", "5") as m:
        ids = [chat(m.url, f"r{i}").headers["x-request-id"] for i in range(7)]
        j = journal(m.url)
        assert (j["count"], j["total"], j["dropped"], j["capacity"]) == (5, 7, 2, 5)
        assert [e["id"] for e in j["entries"]] == ids[2:]
        assert [e["index"] for e in j["entries"]] == [3, 4, 5, 6, 7]
        assert ctl(m.url, "GET", "journal/" + ids[0]).status_code == 404
        assert ctl(m.url, "GET", "journal/" + ids[6]).status_code == 200
        assert [e["seq"] for e in journal(m.url, limit="2")["entries"]] == [6, 7]


def test_control_calls_are_neither_journaled_nor_billed(base_url):
    chat(base_url, "billed")
    balance0 = requests.get(base_url + "/v1/balance", headers=KEY_HEADERS, timeout=TIMEOUT).json()
    usage0 = requests.get(base_url + "/v1/usage", headers=KEY_HEADERS, timeout=TIMEOUT).json()
    before = journal(base_url)
    assert before["count"] == 3

    calls = [("GET", "health", None), ("GET", "clock", None), ("GET", "faults", None), ("POST", "faults", "429 surface=keys"),
             ("DELETE", "faults", None), ("GET", "replies", None), ("GET", "pacing", None), ("GET", "journal", None),
             ("GET", "journal/plan", None), ("GET", "journal/" + before["entries"][0]["id"], None),
             ("GET", "journal/wait?count=1&timeout_ms=1000", None), ("GET", "no-such-control-route", None)]
    for method, path, data in calls:
        r = ctl(base_url, method, path, data=data, headers=KEY_HEADERS)
        assert r.status_code in (200, 404), (path, r.text)

    after = journal(base_url)
    assert after["total"] == before["total"] and after["entries"] == before["entries"]
    assert not any(e["path"].startswith("/__mock") for e in after["entries"])
    balance1 = requests.get(base_url + "/v1/balance", headers=KEY_HEADERS, timeout=TIMEOUT).json()
    usage1 = requests.get(base_url + "/v1/usage", headers=KEY_HEADERS, timeout=TIMEOUT).json()
    assert balance1 == balance0 and usage1 == usage0
    assert len(usage1["data"]) == 1
    # control calls do not take a seq either
    chat(base_url, "next")
    assert journal(base_url)["entries"][-1]["seq"] == 6


# ---------------------------------------------------------------------------------------------
# 8. bad input
# ---------------------------------------------------------------------------------------------

BAD_SPECS = [
    ("42x", ["fault", "unknown fault '42x'"]),
    ("399", ["fault", "status 399", "400-599"]),
    ("600", ["fault", "status 600", "400-599"]),
    ("429 colour=red", ["colour: unknown option"]),
    ("429 retry_after=abc", ["retry_after:", "'abc'"]),
    ("429 probability=1.5", ["probability:", "'1.5'", "0 to 1"]),
    ("latency 20xs", ["latency:", "'20xs'"]),
    ('429 message="unbalanced', ["unterminated quote"]),
    ("latency 20ms after_events=2", ["after_events:", "latency"]),
    ("429 for=1s", ["for:", "stall"]),
    ("reset on=accept model=gpt-*", ["model:", "accept"]),
    ("429 first=0", ["first:", "'0'"]),
    ("429 first=1 times=2", ["times: given twice"]),
    ("429 seed=4", ["seed:", "probability"]),
    ("429 from=+20s until=+10s", ["until: must be after from"]),
    ("stall after_events=2", ["for: required"]),
    ("429 first=1; 42x", ["unknown fault '42x'"]),
    ('{"fault": 429, "colour": "red"}', ["colour: unknown option"]),
    ('{"fault": 429, "first": "x"}', ["first:", "'x'"]),
    ('{"fault": {}}', ["fault:", "object"]),
    ('{"first": 1}', ["fault: required"]),
    ('{"fault": 429, "id": 7}', ["id:", "string"]),
    ('{"faults": ["503", "429 every=0"]}', ["faults[1]", "every:"]),
    ('{"faults": ["503 id=x", "429 id=x"]}', ["faults[1]", "id 'x' is used twice"]),
    ('{"faults": [], "extra": 1}', ["extra: unknown field"]),
    ('[429]', ["faults[0]", "number"]),
    ("", ["body is empty"]),
    ("   \n", ["body is empty"]),
    ("{not json", ["not valid JSON"]),
]


@pytest.mark.parametrize("body, substrings", BAD_SPECS, ids=[b[0] or "<empty>" for b in BAD_SPECS])
def test_bad_fault_spec_is_a_400_naming_the_mistake(base_url, body, substrings):
    r = ctl(base_url, "POST", "faults", data=body)
    assert_error(r, 400, "invalid_fault", *substrings)
    # nothing was added (not even the valid rules of a list) and the mock keeps serving
    assert list_faults(base_url) == []
    assert chat(base_url).status_code == 200


def test_bad_fault_header_is_a_400_in_the_surface_envelope(base_url):
    bad = {"X-Mock-Fault": "429 retry_after=soon"}
    problem = "X-Mock-Fault: retry_after: expected whole seconds (0 or more) or none, found 'soon'"
    r = chat(base_url, headers=bad)
    err = assert_error(r, 400, "invalid_fault")
    assert err["message"] == problem and err["param"] == "X-Mock-Fault" and err["type"] == "invalid_request_error"

    r = requests.post(base_url + "/v1/responses", json={"model": MODEL, "input": "hi"},
                      headers={**KEY_HEADERS, **bad}, timeout=TIMEOUT)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["message"] == problem and err["param"] == "X-Mock-Fault" and err["code"] == "invalid_fault"

    r = requests.post(base_url + "/v1/messages", headers={"x-api-key": DEFAULT, **bad}, timeout=TIMEOUT,
                      json={"model": CLAUDE_MODEL, "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"] == problem and body["request_id"] == r.headers["request-id"]

    r = requests.post(f"{base_url}/v1beta/models/{GEMINI_MODEL}:generateContent", timeout=TIMEOUT,
                      headers={"x-goog-api-key": DEFAULT, **bad}, json={"contents": [{"parts": [{"text": "hi"}]}]})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["status"] == "INVALID_ARGUMENT" and r.json()["error"]["message"] == problem

    r = chat(base_url, headers={"X-Mock-Latency": "soon"})
    err = assert_error(r, 400, "invalid_fault", "X-Mock-Latency: latency: 'soon'")
    assert err["param"] == "X-Mock-Latency"
    # nothing was faulted or billed, and the mock keeps serving
    assert chat(base_url).status_code == 200
    assert journal(base_url, faulted="true")["entries"] == []
    assert len(usage_rows(base_url)) == 1


@pytest.mark.parametrize("path, params, param, text", [
    ("journal", {"status": "abc"}, "status", "'abc'"),
    ("journal", {"status": "6xx"}, "status", "'6xx'"),
    ("journal", {"colour": "red"}, "colour", "unknown parameter 'colour'"),
    ("journal", {"count": "1"}, "count", "unknown parameter 'count'"),
    ("journal", {"limit": "0"}, "limit", "'limit'"),
    ("journal", {"faulted": "yes"}, "faulted", "'yes'"),
    ("journal", {"stream": "1"}, "stream", "true or false"),
    ("journal", {"since": "-1"}, "since", "'since'"),
    ("journal/wait", {"count": "0"}, "count", "'count'"),
    ("journal/wait", {"timeout_ms": "-1"}, "timeout_ms", "'timeout_ms'"),
    ("journal/wait", {"timeout_ms": "600001"}, "timeout_ms", "600000"),
    ("journal/wait", {"limit": "3"}, "limit", "unknown parameter 'limit'"),
    ("journal/plan", {"surface": "chat"}, "surface", "unknown parameter 'surface'"),
])
def test_bad_journal_query_is_a_400(base_url, path, params, param, text):
    r = ctl(base_url, "GET", path, params=params)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["param"] == param and text in err["message"], err
    assert ctl(base_url, "GET", "journal").status_code == 200


# ---------------------------------------------------------------------------------------------
# 9. CLI and fixtures
# ---------------------------------------------------------------------------------------------

def test_bad_fault_flag_exits_2_naming_the_mistake():
    p = run_cli("--fault", "42x")
    assert p.returncode == 2
    assert "--fault '42x'" in p.stderr and "unknown fault '42x'" in p.stderr
    assert "listening" not in p.stdout
    p = run_cli("--fault", "429 first=zero")
    assert p.returncode == 2
    assert "first: expected a whole number (1 or more), found 'zero'" in p.stderr
    p = run_cli("--fault", "503 first=1", "--fault", "latency")
    assert p.returncode == 2 and "--fault 'latency'" in p.stderr and "latency: required" in p.stderr


def test_bad_faults_file_fails_check_and_start(tmp_path):
    (tmp_path / "faults.json").write_text(json.dumps({"faults": ["503 first=1", {"fault": 429, "every": 0}]}))
    p = run_cli("--fixtures", str(tmp_path), "--check-fixtures")
    assert p.returncode == 2
    assert "faults.json" in p.stderr and "faults[1]" in p.stderr
    assert "every: expected a whole number (1 or more), found '0'" in p.stderr
    p = run_cli("--fixtures", str(tmp_path), "--host", "127.0.0.1", "--port", "0")
    assert p.returncode == 2 and "faults[1]" in p.stderr

    (tmp_path / "faults.json").write_text(json.dumps({"faults": ["503 first=1"], "rules": []}))
    p = run_cli("--fixtures", str(tmp_path), "--check-fixtures")
    assert p.returncode == 2 and "rules" in p.stderr

    (tmp_path / "faults.json").write_text(json.dumps({"faults": [{"fault": "teapot"}]}))
    p = run_cli("--fixtures", str(tmp_path), "--check-fixtures")
    assert p.returncode == 2 and "faults[0]" in p.stderr and "unknown fault 'teapot'" in p.stderr


def test_valid_faults_file_is_loaded_with_its_ids(tmp_path):
    (tmp_path / "faults.json").write_text(json.dumps(
        {"faults": ["503 first=1", {"fault": 429, "retry_after": 1, "path": "/v1/chat/*", "id": "chat429"}]}))
    p = run_cli("--fixtures", str(tmp_path), "--check-fixtures")
    assert p.returncode == 0, p.stderr
    with running_mock("--fixtures", str(tmp_path)) as m:
        listed = list_faults(m.url)
        assert [(r["id"], r["spec"], r["origin"], r["stage"]) for r in listed] == [
            ("fixture-1", "503 first=1", "fixture", "response"),
            ("chat429", "429 retry_after=1 path=/v1/chat/*", "fixture", "response")]
        r = chat(m.url, "one")
        assert_error(r, 503, "service_unavailable", "fixture-1")
        r = chat(m.url, "two")
        assert_error(r, 429, "rate_limit_exceeded", "chat429")
        assert r.headers["retry-after"] == "1"
        r = requests.post(m.url + "/v1/responses", json={"model": MODEL, "input": "hi"}, headers=KEY_HEADERS, timeout=TIMEOUT)
        assert r.status_code == 200
        assert [(e["surface"], e["status"], [f["rule"] for f in e["faults"]]) for e in journal(m.url)["entries"]] == [
            ("chat", 503, ["fixture-1"]), ("chat", 429, ["chat429"]), ("responses", 200, [])]
        assert [(e["faults"][0]["origin"]) for e in journal(m.url, faulted="true")["entries"]] == ["fixture", "fixture"]


# ---------------------------------------------------------------------------------------------
# 10. admin token
# ---------------------------------------------------------------------------------------------

def test_admin_token_guards_the_control_api_but_not_health_or_traffic():
    with running_mock("--admin-token", "s3cret") as m:
        u = m.url
        for method, path in [("GET", "faults"), ("POST", "reset"), ("GET", "journal"), ("GET", "journal/wait"),
                             ("GET", "journal/plan"), ("GET", "clock"), ("GET", "replies")]:
            assert_error(ctl(u, method, path), 401, "invalid_admin_token", "admin token")
        assert_error(ctl(u, "GET", "faults", headers={"Authorization": "Bearer wrong"}), 401, "invalid_admin_token")
        assert_error(ctl(u, "GET", "faults", headers={"X-Mock-Admin-Token": "S3CRET"}), 401, "invalid_admin_token")
        # a gateway key is not the admin token
        assert_error(ctl(u, "GET", "faults", headers=KEY_HEADERS), 401, "invalid_admin_token")
        # nothing was changed by the refused calls
        assert_error(ctl(u, "POST", "faults", data="429"), 401, "invalid_admin_token")

        bearer = {"Authorization": "Bearer s3cret"}
        header = {"X-Mock-Admin-Token": "s3cret"}
        r = ctl(u, "GET", "faults", headers=bearer)
        assert r.status_code == 200 and r.json() == {"faults": []}
        r = ctl(u, "POST", "faults", data="429 first=1 id=t", headers=header)
        assert r.status_code == 200, r.text
        health = ctl(u, "GET", "health")
        assert health.status_code == 200 and health.json()["status"] == "ok" and health.json()["faults"] == 1

        # gateway traffic uses its own keys and is unaffected
        assert chat(u, "one").status_code == 429
        assert chat(u, "two").status_code == 200
        assert requests.get(u + "/v1/models", headers=KEY_HEADERS, timeout=TIMEOUT).status_code == 200
        j = ctl(u, "GET", "journal", headers=bearer)
        assert j.status_code == 200 and [e["status"] for e in j.json()["entries"]] == [429, 200, 200]
        r = ctl(u, "POST", "reset", headers=header)
        assert r.status_code == 200 and r.json() == {"status": "reset"}


def test_abandoned_journal_waits_leave_with_their_clients():
    """1,100 abandoned 600-second journal waits (more than the 1,024 the journal keeps) do not make
    the next wait a 503: a full table gives the oldest wait's place to the newer one."""
    import socket
    with running_mock() as m:
        host, port = m.url.rsplit("//", 1)[1].split(":")
        request = (b"GET /__mock/journal/wait?count=1&path=/never&timeout_ms=600000 HTTP/1.1\r\n"
                   b"Host: x\r\n\r\n")
        for _ in range(1100):
            with socket.create_connection((host, int(port)), timeout=TIMEOUT) as s:
                s.sendall(request)
        deadline = time.monotonic() + 10
        while True:
            r = ctl(m.url, "GET", "journal/wait", params={"count": 1, "path": "/never", "timeout_ms": 50})
            if r.status_code == 408 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert_error(r, 408, "journal_wait_timeout", "0 of 1")
