"""The official SDKs' retry behaviour under injected faults, observed through the mock's journal.

Every test runs in its own `X-Mock-Session`: the fault rules it adds with `POST /__mock/faults`
are scoped to that session, and it reads the session's attempts from `GET /__mock/journal`,
synchronising with `GET /__mock/journal/wait?count=N` (never with sleeps). The SDK clients send
the session header (`default_headers=` for the Stainless SDKs, `HttpOptions(headers=...)` for
google-genai) and record their own traffic with httpx2 event hooks, so each attempt count is
checked on both sides of the wire: the journal's and the client's.

The SDK policies checked (sections of /work/shared/reference/protocols.md):
- anthropic 2.12.0, §1.6: `max_retries=2` (3 attempts); retries 408/409/429/>=500 and connection
  errors; `x-should-retry` overrides the status; `retry-after-ms`, then `retry-after`, any positive
  value used as-is; otherwise backoff 0.375-0.5 s; `event: error` in a stream raises a plain
  `APIStatusError` with status 200, not retried; a dropped stream is a raw httpx2 error.
- openai 3.54.0, chat §2.6 and responses §3.5 (same transport): as anthropic, except a retry-after
  over 120 s (`MAX_RETRY_AFTER_DELAY`) is never retried, even with `x-should-retry: true`; an
  in-band `{"error":...}` chunk raises `openai.APIError`; a dropped stream raises
  `APIConnectionError`; the Responses raw stream yields `response.failed`, and the
  `responses.stream()` helper's `get_final_response()` raises RuntimeError.
- google-genai 3.4.0, §4.7: no retries by default; with `HttpRetryOptions`, retries
  408/429/500/502/503/504 and httpx connect/timeout errors only, ignoring retry-after; no
  retry-count header (the mock tells the attempts apart by session + method + path + body); an
  error chunk raises ClientError/ServerError by `error.code`; a dropped stream is a raw httpx2 error.
"""

from __future__ import annotations

import re
import time
import typing
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import anthropic
import httpx2
import openai
import pytest
import requests
from google import genai
from google.genai import errors as gerrors
from google.genai import types as gt
from openai.types.responses import ResponseError

from sdk_helpers import (  # noqa: F401  (reset_mock is an autouse fixture)
    DEFAULT, HTTP_TIMEOUT, Traffic, add_rule, anthropic_client, openai_client, reset_mock, scripted_error,
)

SESSION = "X-Mock-Session"
CLAUDE_MODEL = "claude-sonnet-4-6"
GPT_MODEL = "gpt-5-4"
GEMINI_MODEL = "gemini-3-flash"
WAIT_MS = 5000
# google-genai opt-in retries with short, jitter-free waits (50 ms, then 100 ms).
GEMINI_RETRY = gt.HttpRetryOptions(attempts=3, initial_delay=0.05, max_delay=0.1, jitter=0)
PROMPT = "Please describe the weather in Lisbon in a few short sentences."


@pytest.fixture
def session(request) -> str:
    """A session name no other test uses."""
    return f"faults-sdk-{request.node.name}-{uuid.uuid4().hex[:8]}"


# ---------------------------------------------------------------------------------------------
# control API, scoped to the test's session
# ---------------------------------------------------------------------------------------------

def ctl(base_url: str, session: str, method: str, path: str, *, text: str | None = None,
        params: dict | None = None) -> requests.Response:
    headers = {SESSION: session}
    data = None
    if text is not None:
        headers["Content-Type"] = "text/plain"
        data = text.encode()
    return requests.request(method, f"{base_url}/__mock/{path}", headers=headers, params=params, data=data,
                            timeout=HTTP_TIMEOUT)


def add_faults(base_url: str, session: str, spec: str) -> list[dict]:
    """Adds runtime fault rules (plain-text spec) scoped to `session`; returns them as stored."""
    r = ctl(base_url, session, "POST", "faults", text=spec)
    assert r.status_code == 200, r.text
    rules = r.json()["faults"]
    assert rules and all(x["session"] == session and x["origin"] == "runtime" for x in rules), rules
    return rules


def add_fault(base_url: str, session: str, spec: str) -> dict:
    rules = add_faults(base_url, session, spec)
    assert len(rules) == 1, rules
    return rules[0]


def counters(base_url: str, session: str, rule_id: str) -> tuple[int, int]:
    """The rule's (matched, applied) counters in this session."""
    r = ctl(base_url, session, "GET", f"faults/{rule_id}")
    assert r.status_code == 200, r.text
    return r.json()["matched"], r.json()["applied"]


def journal(base_url: str, session: str, **filters) -> list[dict]:
    r = ctl(base_url, session, "GET", "journal", params=filters)
    assert r.status_code == 200, r.text
    entries = r.json()["entries"]
    assert all(e["session"] == session for e in entries), entries
    return entries


def settle(base_url: str, session: str, n: int, traffic: Traffic | None = None, **filters) -> list[dict]:
    """Waits until the session's journal holds `n` (matching) entries, then returns them, asserting
    there are exactly `n` and, with `traffic`, that the client sent exactly `n` requests."""
    r = ctl(base_url, session, "GET", "journal/wait", params={"count": n, "timeout_ms": WAIT_MS, **filters})
    assert r.status_code == 200, r.text
    entries = journal(base_url, session, **filters)
    assert len(entries) == n, entries
    if traffic is not None:
        assert traffic.attempts == n, [str(q.url) for q in traffic.requests]
    return entries


def statuses(entries: list[dict]) -> list[int]:
    return [e["status"] for e in entries]


