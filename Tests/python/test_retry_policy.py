"""The gateway's answer to a rate window that is hours from freeing up (docs/accounting.md,
"Retry-After on rate-window 429s"): `Retry-After` is capped at 60 s and, past the cap,
`x-should-retry: false` tells the official SDKs not to retry, so a default client (2 retries)
raises at once instead of sleeping for hours inside one call. Within the cap the real wait is
sent and the SDKs honour it.

Every SDK call runs in a worker thread joined with a deadline, so a regression fails the test in
seconds instead of hanging the suite.
"""

from __future__ import annotations

import threading
import time

import anthropic
import openai
import pytest
import requests

from sdk_helpers import (  # noqa: F401  (reset_mock is an autouse fixture)
    HTTP_TIMEOUT, Traffic, anthropic_client, openai_client, reset_mock,
)

RATE = "sk-byts-rate-limited-key-0001"  # key_ratelimited: $1 per 5 h, $5 per day, $20 per week
H5 = 5 * 3600
T0 = 1_780_315_200  # 2026-06-01T12:00:00Z, after every fixture transaction
DEADLINE = 20.0


def control(base_url: str, path: str, payload: dict) -> dict:
    r = requests.post(base_url + "/__mock/" + path, json=payload, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


def fill_the_5h_window(base_url: str) -> None:
    """Freezes the clock at T0 and spends $2 on key_ratelimited: its 5h window frees at T0 + 5 h."""
    assert control(base_url, "clock", {"action": "set", "time": T0})["now"] == T0
    control(base_url, "spend", {"key": "key_ratelimited", "model": "sora-2", "video_seconds": 20})


def bounded(call):
    """Runs `call` in a daemon thread; returns (its exception, seconds taken), failing the test
    if it has not returned within DEADLINE."""
    out: dict = {}

    def run():
        started = time.monotonic()
        try:
            call()
        except Exception as e:  # noqa: BLE001  (the caller asserts on the type)
            out["error"] = e
        out["seconds"] = time.monotonic() - started

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(DEADLINE)
    assert not worker.is_alive(), f"the SDK call was still running after {DEADLINE} s (sleeping on Retry-After?)"
    return out.get("error"), out["seconds"]


CLIENTS = [
    pytest.param(lambda url, t: anthropic_client(url, RATE, t, max_retries=2).messages.create(
        model="claude-sonnet-4-6", max_tokens=8, messages=[{"role": "user", "content": "hi"}]),
        anthropic.RateLimitError, id="anthropic"),
    pytest.param(lambda url, t: openai_client(url, RATE, t, max_retries=2).chat.completions.create(
        model="gpt-5-4", messages=[{"role": "user", "content": "hi"}]), openai.RateLimitError, id="openai-chat"),
    pytest.param(lambda url, t: openai_client(url, RATE, t, max_retries=2).responses.create(
        model="gpt-5-4", input="hi"), openai.RateLimitError, id="openai-responses"),
]


@pytest.mark.parametrize("call, error", CLIENTS)
def test_a_window_hours_away_is_not_retried_by_a_default_client(base_url, call, error):
    fill_the_5h_window(base_url)
    traffic = Traffic()
    e, seconds = bounded(lambda: call(base_url, traffic))
    assert isinstance(e, error), e
    assert traffic.attempts == 1, "x-should-retry: false must stop the SDK's retries"
    assert seconds < 5
    assert e.response.headers["Retry-After"] == "60"
    assert e.response.headers["x-should-retry"] == "false"
    assert "rate_limit_5h exceeded" in str(e) and "resets at 2026-06-01 17:00:00 UTC" in str(e)


@pytest.mark.parametrize("call, error", CLIENTS)
def test_a_wait_within_the_cap_is_sent_as_is_and_honoured(base_url, call, error):
    fill_the_5h_window(base_url)
    control(base_url, "clock", {"action": "advance", "seconds": H5 - 1})  # one second to go
    traffic = Traffic()
    e, seconds = bounded(lambda: call(base_url, traffic))
    # The clock is frozen, so the retry one second later meets the same window: two retries, ~1 s each.
    assert isinstance(e, error), e
    assert traffic.attempts == 3
    assert 2.0 <= seconds < 10
    assert e.response.headers["Retry-After"] == "1"
    assert "x-should-retry" not in e.response.headers
