"""Issue 17: full capture in the journal, content matchers, verify and the request log, driven
through the official SDKs against a private bytespike-mock process.

Run: BYTESPIKE_MOCK_BIN=.build/debug/bytespike-mock .venv/bin/python -m pytest -q Tests/python/test_observe_capture.py
"""

from __future__ import annotations

import json
import threading
import time

import httpx
import openai
import pytest
import requests

from mockproc import running_mock

DEFAULT = "sk-byts-default-test-key-0001"
TIMEOUT = 10


@pytest.fixture(scope="module")
def mock():
    with running_mock("--seed", "3") as m:
        yield m


@pytest.fixture(autouse=True)
def clean(mock):
    requests.post(mock.url + "/__mock/reset", timeout=TIMEOUT)
    yield


def client(mock, **kw) -> openai.OpenAI:
    return openai.OpenAI(base_url=mock.url + "/v1", api_key=DEFAULT, max_retries=0, **kw)


def journal(mock, **params) -> dict:
    r = requests.get(mock.url + "/__mock/journal", params=params, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


def chat(mock, text: str, **kw):
    return client(mock).chat.completions.create(model="gpt-5-4-nano", messages=[{"role": "user", "content": text}], **kw)


def verify(mock, body: dict, headers: dict | None = None) -> requests.Response:
    return requests.post(mock.url + "/__mock/verify", json=body, headers=headers or {}, timeout=TIMEOUT)


# --- capture ---------------------------------------------------------------------------------

def test_capture_holdsTheRequestAndTheResponseAsTheSdkSawThem(mock):
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}]
    done = chat(mock, "What is the weather?", tools=tools, extra_headers={"Idempotency-Key": "idem-42"},
                extra_query={"trace": "yes"})
    [e] = journal(mock)["entries"]
    req, resp = e["request"], e["response"]
    assert req["body_format"] == "json"
    assert req["body"]["messages"] == [{"role": "user", "content": "What is the weather?"}]
    assert req["body"]["tools"] == tools
    assert req["query"] == {"trace": "yes"}
    assert req["headers"]["idempotency-key"] == "idem-42"
    assert req["headers"]["x-stainless-retry-count"] == "0"
    assert req["body_size"] == int(req["headers"]["content-length"])
    assert resp["status"] == 200 and resp["written"] == "http"
    assert resp["headers"]["x-request-id"] == e["id"] == done._request_id
    assert resp["body_format"] == "json" and resp["body"]["id"] == done.id
    assert resp["body"]["choices"][0]["message"]["content"] == done.choices[0].message.content


def test_capture_masksEverySecret_keyIdAndLastFourOnly(mock):
    chat(mock, "hi")
    requests.get(mock.url + "/v1beta/models?key=" + "sk-byts-gemini-test-key-0001", timeout=TIMEOUT)
    requests.get(mock.url + "/v1/models", headers={"x-api-key": "sk-byts-claude-test-key-0001",
                                                   "anthropic-version": "2023-06-01"}, timeout=TIMEOUT)
    text = requests.get(mock.url + "/__mock/journal", timeout=TIMEOUT).text
    for secret in (DEFAULT, "sk-byts-gemini-test-key-0001", "sk-byts-claude-test-key-0001"):
        assert secret not in text
    entries = journal(mock)["entries"]
    assert entries[0]["request"]["headers"]["authorization"] == "Bearer …0001 (key_default)"
    assert entries[1]["request"]["target"] == "/v1beta/models?key=…0001 (key_gemini)"
    assert entries[1]["request"]["query"]["key"] == "…0001 (key_gemini)"
    assert entries[2]["request"]["headers"]["x-api-key"] == "…0001 (key_claude)"


def test_capture_streamHoldsTheEventsAsSentWithTheirOffsets(mock):
    chunks = list(chat(mock, "tell me a story", stream=True))
    [e] = journal(mock, stream="true")["entries"]
    events = e["response"]["events"]
    assert e["response"]["content_type"].startswith("text/event-stream")
    assert len(events) == e["events"] == len(chunks) + 1   # + data: [DONE]
    assert [ev["data"]["id"] for ev in events[:-1]] == [c.id for c in chunks]
    assert events[-1]["data"] == "[DONE]"
    offsets = [ev["ms"] for ev in events]
    assert offsets == sorted(offsets) and offsets[0] >= 0


def test_capture_pacedStreamOffsetsGrow(mock):
    list(chat(mock, "slow", stream=True, extra_headers={"X-Mock-Fault": "drip tps=200 ttft=100ms"}))
    [e] = journal(mock)["entries"]
    offsets = [ev["ms"] for ev in e["response"]["events"]]
    assert offsets[0] >= 90, offsets
    assert offsets[-1] > offsets[0]