def attempts(entries: list[dict]) -> list[int]:
    return [e["attempt"] for e in entries]


def response_ids(traffic: Traffic) -> list[str]:
    return [r.headers["x-request-id"] for r in traffic.responses]


# ---------------------------------------------------------------------------------------------
# the SDKs
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stainless:
    """One Stainless SDK surface: its client, a non-streamed call, and its exception module."""
    surface: str  # the journal's surface name
    errors: Any   # the `anthropic` or `openai` module
    make: Callable[..., Any]
    call: Callable[[Any, str], Any]
    text: Callable[[Any], str]

    def client(self, base_url: str, session: str, traffic: Traffic, max_retries: int, **kw):
        client = self.make(base_url, traffic=traffic, max_retries=max_retries, default_headers={SESSION: session}, **kw)
        getattr(client, self.surface)  # the SDK imports its resources lazily: keep that out of timed calls
        return client


def _messages(client, prompt: str):
    return client.messages.create(model=CLAUDE_MODEL, max_tokens=64, messages=[{"role": "user", "content": prompt}])


def _chat(client, prompt: str):
    return client.chat.completions.create(model=GPT_MODEL, messages=[{"role": "user", "content": prompt}])


def _responses(client, prompt: str):
    return client.responses.create(model=GPT_MODEL, input=prompt)


MESSAGES = Stainless("messages", anthropic, anthropic_client, _messages,
                     lambda m: "".join(b.text for b in m.content if b.type == "text"))
CHAT = Stainless("chat", openai, openai_client, _chat, lambda c: c.choices[0].message.content)
RESPONSES = Stainless("responses", openai, openai_client, _responses, lambda r: r.output_text)
STAINLESS = [pytest.param(MESSAGES, id="anthropic-messages"), pytest.param(CHAT, id="openai-chat"),
             pytest.param(RESPONSES, id="openai-responses")]
OPENAI_ONLY = [pytest.param(CHAT, id="openai-chat"), pytest.param(RESPONSES, id="openai-responses")]


def gemini_client(base_url: str, session: str, traffic: Traffic, retry: gt.HttpRetryOptions | None = None,
                  timeout: float = HTTP_TIMEOUT) -> genai.Client:
    """google-genai on the mock, sending the session header; `retry` None keeps the SDK default."""
    opts: dict = {"base_url": base_url, "timeout": int(timeout * 1000), "headers": {SESSION: session},
                  "client_args": {"event_hooks": traffic.hooks}}
    if retry is not None:
        opts["retry_options"] = retry
    return genai.Client(api_key=DEFAULT, http_options=gt.HttpOptions(**opts))


def assert_succeeded(sdk: Stainless, result, entries: list[dict], traffic: Traffic) -> None:
    """The call returned a real answer, and it is the journal's last (200) entry."""
    assert sdk.text(result)
    assert result._request_id == entries[-1]["id"] == traffic.last_header("x-request-id")
    assert response_ids(traffic) == [e["id"] for e in entries]


# ---------------------------------------------------------------------------------------------
# 1. 429 with retry-after-ms: retried per the policy
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sdk", STAINLESS)
def test_429_with_retry_after_ms_is_retried_by_default_then_succeeds(base_url, session, sdk):
    """§1.6 / §2.6 / §3.5: `max_retries` defaults to 2 (3 attempts), the wait is `retry-after-ms`,
    and `x-stainless-retry-count` numbers the attempts 0, 1, 2 (the journal's attempts 1, 2, 3)."""
    assert sdk.errors.DEFAULT_MAX_RETRIES == 2
    rule = add_fault(base_url, session, f"429 retry_after_ms=50 first=2 surface={sdk.surface}")
    traffic = Traffic()
    client = sdk.client(base_url, session, traffic, max_retries=sdk.errors.DEFAULT_MAX_RETRIES)
    started = time.monotonic()
    result = sdk.call(client, PROMPT)
    elapsed = time.monotonic() - started
    entries = settle(base_url, session, 3, traffic)
    assert statuses(entries) == [429, 429, 200]
    assert attempts(entries) == [1, 2, 3]
    assert traffic.retry_counts() == ["0", "1", "2"]
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert all(e["surface"] == sdk.surface and e["stream"] is False for e in entries)
    for n, e in enumerate(entries[:2], start=1):
        assert [(f["rule"], f["stage"], f["action"], f["reason"]) for f in e["faults"]] == [
            (rule["id"], "response", "429 retry_after_ms=50", f"n={n}: first=2")]
    assert entries[2]["faults"] == []
    assert [r.headers.get("retry-after-ms") for r in traffic.responses] == ["50", "50", None]
    assert_succeeded(sdk, result, entries, traffic)
    assert counters(base_url, session, rule["id"]) == (3, 2)  # every matching request counts
    assert 0.1 <= elapsed < 1.5, elapsed  # two waits of 50 ms, not the 0.375-1 s default backoff


