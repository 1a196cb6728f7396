"""Issue 17: GET /__mock/metrics in the Prometheus text format, parsed with prometheus-client's
own parser, against a private bytespike-mock process driven through the official OpenAI SDK.

Run: BYTESPIKE_MOCK_BIN=.build/debug/bytespike-mock .venv/bin/python -m pytest -q Tests/python/test_observe_metrics.py
"""

from __future__ import annotations

import socket
import threading
import time

import openai
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from mockproc import running_mock

DEFAULT = "sk-byts-default-test-key-0001"


def scrape(m) -> dict[tuple[str, tuple], float]:
    r = requests.get(m.url + "/__mock/metrics", timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    out = {}
    for fam in text_string_to_metric_families(r.text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_countRequestsFaultsEventsCreditsAndTheJournal():
    with running_mock("--journal-size", "3", "--log", "off") as m:
        c = openai.OpenAI(base_url=m.url + "/v1", api_key=DEFAULT, max_retries=0)
        for _ in range(2):
            c.chat.completions.create(model="gpt-5-4-nano", messages=[{"role": "user", "content": "hi"}])
        chunks = list(c.chat.completions.create(model="gpt-5-4-nano", messages=[{"role": "user", "content": "hi"}], stream=True))
        with pytest.raises(openai.RateLimitError):
            c.chat.completions.create(model="gpt-5-4-nano", messages=[{"role": "user", "content": "x"}],
                                      extra_headers={"X-Mock-Fault": "429"})
        requests.post(m.url + "/__mock/faults", data="503 path=/v1/models id=models503", timeout=10)
        requests.get(m.url + "/v1/models", headers={"Authorization": "Bearer " + DEFAULT}, timeout=10)
        ledger = requests.get(m.url + "/v1/usage", headers={"Authorization": "Bearer " + DEFAULT}, timeout=10).json()
        s = scrape(m)
        req = lambda surface, status: s.get(("bytespike_mock_requests_total", (("status", str(status)), ("surface", surface))), 0)
        assert req("chat", 200) == 3 and req("chat", 429) == 1 and req("models", 503) == 1
        assert s[("bytespike_mock_faults_applied_total", (("rule", "header-1"),))] == 1
        assert s[("bytespike_mock_faults_applied_total", (("rule", "models503"),))] == 1
        assert s[("bytespike_mock_stream_events_total", ())] == len(chunks) + 1
        billed = sum(r["credits"] for r in ledger["data"]) / 1e6
        assert len(ledger["data"]) == 3 and billed > 0
        assert s[("bytespike_mock_credits_billed_usd_total", ())] == pytest.approx(billed, abs=1e-6)
        assert s[("bytespike_mock_journal_entries", ())] == 3
        assert s[("bytespike_mock_journal_dropped_total", ())] == 3  # 6 gateway requests, 3 kept
        assert s[("bytespike_mock_journal_capacity", ())] == 3
        assert 0 < s[("bytespike_mock_journal_bytes", ())] <= s[("bytespike_mock_journal_byte_limit", ())]
        assert s[("bytespike_mock_requests_in_flight", ())] == 0
        assert s[("bytespike_mock_streams_in_flight", ())] == 0
        assert s[("bytespike_mock_open_connections", ())] >= 1  # this scrape's own connection


def test_metrics_gaugesSeeOpenConnectionsAndAStreamInFlight():
    with running_mock("--log", "off") as m:
        idle = [socket.create_connection(("127.0.0.1", m.port)) for _ in range(3)]
        c = openai.OpenAI(base_url=m.url + "/v1", api_key=DEFAULT, max_retries=0)
        stream = c.chat.completions.create(model="gpt-5-4-nano", messages=[{"role": "user", "content": "slow"}], stream=True,
                                           extra_headers={"X-Mock-Fault": "drip tps=5 ttft=10ms"})
        next(iter(stream))
        deadline = time.monotonic() + 5
        s = scrape(m)
        while s[("bytespike_mock_open_connections", ())] < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
            s = scrape(m)
        assert s[("bytespike_mock_open_connections", ())] >= 5  # 3 idle + the stream + the scrape
        assert s[("bytespike_mock_streams_in_flight", ())] == 1
        assert s[("bytespike_mock_requests_in_flight", ())] == 1
        stream.close()
        for sock in idle:
            sock.close()


def test_openapi_isAValidOpenAPI31DocumentAndEveryOperationIsRouted():
    from openapi_spec_validator import validate

    with running_mock("--log", "off") as m:
        r = requests.get(m.url + "/__mock/openapi.json", timeout=10)
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        doc = r.json()
        assert doc["openapi"] == "3.1.0"
        validate(doc)  # raises on an invalid document
        ops = [(method.upper(), path) for path, item in doc["paths"].items() for method in item if method != "parameters"]
        assert ("POST", "/__mock/verify") in ops and ("GET", "/__mock/metrics") in ops and ("GET", "/__mock/ui") in ops
        for method, path in ops:
            if method == "POST" and path == "/__mock/reset":
                continue  # would reset the server under the other calls; routed like the rest
            url = m.url + path.replace("{id}", "nope")
            resp = requests.request(method, url, data="", params={"timeout_ms": 0} if path.endswith("/wait") else None, timeout=10)
            assert resp.status_code != 405, f"{method} {path}: not routed ({resp.text[:200]})"
            if resp.status_code == 404:
                assert "no route" not in resp.text, f"{method} {path}: not routed"