def test_capture_faultedExchangesHoldWhatWasActuallyWritten(mock):
    with pytest.raises(openai.APIConnectionError):
        chat(mock, "cut me", extra_headers={"X-Mock-Fault": "cut"})
    with pytest.raises(openai.APIConnectionError):
        chat(mock, "garbage", extra_headers={"X-Mock-Fault": "garbage bytes=10"})
    with pytest.raises(openai.APIConnectionError):
        list(chat(mock, "mid-stream", stream=True, extra_headers={"X-Mock-Fault": "cut after_events=3"}))
    cut, garbage, streamcut = journal(mock)["entries"]
    assert cut["status"] == 0 and cut["response"]["written"] == "nothing" and cut["response"]["headers"] == {}
    assert cut["request"]["body"]["messages"][0]["content"] == "cut me"
    assert garbage["response"]["written"] == "raw" and garbage["response"]["body_size"] == 10
    assert garbage["response"]["body_format"] in ("base64", "text")
    assert streamcut["response"]["written"] == "http"
    assert len(streamcut["response"]["events"]) == 3
    assert [f["rule"] for f in streamcut["faults"]] == ["header-1"]


def test_capture_multipartIsSummarised(mock):
    files = {"image": ("cat.png", b"\x89PNG" + b"\x00" * 100, "image/png")}
    data = {"model": "gpt-image-1", "prompt": "a hat"}
    requests.post(mock.url + "/v1/images/edits", headers={"Authorization": "Bearer " + DEFAULT}, files=files, data=data,
                  timeout=TIMEOUT)
    [e] = journal(mock)["entries"]
    body = e["request"]["body"]
    assert e["request"]["body_format"] == "multipart"
    parts = {p["name"]: p for p in body["parts"]}
    assert parts["image"] == {"name": "image", "filename": "cat.png", "content_type": "image/png", "size": 104}
    assert parts["prompt"]["value"] == "a hat"


def test_capture_bodyOverTheLimitIsCutWithAMarker():
    with running_mock("--journal-body-bytes", "64", "--log", "off") as m:
        text = "x" * 500
        chat(m, text)
        [e] = journal(m)["entries"]
        req = e["request"]
        assert req["body_omitted"] == req["body_size"] - 64 > 400
        assert req["body_format"] == "text" and len(req["body"]) == 64
        assert e["response"]["body_omitted"] > 0


def test_journal_bytesLimitDropsTheOldestFirst():
    with running_mock("--journal-bytes", "8192", "--log", "off") as m:
        for i in range(12):
            chat(m, f"message {i} " + "y" * 300)
        j = journal(m)
        assert j["held_bytes"] <= j["byte_limit"] == 8192
        assert j["dropped"] > 0 and j["count"] + j["dropped"] == j["total"] == 12
        kept = [e["request"]["body"]["messages"][0]["content"].split()[1] for e in j["entries"]]
        assert kept == [str(i) for i in range(12 - len(kept), 12)]


# --- matchers --------------------------------------------------------------------------------

def test_filters_contentMatchers(mock):
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}]
    chat(mock, "first question")
    chat(mock, "second question", tools=tools, extra_headers={"Idempotency-Key": "k-2"})
    list(chat(mock, "third", stream=True))

    def ids(**q):
        return [e["request"]["body"]["messages"][-1]["content"] for e in journal(mock, **q)["entries"]]

    assert ids(body_contains="second") == ["second question"]
    assert ids(json="messages[-1].content=first question") == ["first question"]
    assert ids(json="/messages/0/content=third") == ["third"]
    assert ids(json="stream=true") == ["third"]
    assert ids(json="tools[*].function.name=lookup") == ["second question"]
    assert ids(json="tools") == ["second question"]
    assert ids(json="messages[-1].content~(?i)^F") == ["first question"]
    assert ids(json="messages[-1].content~^[fs].*question$") == ["first question", "second question"]
    assert ids(header="idempotency-key") == ["second question"]
    assert ids(header="idempotency-key:k-2") == ["second question"]
    assert ids(header="idempotency-key:nope") == []
    assert ids(method="post", body_contains="question") == ["first question", "second question"]
    r = requests.get(mock.url + "/__mock/journal", params={"json": "messages[-1].content~(a"}, timeout=TIMEOUT)
    assert r.status_code == 400 and "regex" in r.json()["error"]["message"]
    r = requests.get(mock.url + "/__mock/journal", params={"json": "messages[x"}, timeout=TIMEOUT)
    assert r.status_code == 400


