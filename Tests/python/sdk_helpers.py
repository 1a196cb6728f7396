"""Shared helpers for the official-SDK suites of the text surfaces (test_sdk_*.py, test_text_raw.py).

- `reset_mock`: an autouse fixture (import it into a test module) that POSTs /__mock/reset before
  and after each test, so scripted reply rules, the ledger and in-flight counts never leak.
- `add_rule`: scripts a reply through POST /__mock/replies.
- `Traffic`: an httpx2 event hook pair that records every request and response an SDK makes;
  it counts retry attempts and gives the request-id headers to compare with `_request_id`.
- `count_tokens` / `prompt_tokens`: the mock's documented token approximation (Sources/Gateway/Text/
  Tokens.swift, ReplyEngine.inputTokens), so usage numbers are asserted exactly, not just > 0.
- Client factories for anthropic, openai and google-genai pointed at the mock.
"""

from __future__ import annotations

import time

import anthropic
import httpx2
import openai
import pytest
import requests
from google import genai
from google.genai import types as gtypes

HTTP_TIMEOUT = 10

DEFAULT = "sk-byts-default-test-key-0001"   # key_default, personal wallet, group `default` (every model)
CLAUDE = "sk-byts-claude-test-key-0001"     # key_claude, group claude-default
GEMINI = "sk-byts-gemini-test-key-0001"     # key_gemini, group gemini-default
BROKE = "sk-byts-broke-test-key-0001"       # key_broke, empty wallet -> 402 insufficient_balance
TINY = "sk-byts-tiny-quota-key-0001"        # key_tiny, $0.01 quota -> 402 quota_exceeded once spent
BAD = "sk-byts-this-key-does-not-exist-0000"


# ---------------------------------------------------------------------------------------------
# control API
# ---------------------------------------------------------------------------------------------

def control(base_url: str, method: str, path: str, payload=None) -> requests.Response:
    return requests.request(method, base_url + "/__mock/" + path, json=payload, timeout=HTTP_TIMEOUT)


@pytest.fixture(autouse=True)
def reset_mock(base_url):
    r = control(base_url, "POST", "reset")
    assert r.status_code == 200 and r.json() == {"status": "reset"}, r.text
    yield
    control(base_url, "POST", "reset")


def add_rule(base_url: str, reply: dict, *, times: int | None = None, rule_id: str | None = None, **match) -> dict:
    """Adds a runtime reply rule; `match` takes surface, model, contains, regex, tool_result."""
    rule: dict = {"match": match, "reply": reply}
    if rule_id is not None:
        rule["id"] = rule_id
    if times is not None:
        rule["times"] = times
    r = control(base_url, "POST", "replies", rule)
    assert r.status_code == 200, r.text
    return r.json()


def scripted_error(status: int, message: str = "scripted failure", *, type_: str | None = None,
                   after_events: int | None = None, headers: dict | None = None) -> dict:
    e: dict = {"status": status, "message": message}
    if type_ is not None:
        e["type"] = type_
    if after_events is not None:
        e["after_events"] = after_events
    if headers is not None:
        e["headers"] = headers
    return {"error": e}


def spend(base_url: str, key_id: str, model: str, **usage) -> dict:
    r = control(base_url, "POST", "spend", {"key": key_id, "model": model, **usage})
    assert r.status_code == 200, r.text
    return r.json()


def exhaust_tiny_quota(base_url: str) -> None:
    """Spends key_tiny past its $0.01 quota so its next billable request is 402 quota_exceeded."""
    spend(base_url, "key_tiny", "gpt-5-4-pro", output_tokens=1000, enforce=False)