@pytest.mark.parametrize("sdk", STAINLESS)
def test_429_from_the_fault_header_is_counted_across_the_retries(base_url, session, sdk):
    """The same policy with the rule sent per request (`extra_headers={"X-Mock-Fault": ...}`): the
    SDK repeats the header on each retry, and a header rule's `first=2` counts the session's
    requests by the rule's text, so attempts 1 and 2 fail and attempt 3 succeeds (§1.6 / §2.6)."""
    spec = "429 retry_after_ms=50 first=2"
    traffic = Traffic()
    client = sdk.client(base_url, session, traffic, max_retries=2)
    started = time.monotonic()
    result = sdk.call(client.with_options(default_headers={SESSION: session, "X-Mock-Fault": spec}), PROMPT)
    elapsed = time.monotonic() - started
    entries = settle(base_url, session, 3, traffic)
    assert [q.headers["x-mock-fault"] for q in traffic.requests] == [spec] * 3
    assert statuses(entries) == [429, 429, 200] and attempts(entries) == [1, 2, 3]
    for n, e in enumerate(entries[:2], start=1):
        assert [(f["rule"], f["origin"], f["reason"]) for f in e["faults"]] == [("header-1", "header", f"n={n}: first=2")]
    assert entries[2]["faults"] == []
    assert_succeeded(sdk, result, entries, traffic)
    assert 0.1 <= elapsed < 1.5, elapsed


@pytest.mark.parametrize("sdk", STAINLESS)
def test_429_beyond_max_retries_raises_rate_limit_error(base_url, session, sdk):
    """§1.6 / §2.6: with `max_retries=2` a 429 that persists gives 3 attempts, then RateLimitError
    carrying the last attempt's request id."""
    rule = add_fault(base_url, session, "429 retry_after_ms=50 first=5")
    traffic = Traffic()
    client = sdk.client(base_url, session, traffic, max_retries=2)
    started = time.monotonic()
    with pytest.raises(sdk.errors.RateLimitError) as info:
        sdk.call(client, PROMPT)
    elapsed = time.monotonic() - started
    entries = settle(base_url, session, 3, traffic)
    assert statuses(entries) == [429, 429, 429]
    assert attempts(entries) == [1, 2, 3]
    assert all(e["faults"][0]["rule"] == rule["id"] for e in entries)
    e = info.value
    assert e.status_code == 429
    assert e.request_id == entries[-1]["id"]
    assert e.response.headers["retry-after-ms"] == "50"
    assert counters(base_url, session, rule["id"]) == (3, 3)
    assert 0.1 <= elapsed < 1.5, elapsed


def test_gemini_429_is_retried_only_with_retry_options_and_ignores_retry_after(base_url, session):
    """§4.7: google-genai retries a 429 only when `HttpRetryOptions` is given (attempts=3 here),
    waiting its own exponential delays (50 ms, then 100 ms) and ignoring `retry-after: 2`. It sends
    no retry-count header, so the journal's attempts 1, 2, 3 come from the mock seeing the same
    body again."""
    rule = add_fault(base_url, session, "429 retry_after=2 first=2 surface=gemini")
    traffic = Traffic()
    client = gemini_client(base_url, session, traffic, retry=GEMINI_RETRY)
    started = time.monotonic()
    r = client.models.generate_content(model=GEMINI_MODEL, contents=PROMPT)
    elapsed = time.monotonic() - started
    assert r.text
    entries = settle(base_url, session, 3, traffic)
    assert statuses(entries) == [429, 429, 200]
    assert attempts(entries) == [1, 2, 3]
    assert [q.headers.get("retry-after") for q in traffic.responses] == ["2", "2", None]
    assert all("x-stainless-retry-count" not in q.headers for q in traffic.requests)
    assert {e["path"] for e in entries} == {f"/v1/models/{GEMINI_MODEL}:generateContent"}
    assert r.sdk_http_response.headers["x-request-id"] == entries[-1]["id"]
    assert counters(base_url, session, rule["id"]) == (3, 2)
    assert 0.15 <= elapsed < 1.5, elapsed  # honouring retry-after would take 4 s


def test_gemini_429_without_retry_options_is_one_attempt(base_url, session):
    """§4.7: retries are off by default: a 429 raises `errors.ClientError` after one request."""
    add_fault(base_url, session, "429 retry_after_ms=50 first=2 surface=gemini")
    traffic = Traffic()
    client = gemini_client(base_url, session, traffic)
    with pytest.raises(gerrors.ClientError) as info:
        client.models.generate_content(model=GEMINI_MODEL, contents=PROMPT)
    assert info.value.code == 429 and info.value.status == "RESOURCE_EXHAUSTED"
    entries = settle(base_url, session, 1, traffic)
    assert statuses(entries) == [429] and attempts(entries) == [1]


# ---------------------------------------------------------------------------------------------
# 2. long and zero retry-after
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sdk", OPENAI_ONLY)
@pytest.mark.parametrize("spec", ["429 retry_after=121", "429 retry_after=121 should_retry=true"],
                         ids=["retry-after", "retry-after-and-should-retry"])
def test_openai_does_not_retry_a_retry_after_over_120_seconds(base_url, session, sdk, spec):
    """§2.6 rule 1: a retry-after above `MAX_RETRY_AFTER_DELAY` (120 s) is never retried, and that
    check comes before `x-should-retry: true`."""
    rule = add_fault(base_url, session, spec)
    traffic = Traffic()
    client = sdk.client(base_url, session, traffic, max_retries=2)
    started = time.monotonic()
    with pytest.raises(openai.RateLimitError) as info:
        sdk.call(client, PROMPT)
    assert time.monotonic() - started < 1.5
    entries = settle(base_url, session, 1, traffic)
    assert statuses(entries) == [429] and attempts(entries) == [1]
    assert entries[0]["faults"][0]["rule"] == rule["id"]
    assert info.value.response.headers["retry-after"] == "121"
    assert info.value.request_id == entries[0]["id"]