def test_journalWait_takesTheSameMatchers(mock):
    result = {}

    def wait():
        result["r"] = requests.get(mock.url + "/__mock/journal/wait",
                                   params={"body_contains": "the awaited one", "timeout_ms": 5000}, timeout=TIMEOUT)

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.2)
    chat(mock, "not this")
    chat(mock, "the awaited one")
    t.join(TIMEOUT)
    r = result["r"]
    assert r.status_code == 200, r.text
    assert [e["request"]["body"]["messages"][0]["content"] for e in r.json()["entries"]] == ["the awaited one"]


# --- verify ----------------------------------------------------------------------------------

def test_verify_theIssuesExactCall(mock):
    call = {"match": {"path": "/v1/chat/completions", "body_contains": "some text"}, "count": {"exactly": 1}}
    assert verify(mock, call).status_code == 422
    chat(mock, "here is some text")
    r = verify(mock, call)
    assert r.status_code == 200, r.text
    assert r.json()["ok"] is True and r.json()["matched"] == 1
    assert r.json()["entries"][0]["request"]["body"]["messages"][0]["content"] == "here is some text"
    chat(mock, "and some text again")
    r = verify(mock, call)
    assert r.status_code == 422
    assert "expected exactly 1 request" in r.json()["error"]["message"] and "but 2 matched" in r.json()["error"]["message"]


def test_verify_failureNamesTheClosestNearMissesFieldByField(mock):
    chat(mock, "hello there")
    requests.get(mock.url + "/v1/models", headers={"Authorization": "Bearer " + DEFAULT}, timeout=TIMEOUT)
    r = verify(mock, {"match": {"path": "/v1/chat/completions", "json": {"messages[-1].content": "hello world"}}})
    assert r.status_code == 422
    body = r.json()
    assert body["error"]["code"] == "verification_failed" and body["matched"] == 0
    first = body["near_misses"][0]
    assert first["entry"]["path"] == "/v1/chat/completions"
    assert first["differences"] == [{"field": "json messages[-1].content", "expected": '"hello world"', "actual": '"hello there"'}]
    assert "json messages[-1].content: expected \"hello world\", was \"hello there\"" in body["message"]
    second = body["near_misses"][1]
    assert {d["field"] for d in second["differences"]} >= {"path"}


def test_verify_bodySubsetCountsAndSequence(mock):
    c = client(mock)
    for _ in range(2):
        c.chat.completions.create(model="gpt-5-4-nano", messages=[{"role": "user", "content": "x"}], temperature=0.5)
    chat(mock, "y")
    assert verify(mock, {"match": {"body": {"model": "gpt-5-4-nano", "temperature": 0.5}}, "count": 2}).status_code == 200
    assert verify(mock, {"match": {"body": {"temperature": 0.5}}, "count": {"at_most": 1}}).status_code == 422
    assert verify(mock, {"match": {"path": "/v1/*"}, "count": {"at_least": 3}}).status_code == 200
    seq = {"sequence": [{"body_contains": '"x"'}, {"body_contains": '"y"'}]}
    assert verify(mock, seq).status_code == 200
    r = verify(mock, {"sequence": [{"body_contains": '"y"'}, {"body_contains": '"x"'}]})
    assert r.status_code == 422 and "step 2 of 2" in r.json()["message"]


def test_verify_sessionsScopeIt(mock):
    client(mock, default_headers={"X-Mock-Session": "alpha"}).chat.completions.create(
        model="gpt-5-4-nano", messages=[{"role": "user", "content": "in alpha"}])
    call = {"match": {"body_contains": "in alpha"}, "count": {"exactly": 1}}
    assert verify(mock, call, {"X-Mock-Session": "alpha"}).status_code == 200
    assert verify(mock, call, {"X-Mock-Session": "beta"}).status_code == 422


@pytest.mark.parametrize("body, word", [
    ({}, "match"),
    ({"match": {"nope": 1}}, "unknown matcher"),
    ({"match": {"path": 3}}, "wrong type"),
    ({"match": {}, "count": {"exactly": -1}}, "count"),
    ({"match": {}, "count": {"twice": 1}}, "count"),
    ({"match": {"json": {"a~": {"matches": "(x"}}}}, "regex"),
    ({"sequence": []}, "sequence"),
])
def test_verify_badInputIsA400ThatSaysWhy(mock, body, word):
    r = verify(mock, body)
    assert r.status_code == 400, r.text
    assert word in r.json()["error"]["message"]


def test_verify_pathologicalRegexStaysFast(mock):
    requests.post(mock.url + "/v1/chat/completions", headers={"Authorization": "Bearer " + DEFAULT},
                  json={"model": "gpt-5-4-nano", "messages": [{"role": "user", "content": "a" * 5000}]}, timeout=TIMEOUT)
    started = time.monotonic()
    r = verify(mock, {"match": {"json": {"messages[0].content": {"matches": "^a*a*a*a*a*a*a*a*a*b$"}}}})
    assert r.status_code == 422
    assert time.monotonic() - started < 2


