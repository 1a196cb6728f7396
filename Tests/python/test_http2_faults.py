"""HTTP/2 chaos in the fault grammar, observed from a real client (httpx2 with http2=True,
http1=False) and, where the frames matter, from raw frames: what httpx raises on RST_STREAM
mid-stream, on GOAWAY, on a data stall past its read timeout; that a single-stream reset leaves
the other streams of the connection alone; the upload stall of window_stall; h2_settings; and
that on HTTP/1.1 these rules are skipped with a journal note."""

from __future__ import annotations

import threading
import time

import httpx2
import pytest
import requests
from hyperframe.frame import SettingsFrame

from h2raw import H2Raw, end_of, status_of
from sdk_helpers import DEFAULT, reset_mock  # noqa: F401

CHAT = {"model": "gpt-5-4-mini", "stream": True, "messages": [{"role": "user", "content": "h2 chaos"}]}
AUTH = {"authorization": f"Bearer {DEFAULT}"}


def h2_client(**timeouts) -> httpx2.Client:
    return httpx2.Client(http2=True, http1=False, timeout=httpx2.Timeout(10, **timeouts),
                         limits=httpx2.Limits(max_connections=1, max_keepalive_connections=1))


def stream_lines(client: httpx2.Client, base_url: str, fault: str | None = None, session: str | None = None) -> list[str]:
    headers = dict(AUTH)
    if fault:
        headers["x-mock-fault"] = fault
    if session:
        headers["x-mock-session"] = session
    with client.stream("POST", base_url + "/v1/chat/completions", headers=headers, json=CHAT) as r:
        assert r.http_version == "HTTP/2"
        return [line for line in r.iter_lines() if line]


def last_entry(base_url: str) -> dict:
    return requests.get(base_url + "/__mock/journal", params={"limit": 1, "capture": "false"}, timeout=5).json()["entries"][0]


def test_rst_stream_cancel_mid_stream_raises_stream_reset_after_the_events_written(base_url):
    events: list[str] = []
    with h2_client() as c, pytest.raises(httpx2.RemoteProtocolError, match=r"StreamReset.*error_code:8"):
        headers = {**AUTH, "x-mock-fault": "rst_stream code=CANCEL after_events=3"}
        with c.stream("POST", base_url + "/v1/chat/completions", headers=headers, json=CHAT) as r:
            for line in r.iter_lines():
                if line:
                    events.append(line)
    assert len(events) == 3
    e = last_entry(base_url)
    assert e["protocol"] == "h2c" and e["faults"][0]["action"] == "rst_stream code=CANCEL after_events=3"


def test_rst_stream_before_the_head_uses_the_chosen_code(base_url):
    with h2_client() as c, pytest.raises(httpx2.RemoteProtocolError, match=r"error_code:7"):
        stream_lines(c, base_url, "rst_stream code=REFUSED_STREAM")
    assert last_entry(base_url)["status"] == 0


def test_a_single_stream_reset_leaves_its_siblings_on_the_connection_alone(base_url):
    results: dict[int, object] = {}
    with h2_client() as c:
        def one(i: int) -> None:
            try:
                results[i] = len(stream_lines(c, base_url, "rst_stream code=CANCEL after_events=2" if i == 0 else None,
                                              session="h2-siblings"))
            except httpx2.HTTPError as e:
                results[i] = e
        threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
    assert isinstance(results[0], httpx2.RemoteProtocolError)
    assert all(isinstance(results[i], int) and results[i] > 3 for i in range(1, 6)), results
    entries = requests.get(base_url + "/__mock/journal", params={"session": "h2-siblings", "capture": "false"}, timeout=5).json()["entries"]
    assert len({e["h2_connection"] for e in entries}) == 1 and len(entries) == 6


def test_goaway_with_an_error_mid_stream_terminates_the_connection(base_url):
    with h2_client() as c, pytest.raises(httpx2.RemoteProtocolError, match=r"ConnectionTerminated error_code:2, last_stream_id:1"):
        stream_lines(c, base_url, "goaway code=INTERNAL_ERROR after_events=2")


def test_goaway_before_the_head_refuses_the_stream_and_other_streams_see_it(base_url):
    port = int(base_url.rsplit(":", 1)[1])
    with H2Raw(port) as c:
        c.request(1, "/__mock/health")
        assert status_of(c.read_until(lambda f: end_of(f, 1)), 1) == 200
        c.request(3, "/v1/models", extra=[("authorization", AUTH["authorization"]), ("x-mock-fault", "goaway code=NO_ERROR")])
        g = c.goaway()
        assert g is not None and g.error_code == 0 and g.last_stream_id == 1  # stream 3 was not processed
    with h2_client() as hc, pytest.raises(httpx2.RemoteProtocolError, match="ConnectionTerminated error_code:0"):
        stream_lines(hc, base_url, "goaway")


