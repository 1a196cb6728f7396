"""The loop never blocks and no query crashes: reply-rule regexes run in bounded time, numeric
query parameters of the accounting reads are range-checked, against the real binary.

Each test starts its own mock (mockproc.running_mock), so a crash shows up as a dead process and
the server is checked to be still up after every hostile request.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

from mockproc import running_mock

DEFAULT = "sk-byts-default-test-key-0001"
TIMEOUT = 10


def auth(key: str = DEFAULT) -> dict:
    return {"Authorization": f"Bearer {key}"}


def chat(url: str, text: str) -> requests.Response:
    body = {"model": "gpt-5-5", "messages": [{"role": "user", "content": text}]}
    return requests.post(url + "/v1/chat/completions", json=body, headers=auth(), timeout=TIMEOUT)


def assert_up(mock) -> None:
    assert mock.control.running, mock.logs()
    r = requests.get(mock.url + "/__mock/health", timeout=TIMEOUT)
    assert r.status_code == 200, r.text


def test_catastrophic_regex_rule_answers_quickly_and_other_requests_are_served():
    # The reproducer: `(a+)+$` against 5,000 `a` and a `!` spun the loop for 10 s.
    with running_mock() as mock:
        r = requests.post(mock.url + "/__mock/replies",
                          json={"id": "evil", "match": {"regex": "(a+)+$"}, "reply": {"text": "matched"}}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        latencies: dict[str, float] = {}

        def models():
            t = time.monotonic()
            m = requests.get(mock.url + "/v1/models", headers=auth(), timeout=TIMEOUT)
            latencies["models"] = time.monotonic() - t
            assert m.status_code == 200

        started = time.monotonic()
        side = [threading.Thread(target=models) for _ in range(4)]
        for t in side:
            t.start()
        evil = chat(mock.url, "a" * 5000 + "!")
        latencies["evil"] = time.monotonic() - started
        for t in side:
            t.join()
        assert evil.status_code == 200, evil.text
        assert evil.json()["choices"][0]["message"]["content"] != "matched"  # `$` fails after the `!`
        assert latencies["evil"] < 2.0 and latencies["models"] < 2.0, latencies
        # The same rule still matches where it should.
        hit = chat(mock.url, "a" * 5000)
        assert hit.json()["choices"][0]["message"]["content"] == "matched"
        assert_up(mock)


def test_regex_rule_past_its_step_budget_counts_as_no_match_and_is_reported():
    with running_mock() as mock:
        r = requests.post(mock.url + "/__mock/replies",
                          json={"id": "slow", "match": {"regex": "(x|y|z)*q"}, "reply": {"text": "matched"}}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        started = time.monotonic()
        resp = chat(mock.url, "xyz" * 400_000)
        assert time.monotonic() - started < 5.0
        assert resp.status_code == 200, resp.text
        assert resp.json()["choices"][0]["message"]["content"] != "matched"
        rules = requests.get(mock.url + "/__mock/replies", timeout=TIMEOUT).json()
        slow = next(rule for rule in rules["replies"] if rule["id"] == "slow")
        assert slow["regex_over_budget"] == 1
        assert_up(mock)


@pytest.mark.parametrize("pattern, reason", [
    ("(a{1000}){1000}", "too complex"),
    ("(a)\\1", "back-references"),
    ("(?=a)", "look-ahead"),
    ("(", "missing ')'"),
])
def test_unsupported_or_too_complex_regex_is_refused_when_the_rule_is_added(pattern, reason):
    with running_mock() as mock:
        r = requests.post(mock.url + "/__mock/replies",
                          json={"match": {"regex": pattern}, "reply": {"text": "x"}}, timeout=TIMEOUT)
        assert r.status_code == 400, r.text
        assert "regex" in r.text and reason in r.text, r.text
        assert_up(mock)


OVERFLOW_QUERIES = [
    ("/v1/usage?page=9223372036854775807", "page"),
    ("/api/v1/usage?page=9223372036854775807", "page"),
    ("/v1/usage?page=9223372036854775807&page_size=1000", "page"),
    ("/v1/usage?page=-9223372036854775808", "page"),
    ("/v1/usage?page_size=9223372036854775807", "page_size"),
    ("/v1/usage?since=-9223372036854775807", "since"),
    ("/v1/usage?until=9223372036854775807", "until"),
    ("/v1/usage?since=99999999999999999999999", "since"),
    ("/api/v1/me/billing/transactions?page=9223372036854775807", "page"),
    ("/api/v1/me/billing/transactions?page=9223372036854775807&page_size=200", "page"),
    ("/api/v1/me/billing/transactions?since=-9223372036854775807", "since"),
    ("/api/v1/me/usage?since=-9223372036854775807", "since"),
    ("/api/v1/me/usage?until=9223372036854775807", "until"),
    ("/api/v1/me/usage?since=-9223372036854775807&until=9223372036854775807", "since"),
    ("/api/v1/me/usage?since=0000-01-01T00:00:00Z", "since"),
]


def test_out_of_range_query_parameters_are_400_naming_the_field_and_the_server_stays_up():
    with running_mock() as mock:
        # Some rows and movements, so the pages are not trivially empty.
        for _ in range(3):
            r = requests.post(mock.url + "/__mock/spend",
                              json={"key": "key_default", "model": "gpt-5-5", "input_tokens": 10}, timeout=TIMEOUT)
            assert r.status_code == 200, r.text
        for path, field in OVERFLOW_QUERIES:
            r = requests.get(mock.url + path, headers=auth(), timeout=TIMEOUT)
            assert r.status_code == 400, (path, r.status_code, r.text)
            error = r.json()["error"]
            assert error.get("param") == field, (path, error)
            assert field in error["message"], (path, error)
            assert_up(mock)
        # In range, the largest page is simply empty.
        r = requests.get(mock.url + "/v1/usage?page=1000000000&page_size=1000", headers=auth(), timeout=TIMEOUT)
        assert r.status_code == 200 and r.json()["data"] == [] and r.json()["total"] == 3, r.text
        r = requests.get(mock.url + "/api/v1/me/billing/transactions?page=1000000000", headers=auth(), timeout=TIMEOUT)
        assert r.status_code == 200 and r.json()["items"] == [], r.text
        assert_up(mock)