# --- logs ------------------------------------------------------------------------------------

def output(m, stream: str) -> str:
    """The process's stdout or stderr so far (`Mock.logs()` gives both, in labelled sections)."""
    text = m.logs()
    out, _, err = text.partition("--- stderr ---\n")
    return out.removeprefix("--- stdout ---\n") if stream == "stdout" else err


def wait_for_lines(m, n: int) -> list[str]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = output(m, "stderr").splitlines()
        if len(lines) >= n:
            return lines
        time.sleep(0.05)
    return output(m, "stderr").splitlines()


def test_log_defaultIsOneTextLinePerRequestOnStderr():
    with running_mock() as m:
        chat(m, "hi")
        with pytest.raises(openai.RateLimitError):
            chat(m, "limited", extra_headers={"X-Mock-Fault": "429"})
        lines = wait_for_lines(m, 2)
        assert len(lines) == 2, lines
        assert " POST /v1/chat/completions 200 chat model=gpt-5-4-nano key=key_default " in lines[0]
        assert " 429 chat " in lines[1] and "faults=header-1:429" in lines[1]
        assert DEFAULT not in "".join(lines)
        out = output(m, "stdout")
        assert "POST" not in out and out.strip()  # the start-up line stays on stdout, alone


def test_log_jsonLinesAndOff():
    with running_mock("--log", "json") as m:
        list(chat(m, "hi", stream=True))
        [line] = wait_for_lines(m, 1)
        row = json.loads(line)
        assert row["method"] == "POST" and row["path"] == "/v1/chat/completions" and row["status"] == 200
        assert row["surface"] == "chat" and row["model"] == "gpt-5-4-nano" and row["key"] == "key_default"
        assert row["stream"] is True and row["events"] > 2 and row["duration_ms"] >= 0 and row["faults"] == []
        assert row["time"].endswith("Z")
    with running_mock("--log", "off") as m:
        chat(m, "hi")
        time.sleep(0.3)
        assert output(m, "stderr") == ""


def test_log_namesTheProtocol_andTheHTTP2ConnectionAndStream():
    import httpx2  # HTTP/2 only (prior knowledge), as in test_http2_sdk.py
    body = {"model": "gpt-5-4-nano", "messages": [{"role": "user", "content": "hi"}]}
    auth = {"Authorization": f"Bearer {DEFAULT}"}
    with running_mock("--log", "json") as m:
        requests.post(m.url + "/v1/chat/completions", json=body, headers=auth, timeout=TIMEOUT)
        with httpx2.Client(http1=False, http2=True, timeout=TIMEOUT) as h2:
            for _ in range(2):
                assert h2.post(m.url + "/v1/chat/completions", json=body, headers=auth).http_version == "HTTP/2"
        rows = [json.loads(line) for line in wait_for_lines(m, 3)]
        assert [r["protocol"] for r in rows] == ["http/1.1", "h2c", "h2c"], rows
    with running_mock() as m:
        requests.post(m.url + "/v1/chat/completions", json=body, headers=auth, timeout=TIMEOUT)
        with httpx2.Client(http1=False, http2=True, timeout=TIMEOUT) as h2:
            for _ in range(2):
                h2.post(m.url + "/v1/chat/completions", json=body, headers=auth)
        lines = wait_for_lines(m, 3)
        assert "h2c" not in lines[0], lines  # HTTP/1.1 lines are as before
        assert lines[1].endswith(" h2c=1/1") and lines[2].endswith(" h2c=1/3"), lines  # one connection, streams 1 and 3


@pytest.mark.parametrize("args, word", [
    (["--log", "loud"], "--log expects text, json or off"),
    (["--journal-bytes", "100"], "--journal-bytes expects an integer in 4096"),
    (["--journal-body-bytes", "-1"], "--journal-body-bytes expects an integer in 0"),
])
def test_cli_refusesBadObservationFlags(args, word):
    from mockproc import run_cli
    r = run_cli(*args)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert word in r.stderr


def test_verify_throughThePythonPackagesHelper(mock):
    from bytespike_mock.errors import VerificationError
    chat(mock, "packaged some text")
    entries = mock.control.verify(path="/v1/chat/completions", body_contains="some text", count=1)
    assert [e["request"]["body"]["messages"][0]["content"] for e in entries] == ["packaged some text"]
    assert mock.control.verify(path="/v1/chat/completions", body={"model": "gpt-5-4-nano"}, count={"at_least": 1})
    with pytest.raises(VerificationError) as failed:
        mock.control.verify(path="/v1/messages", count=2)
    assert "expected exactly 2 requests" in str(failed.value)