def test_data_stall_past_the_read_timeout_raises_read_timeout(base_url):
    with h2_client(read=1.0) as c, pytest.raises(httpx2.ReadTimeout):
        stream_lines(c, base_url, "data_stall for=3s after_events=1")


def test_data_stall_shorter_than_the_timeout_only_delays(base_url):
    with h2_client() as c:
        started = time.monotonic()
        lines = stream_lines(c, base_url, "data_stall for=1s after_events=1")
        assert lines[-1] == "data: [DONE]" and time.monotonic() - started >= 0.9


def test_window_stall_holds_uploads_on_the_connection_for_its_duration(base_url):
    with h2_client() as c:
        r = c.get(base_url + "/v1/models", headers={**AUTH, "x-mock-fault": "window_stall for=2s"})
        assert r.status_code == 200  # the request that carried the fault is answered as usual
        started = time.monotonic()
        big = c.post(base_url + "/v1/chat/completions", headers=AUTH,
                     json={**CHAT, "stream": False, "messages": [{"role": "user", "content": "x" * 3_000_000}]})
        took = time.monotonic() - started
    assert big.status_code in (200, 400)  # whatever the gateway says of a 3 MB prompt, it said it after the stall
    assert 1.5 <= took < 15, took  # the upper bound is loose for a loaded CI machine


def test_h2_settings_advertises_a_small_stream_limit_on_the_connection(base_url):
    port = int(base_url.rsplit(":", 1)[1])
    with H2Raw(port) as c:
        c.request(1, "/v1/models", extra=[("authorization", AUTH["authorization"]), ("x-mock-fault", "h2_settings max_streams=1 window=1024")])
        frames = c.read_until(lambda f: isinstance(f, SettingsFrame) and "ACK" not in f.flags)
        assert frames and frames[-1].settings == {SettingsFrame.MAX_CONCURRENT_STREAMS: 1, SettingsFrame.INITIAL_WINDOW_SIZE: 1024}
        assert status_of(frames + c.read_until(lambda f: end_of(f, 1)), 1) == 200


def test_http2_faults_are_skipped_on_http1_and_the_journal_says_so(base_url):
    r = requests.post(base_url + "/v1/chat/completions", headers={**AUTH, "X-Mock-Fault": "rst_stream code=CANCEL"},
                      json={**CHAT, "stream": False}, timeout=10)
    assert r.status_code == 200 and r.json()["choices"]
    e = last_entry(base_url)
    assert e["protocol"] == "http/1.1" and e["status"] == 200
    assert e["faults"][0]["reason"].endswith("skipped: an HTTP/2 fault, and the request came over http/1.1")


def test_http2_fault_options_are_checked_where_they_enter(base_url):
    for bad, why in [("rst_stream code=NOPE", "expected an HTTP/2 error code"),
                     ("goaway last_stream=-1", "last_stream"),
                     ("h2_settings", "give max_streams"),
                     ("window_stall", "for: required"),
                     ("rst_stream max_streams=2", "only h2_settings"),
                     ("h2_settings window=2147483648", "at most 2147483647")]:
        r = requests.post(base_url + "/v1/chat/completions", headers={**AUTH, "X-Mock-Fault": bad}, json=CHAT, timeout=5)
        assert r.status_code == 400 and why in r.json()["error"]["message"], (bad, r.text)
    ok = requests.post(base_url + "/__mock/faults", json={"fault": "goaway", "code": "ENHANCE_YOUR_CALM", "last_stream": 0,
                                                          "session": "never"}, timeout=5)
    assert ok.status_code == 200, ok.text
    assert ok.json()["faults"][-1]["spec"] == "goaway code=ENHANCE_YOUR_CALM last_stream=0 session=never"
    requests.delete(base_url + "/__mock/faults", timeout=5)


def test_rst_stream_after_events_on_a_task_stream():
    """The task SSE stream takes the HTTP/2 stream faults too: one event, then RST_STREAM(CANCEL)."""
    from h2raw import start_mock_process
    with start_mock_process("--time-scale", "50") as (port, _):
        base = f"http://127.0.0.1:{port}"
        sub = requests.post(base + "/v1/tasks/submit", headers=AUTH, timeout=10,
                            json={"model": "sora-2", "params": {"prompt": "a fox", "duration_seconds": 5}})
        assert sub.status_code == 200, sub.text
        task = sub.json()["task_id"]
        events: list[str] = []
        with h2_client() as c, pytest.raises(httpx2.RemoteProtocolError, match=r"StreamReset.*error_code:8"):
            with c.stream("GET", f"{base}/v1/tasks/stream/{task}",
                          headers={**AUTH, "x-mock-fault": "rst_stream code=CANCEL after_events=1"}) as r:
                for line in r.iter_lines():
                    if line.startswith("event:"):
                        events.append(line)
        assert len(events) == 1