def test_anthropic_prefers_retry_after_ms_over_a_long_retry_after(base_url, session):
    """§1.6: anthropic honours any positive retry-after, however large (121 s would be waited in
    full), but reads `retry-after-ms` first: with both headers it waits 50 ms."""
    add_fault(base_url, session, "429 retry_after=121 retry_after_ms=50 first=1")
    traffic = Traffic()
    client = MESSAGES.client(base_url, session, traffic, max_retries=2)
    started = time.monotonic()
    result = MESSAGES.call(client, PROMPT)
    elapsed = time.monotonic() - started
    entries = settle(base_url, session, 2, traffic)
    assert statuses(entries) == [429, 200] and attempts(entries) == [1, 2]
    assert traffic.responses[0].headers["retry-after"] == "121"
    assert traffic.responses[0].headers["retry-after-ms"] == "50"
    assert_succeeded(MESSAGES, result, entries, traffic)
    assert 0.05 <= elapsed < 1.5, elapsed


def test_anthropic_retry_after_zero_falls_back_to_the_default_backoff(base_url, session):
    """§1.6: only a positive retry-after is used; `retry-after: 0` falls back to the exponential
    backoff, whose first wait is 0.5 s less up to 25 % jitter (0.375-0.5 s)."""
    add_fault(base_url, session, "429 retry_after=0 first=1")
    traffic = Traffic()
    client = MESSAGES.client(base_url, session, traffic, max_retries=2)
    started = time.monotonic()
    result = MESSAGES.call(client, PROMPT)
    elapsed = time.monotonic() - started
    entries = settle(base_url, session, 2, traffic)
    assert statuses(entries) == [429, 200] and attempts(entries) == [1, 2]
    assert traffic.responses[0].headers["retry-after"] == "0"
    assert_succeeded(MESSAGES, result, entries, traffic)
    assert 0.37 <= elapsed < 1.5, elapsed


# ---------------------------------------------------------------------------------------------
# 3. fail only the first attempt of each call
# ---------------------------------------------------------------------------------------------

CALLS = 3


@pytest.mark.parametrize("status", [503, 500])
@pytest.mark.parametrize("sdk", STAINLESS)
def test_first_attempt_of_each_call_fails_and_the_retry_succeeds(base_url, session, sdk, status):
    """§1.6 / §2.6: a >=500 is retried. The rule selects `attempt=first`, which the mock reads from
    `x-stainless-retry-count`, so the same prompt sent in three calls fails exactly the first
    attempt of each (the body plays no part when the header is sent)."""
    rule = add_fault(base_url, session, f"{status} attempt=first retry_after_ms=10")
    traffic = Traffic()
    client = sdk.client(base_url, session, traffic, max_retries=2)
    results = [sdk.call(client, PROMPT) for _ in range(CALLS)]
    entries = settle(base_url, session, 2 * CALLS, traffic)
    assert statuses(entries) == [status, 200] * CALLS
    assert attempts(entries) == [1, 2] * CALLS
    assert traffic.retry_counts() == ["0", "1"] * CALLS
    faulted = journal(base_url, session, faulted="true")
    assert [e["id"] for e in faulted] == [e["id"] for e in entries[0::2]]
    assert all(e["faults"][0]["rule"] == rule["id"] and e["faults"][0]["action"] == f"{status} retry_after_ms=10"
               for e in faulted)
    ok = journal(base_url, session, status="200")
    assert attempts(ok) == [2] * CALLS and all(e["faults"] == [] for e in ok)
    assert [r._request_id for r in results] == [e["id"] for e in ok]
    assert all(sdk.text(r) for r in results)
    assert counters(base_url, session, rule["id"]) == (CALLS, CALLS)  # retries do not match attempt=first


@pytest.mark.parametrize("status", [503, 500])
def test_gemini_first_attempt_of_each_call_fails_and_the_retry_succeeds(base_url, session, status):
    """§4.7: with `HttpRetryOptions` google-genai retries 500 and 503. It sends no retry-count
    header, so the mock recognises each retry by its repeated body (session + method + path +
    body): three distinct calls give three faulted first attempts and three attempt-2 successes."""
    rule = add_fault(base_url, session, f"{status} attempt=first")
    traffic = Traffic()
    client = gemini_client(base_url, session, traffic, retry=GEMINI_RETRY)
    prompts = [f"{PROMPT} (call {i})" for i in range(CALLS)]
    results = [client.models.generate_content(model=GEMINI_MODEL, contents=p) for p in prompts]
    entries = settle(base_url, session, 2 * CALLS, traffic)
    assert statuses(entries) == [status, 200] * CALLS
    assert attempts(entries) == [1, 2] * CALLS
    assert all("x-stainless-retry-count" not in q.headers for q in traffic.requests)
    assert [q.content for q in traffic.requests[0::2]] == [q.content for q in traffic.requests[1::2]]
    assert len({q.content for q in traffic.requests}) == CALLS
    assert [e["id"] for e in journal(base_url, session, faulted="true")] == [e["id"] for e in entries[0::2]]
    assert [r.sdk_http_response.headers["x-request-id"] for r in results] == [e["id"] for e in entries[1::2]]
    assert all(r.text for r in results)
    assert counters(base_url, session, rule["id"]) == (CALLS, CALLS)