def usage_rows(base_url: str, key: str = DEFAULT) -> list[dict]:
    """The billed rows of the key's account, newest first."""
    r = requests.get(base_url + "/v1/usage", headers={"Authorization": f"Bearer {key}"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def wait_for_rows(base_url: str, n: int, key: str = DEFAULT, timeout: float = 3.0) -> list[dict]:
    """Polls /v1/usage until it holds at least `n` rows (streams bill when they end)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = usage_rows(base_url, key)
        if len(rows) >= n or time.monotonic() > deadline:
            return rows
        time.sleep(0.02)


def in_flight(base_url: str, key: str = DEFAULT) -> int:
    r = requests.get(base_url + "/v1/balance", headers={"Authorization": f"Bearer {key}"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()["in_flight"]


# ---------------------------------------------------------------------------------------------
# token approximation (mirrors Sources/Gateway/Text/Tokens.swift and ReplyEngine.inputTokens)
# ---------------------------------------------------------------------------------------------

def _is_word(c: str) -> bool:
    return (c.isalnum() or c == "_") if c.isascii() else c.isalpha()


def count_tokens(text: str) -> int:
    """A run of letters/digits of at most 6 bytes, or one other character, is a token (leading
    whitespace included); trailing whitespace alone is one more."""
    n = in_word = 0
    pending_space = False
    for ch in text:
        if ch.isspace():
            in_word = 0
            pending_space = True
            continue
        if _is_word(ch):
            b = len(ch.encode())
            if in_word == 0 or in_word + b > 6:
                n += 1
                in_word = b
            else:
                in_word += b
        else:
            n += 1
            in_word = 0
        pending_space = False
    return n + (1 if pending_space else 0)


def prompt_tokens(*messages: str, system: str | None = None) -> int:
    """Input tokens of a tool-free, image-free request: 1, the system text, 3 per message plus its text."""
    return 1 + (count_tokens(system) if system else 0) + sum(3 + count_tokens(m) for m in messages)


# ---------------------------------------------------------------------------------------------
# traffic recording
# ---------------------------------------------------------------------------------------------

class Traffic:
    """Records what an SDK sends and receives, through httpx2 event hooks."""

    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []
        self.responses: list[httpx2.Response] = []

    def on_request(self, request: httpx2.Request) -> None:
        self.requests.append(request)

    def on_response(self, response: httpx2.Response) -> None:
        self.responses.append(response)

    @property
    def hooks(self) -> dict:
        return {"request": [self.on_request], "response": [self.on_response]}

    def client(self) -> httpx2.Client:
        return httpx2.Client(event_hooks=self.hooks, timeout=HTTP_TIMEOUT)

    @property
    def attempts(self) -> int:
        return len(self.requests)

    def retry_counts(self) -> list[str | None]:
        return [r.headers.get("x-stainless-retry-count") for r in self.requests]

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    def last_header(self, name: str) -> str | None:
        return self.responses[-1].headers.get(name)


# ---------------------------------------------------------------------------------------------
# clients
# ---------------------------------------------------------------------------------------------

def anthropic_client(base_url: str, key: str = DEFAULT, traffic: Traffic | None = None, **kw) -> anthropic.Anthropic:
    kw.setdefault("max_retries", 0)
    kw.setdefault("timeout", HTTP_TIMEOUT)
    if traffic is not None:
        kw["http_client"] = traffic.client()
    return anthropic.Anthropic(base_url=base_url, api_key=key, **kw)


def openai_client(base_url: str, key: str = DEFAULT, traffic: Traffic | None = None, **kw) -> openai.OpenAI:
    kw.setdefault("max_retries", 0)
    kw.setdefault("timeout", HTTP_TIMEOUT)
    if traffic is not None:
        kw["http_client"] = traffic.client()
    return openai.OpenAI(base_url=base_url + "/v1", api_key=key, **kw)


def genai_client(base_url: str, key: str = DEFAULT, *, api_version: str | None = None,
                 traffic: Traffic | None = None, retry: gtypes.HttpRetryOptions | None = None) -> genai.Client:
    """A google-genai client on the mock; `api_version` None keeps the SDK default (v1)."""
    opts: dict = {"base_url": base_url, "timeout": HTTP_TIMEOUT * 1000}
    if api_version is not None:
        opts["api_version"] = api_version
    if traffic is not None:
        opts["client_args"] = {"event_hooks": traffic.hooks}
    if retry is not None:
        opts["retry_options"] = retry
    return genai.Client(api_key=key, http_options=gtypes.HttpOptions(**opts))


# ---------------------------------------------------------------------------------------------
# tools shared by the suites
# ---------------------------------------------------------------------------------------------

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
    "required": ["city"],
}
TIME_SCHEMA = {"type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]}

# What the fixture rules `mock:weather` and `mock:parallel` (Fixtures/replies.json) answer.
WEATHER_CALL = ("get_weather", {"city": "Paris", "unit": "celsius"})
PARALLEL_CALLS = [("get_weather", {"city": "Paris"}), ("get_time", {"timezone": "Europe/Paris"})]
THINK = ("Two plus two is four.", "The answer is 4.")      # mock:think: thinking, text
REFUSAL = "I can't help with that request."                # mock:refuse
STREAM_ERROR_TEXT = "This answer breaks off part of the way through."  # mock:stream-error