def test_gemini_identical_calls_count_as_later_attempts(base_url, session):
    """The mock's attempt rule without a retry-count header (FaultEngine.arrive): a second call
    with the very same body is the same call's 3rd attempt, so `attempt=first` does not fail it."""
    rule = add_fault(base_url, session, "503 attempt=first")
    traffic = Traffic()
    client = gemini_client(base_url, session, traffic, retry=GEMINI_RETRY)
    first = client.models.generate_content(model=GEMINI_MODEL, contents=PROMPT)
    second = client.models.generate_content(model=GEMINI_MODEL, contents=PROMPT)
    entries = settle(base_url, session, 3, traffic)
    assert statuses(entries) == [503, 200, 200]
    assert attempts(entries) == [1, 2, 3]
    assert first.text == second.text
    assert counters(base_url, session, rule["id"]) == (1, 1)


def test_gemini_default_makes_one_attempt_on_503(base_url, session):
    """§4.7: without `retry_options` google-genai does not retry (tenacity stops after 1 attempt):
    a 503 raises `errors.ServerError` after exactly one request."""
    rule = add_fault(base_url, session, "503 attempt=first")
    traffic = Traffic()
    client = gemini_client(base_url, session, traffic)
    with pytest.raises(gerrors.ServerError) as info:
        client.models.generate_content(model=GEMINI_MODEL, contents=PROMPT)
    entries = settle(base_url, session, 1, traffic)
    assert statuses(entries) == [503] and attempts(entries) == [1]
    assert entries[0]["faults"][0]["rule"] == rule["id"]
    assert info.value.code == 503 and info.value.status == "UNAVAILABLE"
    assert rule["id"] in info.value.message


# ---------------------------------------------------------------------------------------------
# 4. x-should-retry overrides the status
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sdk", STAINLESS)
def test_should_retry_false_stops_the_retry_of_a_500(base_url, session, sdk):
    """§1.6 / §2.6: `x-should-retry: false` wins over the status: a 500 is not retried."""
    add_fault(base_url, session, "500 should_retry=false")
    traffic = Traffic()
    client = sdk.client(base_url, session, traffic, max_retries=2)
    with pytest.raises(sdk.errors.InternalServerError) as info:
        sdk.call(client, PROMPT)
    entries = settle(base_url, session, 1, traffic)
    assert statuses(entries) == [500] and attempts(entries) == [1]
    assert info.value.response.headers["x-should-retry"] == "false"
    assert info.value.request_id == entries[0]["id"]


@pytest.mark.parametrize("sdk", STAINLESS)
def test_should_retry_true_retries_a_400(base_url, session, sdk):
    """§1.6 / §2.6: `x-should-retry: true` makes even a 400 retried, up to `max_retries`."""
    rule = add_fault(base_url, session, "400 should_retry=true retry_after_ms=10")
    traffic = Traffic()
    client = sdk.client(base_url, session, traffic, max_retries=2)
    with pytest.raises(sdk.errors.BadRequestError) as info:
        sdk.call(client, PROMPT)
    entries = settle(base_url, session, 3, traffic)
    assert statuses(entries) == [400, 400, 400] and attempts(entries) == [1, 2, 3]
    assert info.value.request_id == entries[-1]["id"]
    assert counters(base_url, session, rule["id"]) == (3, 3)


# ---------------------------------------------------------------------------------------------
# 5. in-band errors after the 200: raised, never retried
# ---------------------------------------------------------------------------------------------

def _stream_fault_entry(base_url: str, session: str, traffic: Traffic, rule: dict, action: str,
                        events: int) -> dict:
    """Exactly one journal entry: a 200 stream broken by the rule after the given events."""
    (entry,) = settle(base_url, session, 1, traffic)
    assert entry["status"] == 200 and entry["stream"] is True and entry["attempt"] == 1
    assert entry["events"] == events
    assert [(f["rule"], f["stage"], f["action"]) for f in entry["faults"]] == [(rule["id"], "stream", action)]
    assert traffic.last_header("x-request-id") == entry["id"]
    return entry


def test_anthropic_in_band_error_after_three_events(base_url, session):
    """§1.6: `event: error` raises `_make_status_error` with the stream's status: a plain
    `anthropic.APIStatusError` with status 200 and the error's type; it is not retried."""
    rule = add_fault(base_url, session, "529 after_events=3")
    traffic = Traffic()
    client = MESSAGES.client(base_url, session, traffic, max_retries=2)
    received = []
    with pytest.raises(anthropic.APIStatusError) as info:
        with client.messages.create(model=CLAUDE_MODEL, max_tokens=64, stream=True,
                                    messages=[{"role": "user", "content": PROMPT}]) as stream:
            for event in stream:
                received.append(event.type)
    e = info.value
    assert type(e) is anthropic.APIStatusError
    assert e.status_code == 200 and e.type == "overloaded_error"
    assert e.api_message == f"overloaded (injected by bytespike-mock fault rule {rule['id']})"
    entry = _stream_fault_entry(base_url, session, traffic, rule, "529 after_events=3", events=4)
    assert e.request_id == entry["id"] and e.body["request_id"] == entry["id"]
    # The mock's third event is `event: ping`, which the SDK skips (§1.6): two events are yielded.
    assert received == ["message_start", "content_block_start"]


def test_openai_chat_in_band_error_after_three_events(base_url, session):
    """§2.6: a chunk with a truthy top-level `error` raises `openai.APIError` (no status code,
    not an APIStatusError), and it is not retried."""
    rule = add_fault(base_url, session, "529 after_events=3")
    traffic = Traffic()
    client = CHAT.client(base_url, session, traffic, max_retries=2)
    chunks = []
    with pytest.raises(openai.APIError) as info:
        for chunk in client.chat.completions.create(model=GPT_MODEL, messages=[{"role": "user", "content": PROMPT}],
                                                    stream=True, stream_options={"include_usage": True}):
            chunks.append(chunk)
    e = info.value
    assert type(e) is openai.APIError and not isinstance(e, openai.APIStatusError)
    assert e.message == f"overloaded (injected by bytespike-mock fault rule {rule['id']})"
    assert e.code == "overloaded" and e.type == "overloaded_error"
    assert e.body == {"message": e.message, "type": "overloaded_error", "param": None, "code": "overloaded"}
    assert len(chunks) == 3 and all(c.object == "chat.completion.chunk" for c in chunks)
    _stream_fault_entry(base_url, session, traffic, rule, "529 after_events=3", events=4)


def test_openai_responses_raw_stream_yields_response_failed(base_url, session):
    """§3.5: the raw `responses.create(stream=True)` stream yields the failure event instead of
    raising (its error is nested in `response`, not top-level), then ends; no retry."""
    rule = add_fault(base_url, session, "529 after_events=3")
    traffic = Traffic()
    client = RESPONSES.client(base_url, session, traffic, max_retries=2)
    events = list(client.responses.create(model=GPT_MODEL, input=PROMPT, stream=True))
    assert len(events) == 4
    assert events[0].type == "response.created"
    failed = events[-1]
    assert failed.type == "response.failed"
    assert failed.sequence_number == 3
    assert failed.response.status == "failed" and failed.response.id == events[0].response.id
    assert failed.response.error.code == "server_error"  # a code ResponseError.code lists
    assert failed.response.error.message == f"overloaded (injected by bytespike-mock fault rule {rule['id']})"
    _stream_fault_entry(base_url, session, traffic, rule, "529 after_events=3", events=4)


# The codes the installed SDK's `ResponseError.code` lists: a response.failed must use one of them.
RESPONSE_ERROR_CODES = set(typing.get_args(ResponseError.model_fields["code"].annotation))


@pytest.mark.parametrize("status, code", [(500, "server_error"), (503, "server_error"), (529, "server_error"),
                                          (429, "rate_limit_exceeded")])
def test_responses_failed_codes_are_ones_the_sdk_lists_for_faults_and_reply_rules(base_url, session, status, code):
    """An injected fault and a scripted reply rule with the same status fail a Responses stream
    with the same `error.code`, and it is one of the SDK's `ResponseError.code` values."""
    assert code in RESPONSE_ERROR_CODES
    add_fault(base_url, session, f"{status} after_events=2")
    client = RESPONSES.client(base_url, session, Traffic(), max_retries=0)
    by_fault = list(client.responses.create(model=GPT_MODEL, input=PROMPT, stream=True))[-1]
    add_rule(base_url, scripted_error(status, "scripted", after_events=2), contains="rule-failure")
    by_rule = list(openai_client(base_url, max_retries=0).responses.create(
        model=GPT_MODEL, input="rule-failure", stream=True))[-1]
    assert by_fault.type == by_rule.type == "response.failed"
    assert by_fault.response.error.code == by_rule.response.error.code == code


def test_openai_responses_stream_helper_raises_on_get_final_response(base_url, session):
    """§3.5: `responses.stream()` accepts the stream up to `response.failed`, and
    `get_final_response()` raises RuntimeError("Didn't receive a `response.completed` event.")."""
    rule = add_fault(base_url, session, "529 after_events=3")
    traffic = Traffic()
    client = RESPONSES.client(base_url, session, traffic, max_retries=2)
    seen = []
    with client.responses.stream(model=GPT_MODEL, input=PROMPT) as stream:
        for event in stream:
            seen.append(event.type)
        with pytest.raises(RuntimeError, match=re.escape("Didn't receive a `response.completed` event.")):
            stream.get_final_response()
    assert seen[0] == "response.created" and seen[-1] == "response.failed" and len(seen) == 4
    _stream_fault_entry(base_url, session, traffic, rule, "529 after_events=3", events=4)


@pytest.mark.parametrize("status,cls,grpc", [(503, gerrors.ServerError, "UNAVAILABLE"),
                                             (429, gerrors.ClientError, "RESOURCE_EXHAUSTED")])
def test_gemini_in_band_error_after_three_chunks(base_url, session, status, cls, grpc):
    """§4.7: a chunk that is `{"error":...}` raises ClientError or ServerError by its `code`; even
    with retry options for that status nothing is retried once the 200 began."""
    rule = add_fault(base_url, session, f"{status} after_events=3")
    traffic = Traffic()
    client = gemini_client(base_url, session, traffic, retry=GEMINI_RETRY)
    chunks = []
    with pytest.raises(cls) as info:
        for chunk in client.models.generate_content_stream(model=GEMINI_MODEL, contents=PROMPT):
            chunks.append(chunk)
    e = info.value
    assert type(e) is cls
    assert e.code == status and e.status == grpc
    assert e.message == f"{'service unavailable' if status == 503 else 'rate limit exceeded'}" \
                        f" (injected by bytespike-mock fault rule {rule['id']})"
    assert len(chunks) == 3 and all(c.text for c in chunks)
    _stream_fault_entry(base_url, session, traffic, rule, f"{status} after_events=3", events=4)


# ---------------------------------------------------------------------------------------------
# 6. the connection dropped mid-stream: a connection-level error, never retried
# ---------------------------------------------------------------------------------------------

def _consume(kind: str, base_url: str, session: str, traffic: Traffic, got: list,
             timeout: float = HTTP_TIMEOUT) -> None:
    """Streams PROMPT on `kind`'s SDK (retries on: max_retries=2 / retry options), appending what
    the SDK yields to `got`."""
    if kind == "messages":
        client = MESSAGES.client(base_url, session, traffic, max_retries=2, timeout=timeout)
        with client.messages.create(model=CLAUDE_MODEL, max_tokens=64, stream=True,
                                    messages=[{"role": "user", "content": PROMPT}]) as stream:
            for event in stream:
                got.append(event)
    elif kind == "chat":
        client = CHAT.client(base_url, session, traffic, max_retries=2, timeout=timeout)
        for chunk in client.chat.completions.create(model=GPT_MODEL, messages=[{"role": "user", "content": PROMPT}],
                                                    stream=True):
            got.append(chunk)
    elif kind == "responses":
        client = RESPONSES.client(base_url, session, traffic, max_retries=2, timeout=timeout)
        for event in client.responses.create(model=GPT_MODEL, input=PROMPT, stream=True):
            got.append(event)
    else:
        client = gemini_client(base_url, session, traffic, retry=GEMINI_RETRY, timeout=timeout)
        for chunk in client.models.generate_content_stream(model=GEMINI_MODEL, contents=PROMPT):
            got.append(chunk)


# What each SDK raises when the stream's connection goes away (§1.6, §2.6/§3.5, §4.7): FIN in the
# middle of the chunked body is httpx2's RemoteProtocolError ("incomplete chunked read"), RST is
# its ReadError (ECONNRESET); openai wraps either in APIConnectionError.
DROP_CAUSE = {"cut": httpx2.RemoteProtocolError, "reset": httpx2.ReadError}
# What the SDK yields of the three events sent before the drop: anthropic skips the mock's third
# event, `event: ping` (§1.6).
YIELDED = {"messages": ["message_start", "content_block_start"], "chat": [None] * 3,
           "responses": ["response.created", "response.in_progress", "response.output_item.added"],
           "gemini": [None] * 3}


@pytest.mark.parametrize("kind", ["messages", "chat", "responses", "gemini"])
@pytest.mark.parametrize("action", ["cut", "reset"])
def test_connection_dropped_mid_stream_raises_and_is_not_retried(base_url, session, kind, action):
    """§1.6: anthropic surfaces a dropped stream as a raw httpx2 error; §2.6/§3.5: openai wraps it
    in `APIConnectionError`; §4.7: google-genai lets the raw httpx2 error through (its retry
    options cover connect errors only). None retries once the 200 began: the journal has exactly
    one entry, a 200 whose stream broke after three events."""
    rule = add_fault(base_url, session, f"{action} after_events=3")
    traffic = Traffic()
    got: list = []
    with pytest.raises(Exception) as info:
        _consume(kind, base_url, session, traffic, got)
    e = info.value
    if kind in ("chat", "responses"):
        assert type(e) is openai.APIConnectionError, repr(e)
        assert type(e.__cause__) is DROP_CAUSE[action], repr(e.__cause__)
    else:
        assert type(e) is DROP_CAUSE[action], repr(e)
    types = [getattr(x, "type", None) for x in got]
    if action == "cut":
        assert types == YIELDED[kind]
    else:  # an RST may discard bytes not yet read, so only a prefix is certain
        assert types == YIELDED[kind][:len(types)]
    entry = _stream_fault_entry(base_url, session, traffic, rule, f"{action} after_events=3", events=3)
    assert entry["surface"] == kind


@pytest.mark.parametrize("kind", ["messages", "chat", "responses", "gemini"])
def test_stream_stalled_past_the_read_timeout_raises_and_is_not_retried(base_url, session, kind):
    """A read timeout is retried only before the response began (§1.6, §2.6: `APITimeoutError` is
    retried by `_retry_request`; §4.7: httpx timeouts are transient). A stream that stalls after
    three events past the client's 0.15 s read timeout raises during iteration, outside the retry
    loop: openai's `APITimeoutError`, a raw httpx2 `ReadTimeout` from anthropic and google-genai
    (even with retry options). The mock journals the abandoned stream once, with its 3 events."""
    rule = add_fault(base_url, session, "stall for=400ms after_events=3")
    traffic = Traffic()
    got: list = []
    with pytest.raises(Exception) as info:
        _consume(kind, base_url, session, traffic, got, timeout=0.15)
    e = info.value
    if kind in ("chat", "responses"):
        assert type(e) is openai.APITimeoutError, repr(e)
        assert type(e.__cause__) is httpx2.ReadTimeout, repr(e.__cause__)
    else:
        assert type(e) is httpx2.ReadTimeout, repr(e)
    assert [getattr(x, "type", None) for x in got] == YIELDED[kind]
    entry = _stream_fault_entry(base_url, session, traffic, rule, "stall for=400ms after_events=3", events=3)
    assert entry["duration_ms"] < 400  # the mock saw the client go away during the stall


# ---------------------------------------------------------------------------------------------
# 7. the connection dropped before the head: Stainless SDKs retry
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sdk", STAINLESS)
@pytest.mark.parametrize("action", ["reset", "cut"])
def test_connection_dropped_before_the_head_is_retried(base_url, session, sdk, action):
    """§1.6 / §2.6: connection errors are retried (with the default backoff, as there are no
    headers). The dropped request is journaled with status 0, so the journal shows [0, 200]."""
    rule = add_fault(base_url, session, f"{action} first=1")
    traffic = Traffic()
    client = sdk.client(base_url, session, traffic, max_retries=2)
    result = sdk.call(client, PROMPT)
    entries = settle(base_url, session, 2, traffic)
    assert statuses(entries) == [0, 200] and attempts(entries) == [1, 2]
    assert traffic.retry_counts() == ["0", "1"]
    assert entries[0]["bytes"] == 0 and entries[0]["events"] == 0
    assert [(f["rule"], f["stage"], f["action"]) for f in entries[0]["faults"]] == [(rule["id"], "response", action)]
    assert journal(base_url, session, status="0") == entries[:1]
    assert len(traffic.responses) == 1  # the dropped attempt never had a response
    assert sdk.text(result) and result._request_id == entries[1]["id"]


def test_gemini_does_not_retry_a_connection_reset_after_the_request(base_url, session):
    """§4.7: google-genai's retry options retry only httpx connect and timeout errors; a reset
    after the request was sent is a read error, raised after one attempt."""
    add_fault(base_url, session, "reset first=1")
    traffic = Traffic()
    client = gemini_client(base_url, session, traffic, retry=GEMINI_RETRY)
    with pytest.raises(httpx2.ReadError) as info:
        client.models.generate_content(model=GEMINI_MODEL, contents=PROMPT)
    assert not isinstance(info.value, (httpx2.ConnectError, httpx2.TimeoutException)), repr(info.value)
    entries = settle(base_url, session, 1, traffic)
    assert statuses(entries) == [0] and attempts(entries) == [1]


@pytest.mark.parametrize("kind", ["messages", "chat", "responses", "gemini"])
def test_timeout_before_the_head_is_retried(base_url, session, kind):
    """A read timeout before the head is retried: §1.6 / §2.6 (`APITimeoutError`, default backoff
    0.375-0.5 s) and §4.7 (httpx2 `ReadTimeout` is among google-genai's transient errors, with
    retry options). `latency 400ms first=1` outlasts the 0.15 s timeout once; the retry succeeds.
    The delayed attempt is journaled when the mock finishes it, which may be after the retry, so
    the entries are read in arrival order (`seq`)."""
    rule = add_fault(base_url, session, "latency 400ms first=1")
    traffic = Traffic()
    if kind == "gemini":
        client = gemini_client(base_url, session, traffic, retry=GEMINI_RETRY, timeout=0.15)
        result = client.models.generate_content(model=GEMINI_MODEL, contents=PROMPT)
        assert result.text
        request_id = result.sdk_http_response.headers["x-request-id"]
    else:
        sdk = {"messages": MESSAGES, "chat": CHAT, "responses": RESPONSES}[kind]
        client = sdk.client(base_url, session, traffic, max_retries=2, timeout=0.15)
        result = sdk.call(client, PROMPT)
        assert sdk.text(result)
        request_id = result._request_id
        assert traffic.retry_counts() == ["0", "1"]
    entries = sorted(settle(base_url, session, 2, traffic), key=lambda e: e["seq"])
    assert attempts(entries) == [1, 2] and [e["seq"] for e in entries] == [1, 2]
    (f,) = entries[0]["faults"]
    assert (f["rule"], f["stage"], f["action"], f["latency_ms"]) == (rule["id"], "delay", "latency 400ms", 400)
    assert entries[0]["duration_ms"] >= 400
    assert entries[1]["status"] == 200 and entries[1]["faults"] == [] and entries[1]["id"] == request_id
    assert len(traffic.responses) == 1  # the timed-out attempt never had a response


# ---------------------------------------------------------------------------------------------
# 8. seeded probability
# ---------------------------------------------------------------------------------------------

PROBABILITY_CALLS = 20


def _probability_run(base_url: str, session: str, sdk: Stainless) -> tuple[set[int], list[dict]]:
    """Resets the session, adds `500 probability=0.5 seed=11`, makes 20 calls without retries;
    returns the indices of the calls that failed and the session's journal."""
    r = ctl(base_url, session, "POST", "reset")
    assert r.status_code == 200 and r.json() == {"status": "reset", "session": session}, r.text
    assert journal(base_url, session) == []
    rule = add_fault(base_url, session, "500 probability=0.5 seed=11")
    traffic = Traffic()
    client = sdk.client(base_url, session, traffic, max_retries=0)
    failed = set()
    for i in range(PROBABILITY_CALLS):
        try:
            sdk.call(client, f"{PROMPT} #{i}")
        except sdk.errors.InternalServerError:
            failed.add(i)
    entries = settle(base_url, session, PROBABILITY_CALLS, traffic)
    assert [e["seq"] for e in entries] == list(range(1, PROBABILITY_CALLS + 1))
    assert {i for i, e in enumerate(entries) if e["status"] == 500} == failed
    assert all(e["status"] in (200, 500) for e in entries)
    for e in entries:
        if e["status"] == 500:
            (f,) = e["faults"]
            assert f["rule"] == rule["id"] and f["seed"] == "11" and 0 <= f["roll"] < 0.5
            assert f["reason"].startswith(f"n={e['seq']}: probability=0.5 seed=11 roll=")
        else:
            assert e["faults"] == []
    assert counters(base_url, session, rule["id"]) == (PROBABILITY_CALLS, len(failed))
    return failed, entries


def test_seeded_probability_fails_the_same_calls_in_every_run(base_url, session):
    """A seeded probability draws from (seed, n) only, so after a session reset the same calls fail
    again, whatever SDK makes them (max_retries=0: one attempt per call, §1.6 / §2.6)."""
    first, _ = _probability_run(base_url, session, CHAT)
    assert 0 < len(first) < PROBABILITY_CALLS
    second, _ = _probability_run(base_url, session, CHAT)
    assert second == first
    third, _ = _probability_run(base_url, session, MESSAGES)
    assert third == first
