"""No input may crash or freeze the mock (issue 15), against the real binary.

Each reproducer that used to kill the server with an overflow trap (SIGILL) is sent as it was
found, and must now get the surface's 400 naming the field, with the server still answering
afterwards (`alive`); the shared server's teardown also asserts a clean exit. Then:

- pacing floors: a rate below 0.1 tokens/s is refused on every channel, and a stream cannot hold
  an account's concurrency slot past `--max-stream-seconds` (ended with an in-band error, slot
  freed, the input billed);
- validation: a wrong JSON type in a field the mock accepts but ignores (`temperature`, `top_p`,
  `metadata`, …) is the provider's 400 on Chat, Responses, Messages and Gemini, and so is invalid
  UTF-8 inside a JSON string;
- the fault grammar's messages: an unknown fault name suggests the fault that does what was
  meant, and a duration without a unit is refused the same way on all four channels.

Ranges are documented in docs/limits.md.
"""

from __future__ import annotations

import json
import socket
import time

import pytest
import requests

from mockproc import run_cli, running_mock
from sdk_helpers import DEFAULT, reset_mock  # noqa: F401  (reset_mock is an autouse fixture)

TIMEOUT = 10
ADMIN = "sk-byts-admin-test-key-0001"
BEARER = {"Authorization": f"Bearer {DEFAULT}"}
INT64_MAX = 2**63 - 1
LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z

SURFACES = {
    "chat": ("/v1/chat/completions", BEARER,
             {"model": "gpt-5-4-mini", "messages": [{"role": "user", "content": "hi"}]}),
    "responses": ("/v1/responses", BEARER, {"model": "gpt-5-4-mini", "input": "hi"}),
    "messages": ("/v1/messages", {"x-api-key": DEFAULT},
                 {"model": "claude-haiku-4-5", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}),
    "gemini": ("/v1beta/models/gemini-3-flash:generateContent", {"x-goog-api-key": DEFAULT},
               {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}),
}


def alive(url: str) -> None:
    """The server still answers: health and a real billed request."""
    assert requests.get(url + "/__mock/health", timeout=TIMEOUT).json()["status"] == "ok"
    path, headers, body = SURFACES["chat"]
    assert requests.post(url + path, json=body, headers=headers, timeout=TIMEOUT).status_code == 200


def control(url: str, path: str, payload, method: str = "POST") -> requests.Response:
    return requests.request(method, url + "/__mock/" + path, json=payload, timeout=TIMEOUT)


def openai_400(r: requests.Response, param: str, *fragments: str) -> dict:
    """OpenAI's (and the control API's) envelope: exactly message, type, param, code."""
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["type"] == "invalid_request_error", r.text
    assert err["param"] == param, r.text
    for f in fragments:
        assert f in err["message"], (f, err["message"])
    return err


def provider_400(surface: str, r: requests.Response, *fragments: str) -> str:
    """The surface's own 400 envelope; returns the message."""
    assert r.status_code == 400, r.text
    body = r.json()
    if surface == "messages":
        assert set(body) == {"type", "error", "request_id"} and body["type"] == "error", r.text
        assert body["error"]["type"] == "invalid_request_error"
        message = body["error"]["message"]
    elif surface == "gemini":
        assert body["error"]["code"] == 400 and body["error"]["status"] == "INVALID_ARGUMENT", r.text
        message = body["error"]["message"]
    else:
        assert set(body["error"]) == {"message", "type", "param", "code"}, r.text
        assert body["error"]["type"] == "invalid_request_error"
        message = body["error"]["message"]
    for f in fragments:
        assert f in message, (f, message)
    return message


def chat_stream(url: str, headers: dict) -> requests.Response:
    path, h, body = SURFACES["chat"]
    return requests.post(url + path, json={**body, "stream": True}, headers={**h, **headers}, timeout=TIMEOUT)


# ---------------------------------------------------------------------------------------------
# the reproducers of issue 15: one request used to crash the server
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("header,value,param,fragment", [
    ("X-Mock-Pacing", "ttft=0, tps=1e-300", "X-Mock-Pacing", "tps must be 0 (unpaced) or tokens per second from 0.1"),
    ("X-Mock-Pacing", "tps=1e-9", "X-Mock-Pacing", "found '1e-9'"),
    ("X-Mock-Pacing", "tps=1e400", "X-Mock-Pacing", "tps must be"),
    ("X-Mock-Fault", "drip tps=1e-300", "X-Mock-Fault", "tps: expected tokens per second from 0.1 to 1000000"),
    ("X-Mock-Fault", "drip tps=0.05", "X-Mock-Fault", "found '0.05'"),
], ids=["pacing-1e-300", "pacing-1e-9", "pacing-inf", "drip-1e-300", "drip-below-floor"])
def test_a_rate_below_the_pacing_floor_is_a_400_not_a_crash(base_url, header, value, param, fragment):
    openai_400(chat_stream(base_url, {header: value}), param, fragment)
    alive(base_url)


def test_control_pacing_below_the_floor_is_refused_and_streams_go_on(base_url):
    err = openai_400(control(base_url, "pacing", {"tokens_per_second": 1e-300}), "tokens_per_second", "from 0.1 to 1000000")
    assert err["code"] == "invalid_pacing"
    openai_400(control(base_url, "pacing", {"first_token_ms": INT64_MAX}), "first_token_ms", "from 0 to 600000")
    assert requests.get(base_url + "/__mock/pacing", timeout=TIMEOUT).json() == {"first_token_ms": 0, "tokens_per_second": 0}
    r = chat_stream(base_url, {})
    assert r.status_code == 200 and r.text.rstrip().endswith("data: [DONE]")
    alive(base_url)


@pytest.mark.parametrize("field,value,fragment", [
    ("input_tokens", 10**14, "'input_tokens' must be from 0 to 1000000000 in one spend call"),
    ("input_tokens", 10**12, "found 1000000000000"),  # billed $750,000 to a $250 wallet before
    ("output_tokens", INT64_MAX, "'output_tokens' must be from 0"),
    ("images", 10**17, "'images' must be from 0 to 100000"),
    ("video_seconds", 10**17, "'video_seconds' must be from 0 to 1000000"),
    ("cache_read_tokens", -1, "must be a non-negative integer"),
    ("thinking_tokens", 1e20, "must be a non-negative integer"),
])
def test_spend_beyond_its_ceilings_is_a_400_and_bills_nothing(base_url, field, value, fragment):
    before = requests.get(base_url + "/v1/balance", headers=BEARER, timeout=TIMEOUT).json()
    model = {"images": "gpt-image-2", "video_seconds": "sora-2"}.get(field, "gpt-5-4-mini")
    r = control(base_url, "spend", {"key": "key_default", "model": model, field: value})
    openai_400(r, field, fragment)
    after = requests.get(base_url + "/v1/balance", headers=BEARER, timeout=TIMEOUT).json()
    assert after == before
    alive(base_url)


def test_one_spend_call_bills_at_most_ten_thousand_dollars(base_url):
    # 1e9 output tokens of claude-opus-4-8 at $75/M would be $75,000: within the field's range,
    # above the per-call ceiling; the message names the field that carries the cost.
    r = control(base_url, "spend", {"key": "key_default", "model": "claude-opus-4-8", "input_tokens": 10,
                                    "output_tokens": 1_000_000_000})
    openai_400(r, "output_tokens", "would bill 75000.000150 USD", "at most 10000.000000 USD")
    ok = control(base_url, "spend", {"key": "key_default", "model": "claude-opus-4-8", "output_tokens": 100_000_000})
    assert ok.status_code == 200 and ok.json()["cost_usd"] == 7500.0, ok.text  # $7,500: under the ceiling


@pytest.mark.parametrize("body,param,fragment", [
    ({"action": "advance", "ms": INT64_MAX}, "ms", "from 0 to 253402300799999"),
    ({"action": "advance", "ms": -1}, "ms", "'ms' must be a whole number"),
    ({"action": "advance", "seconds": 1e300}, "seconds", "from 0 to 253402300799"),
    ({"action": "set", "time": INT64_MAX}, "time", "Unix seconds from 0 to 253402300799"),
    ({"action": "set", "time": -INT64_MAX}, "time", "9999-12-31T23:59:59Z"),
    ({"action": "freeze", "time": INT64_MAX}, "time", "Unix seconds"),
    ({"action": "freeze", "time": -INT64_MAX}, "time", "Unix seconds"),
    ({"action": "set", "time": "0001-01-01T00:00:00Z"}, "time", "RFC 3339 time from 1970"),
], ids=["advance-ms-max", "advance-negative", "advance-seconds-huge", "set-max", "set-min", "freeze-max", "freeze-min",
        "set-year-1"])
def test_clock_out_of_range_is_a_400(base_url, body, param, fragment):
    openai_400(control(base_url, "clock", body), param, fragment)
    assert control(base_url, "clock", None, method="GET").json()["frozen"] is False
    alive(base_url)


def test_clock_runs_up_to_the_last_second_of_9999_and_not_past_it(base_url):
    r = control(base_url, "clock", {"action": "set", "time": LAST_SECOND - 1})
    assert r.status_code == 200 and r.json()["now_iso"] == "9999-12-31T23:59:58Z", r.text
    assert control(base_url, "clock", {"action": "advance", "seconds": 1}).json()["now_iso"] == "9999-12-31T23:59:59Z"
    openai_400(control(base_url, "clock", {"action": "advance", "ms": 1000}), "ms", "would pass 9999-12-31T23:59:59Z")
    assert control(base_url, "clock", None, method="GET").json()["now"] == LAST_SECOND
    alive(base_url)  # billing, rate windows and the envelope at the far end of time


def test_a_huge_stainless_retry_count_is_ignored(base_url):
    path, headers, body = SURFACES["chat"]
    r = requests.post(base_url + path, json=body, headers={**headers, "x-stainless-retry-count": str(INT64_MAX)},
                      timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    alive(base_url)


def test_key_times_out_of_range_are_a_400(base_url):
    r = requests.post(base_url + "/api/v1/keys", json={"name": "x", "group_id": 1, "expires_in_days": 2**62},
                      headers={"Authorization": f"Bearer {ADMIN}"}, timeout=TIMEOUT)
    assert r.status_code == 400 and r.json()["error"]["param"] == "expires_in_days", r.text
    assert "from 1 to 36500" in r.json()["error"]["message"]
    openai_400(control(base_url, "keys/key_default", {"expires_at": -INT64_MAX}), "expires_at", "Unix seconds from 0")
    assert control(base_url, "keys/key_default", None, method="GET").status_code == 200
    alive(base_url)


def test_gemini_page_token_past_the_end_is_a_400(base_url):
    r = requests.get(base_url + f"/v1beta/models?pageToken=p{INT64_MAX}&pageSize=1000",
                     headers={"x-goog-api-key": DEFAULT}, timeout=TIMEOUT)
    provider_400("gemini", r, "pageToken is not valid")
    alive(base_url)


@pytest.mark.parametrize("spec,fragment", [
    (f"500 from={INT64_MAX}", "from: '9223372036854775807' is outside the clock's range"),
    ("500 until=-9223372036854775807", "until:"),
    (f"429 retry_after={INT64_MAX}", "retry_after: 9223372036854775807 is more than it takes (at most 86400"),
    (f"429 first={INT64_MAX}", "first: 9223372036854775807 is more than it takes"),
    (f"500 after_events={INT64_MAX} stream=true", "after_events:"),
], ids=["from", "until", "retry-after", "first", "after-events"])
def test_fault_numbers_out_of_range_are_a_400(base_url, spec, fragment):
    path, headers, body = SURFACES["chat"]
    r = requests.post(base_url + path, json=body, headers={**headers, "X-Mock-Fault": spec}, timeout=TIMEOUT)
    err = openai_400(r, "X-Mock-Fault", fragment)
    assert err["code"] == "invalid_fault"
    alive(base_url)


# ---------------------------------------------------------------------------------------------
# the stream time limit: no stream holds a concurrency slot for ever
# ---------------------------------------------------------------------------------------------

def _send(port: int, path: str, headers: dict, body: dict) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    data = json.dumps(body).encode()
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    s.sendall(head.encode() + b"\r\n" + data)
    return s


def _read_until(s: socket.socket, marker: bytes, deadline: float) -> bytes:
    got = b""
    while marker not in got:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        chunk = s.recv(65536)
        assert chunk, f"connection closed before {marker!r}: {got[-300:]!r}"
        got += chunk
    return got


def test_a_paced_stream_is_ended_at_max_stream_seconds_and_frees_its_slot():
    """25 streams at the slowest rate (a token every 10 s) fill the account's 25 slots; a 26th
    request is refused; one second later (`--max-stream-seconds 1`) each stream has ended with
    the in-band error, every slot is free again and only the input was billed."""
    path, headers, body = SURFACES["chat"]
    with running_mock("--max-stream-seconds", "1") as m:
        balance = requests.get(m.url + "/v1/balance", headers=BEARER, timeout=TIMEOUT).json()
        assert balance["concurrency_limit"] == 25, balance
        started = time.monotonic()
        socks = [_send(m.port, path, {**headers, "X-Mock-Pacing": "tps=0.1"}, {**body, "stream": True}) for _ in range(25)]
        try:
            for s in socks:
                assert _read_until(s, b"\r\n\r\n", started + 5).startswith(b"HTTP/1.1 200")
            refused = requests.post(m.url + path, json=body, headers=headers, timeout=TIMEOUT)
            assert refused.status_code == 429 and refused.json()["error"]["code"] == "concurrency_limit", refused.text
            for s in socks:
                text = _read_until(s, b"\r\n0\r\n\r\n", started + 5).decode()
                assert '"code":"stream_time_limit"' in text and "time limit of 1 s" in text, text[-400:]
                assert "[DONE]" not in text
            elapsed = time.monotonic() - started
            assert 0.9 < elapsed < 4, elapsed
        finally:
            for s in socks:
                s.close()
        assert requests.get(m.url + "/v1/balance", headers=BEARER, timeout=TIMEOUT).json()["in_flight"] == 0
        assert requests.post(m.url + path, json=body, headers=headers, timeout=TIMEOUT).status_code == 200
        rows = requests.get(m.url + "/v1/usage", headers=BEARER, timeout=TIMEOUT).json()["data"]
        streamed = [r for r in rows if r["surface"] == "chat"]
        assert len(streamed) == 26  # the 25 cut streams (input only) and the last request


@pytest.mark.parametrize("surface,stream_body,wait", [
    ("messages", {"stream": True}, {"X-Mock-Fault": "stall for=10m after_events=2"}),
    ("responses", {"stream": True}, {"X-Mock-Pacing": "ttft=600000"}),
    ("gemini", {}, {"X-Mock-Fault": "drip tps=0.1"}),
], ids=["stall", "ttft", "drip"])
def test_every_kind_of_wait_ends_at_the_time_limit_with_the_surfaces_in_band_error(surface, stream_body, wait):
    path, headers, body = SURFACES[surface]
    if surface == "gemini":
        path = path.replace(":generateContent", ":streamGenerateContent") + "?alt=sse"
    with running_mock("--max-stream-seconds", "1") as m:
        started = time.monotonic()
        s = _send(m.port, path, {**headers, **wait}, {**body, **stream_body})
        try:
            text = _read_until(s, b"\r\n0\r\n\r\n", started + 5).decode()
        finally:
            s.close()
        assert 0.9 < time.monotonic() - started < 4
        assert text.startswith("HTTP/1.1 200") and "time limit of 1 s" in text, text[-500:]
        assert requests.get(m.url + "/v1/balance", headers=BEARER, timeout=TIMEOUT).json()["in_flight"] == 0
        alive(m.url)


def test_max_stream_seconds_is_range_checked_on_the_command_line():
    for bad in ("0", "86401", "-5", "soon"):
        p = run_cli("--max-stream-seconds", bad)
        assert p.returncode == 2 and "--max-stream-seconds expects an integer in 1...86400" in p.stderr, p.stderr


# ---------------------------------------------------------------------------------------------
# validation: typed fields and UTF-8, in each provider's 400
# ---------------------------------------------------------------------------------------------

# (surface, field path as a dict to merge, param / path named in the error, message fragment)
TYPE_ERRORS = [
    ("chat", {"temperature": "hot"}, "temperature", "expected a number, found a string"),
    ("chat", {"top_p": [1]}, "top_p", "expected a number, found an array"),
    ("chat", {"temperature": 3}, "temperature", "expected a number from 0 to 2, found 3"),
    ("chat", {"max_tokens": "10"}, "max_tokens", "expected an integer, found a string"),
    ("chat", {"n": 1.5}, "n", "expected an integer"),
    ("chat", {"stream": "yes"}, "stream", "expected a boolean"),
    ("chat", {"stop": 7}, "stop", "expected a string or an array of strings"),
    ("chat", {"tools": {}}, "tools", "expected an array"),
    ("chat", {"tool_choice": 1}, "tool_choice", "expected a string or an object"),
    ("chat", {"metadata": {"k": 1}}, "metadata.k", "expected a string, found a number"),
    ("chat", {"seed": "s"}, "seed", "expected an integer"),
    ("chat", {"user": 5}, "user", "expected a string"),
    ("chat", {"presence_penalty": 9}, "presence_penalty", "from -2 to 2"),
    ("chat", {"logit_bias": {"50256": "x"}}, "logit_bias.50256", "expected a number"),
    ("responses", {"temperature": "hot"}, "temperature", "expected a number, found a string"),
    ("responses", {"top_p": "1"}, "top_p", "expected a number"),
    ("responses", {"max_output_tokens": "5"}, "max_output_tokens", "expected an integer"),
    ("responses", {"stream": 1}, "stream", "expected a boolean"),
    ("responses", {"tools": "x"}, "tools", "expected an array"),
    ("responses", {"metadata": []}, "metadata", "expected an object"),
    ("responses", {"include": [1]}, "include[0]", "expected a string"),
    ("messages", {"temperature": "hot"}, None, "temperature: expected a number, found a string"),
    ("messages", {"temperature": 1.5}, None, "temperature: expected a number from 0 to 1, found 1.5"),
    ("messages", {"top_k": "5"}, None, "top_k: expected an integer"),
    ("messages", {"max_tokens": "16"}, None, "max_tokens: expected an integer"),
    ("messages", {"stop_sequences": "END"}, None, "stop_sequences: expected an array"),
    ("messages", {"tool_choice": "auto"}, None, "tool_choice: expected an object"),
    ("messages", {"metadata": {"user_id": 7}}, None, "metadata.user_id: expected a string"),
    ("messages", {"stream": "true"}, None, "stream: expected a boolean"),
    ("gemini", {"generationConfig": {"temperature": "hot"}}, None, "generationConfig.temperature: expected a number"),
    ("gemini", {"generationConfig": {"topK": 1.5}}, None, "generationConfig.topK: expected an integer"),
    ("gemini", {"generationConfig": {"maxOutputTokens": "9"}}, None, "generationConfig.maxOutputTokens: expected an integer"),
    ("gemini", {"generationConfig": {"candidateCount": 99}}, None, "generationConfig.candidateCount: must be from 1 to 8"),
    ("gemini", {"generationConfig": {"seed": 2**40}}, None, "generationConfig.seed: expected an integer from"),
    ("gemini", {"generation_config": {"top_p": "x"}}, None, "generation_config.top_p: expected a number"),
    ("gemini", {"labels": {"team": 1}}, None, "labels.team: expected a string"),
    ("gemini", {"tools": {}}, None, "tools: expected an array"),
]


@pytest.mark.parametrize("surface,extra,param,fragment", TYPE_ERRORS,
                         ids=[f"{s}-{next(iter(e))}-{i}" for i, (s, e, _, _) in enumerate(TYPE_ERRORS)])
def test_a_field_of_the_wrong_type_is_the_providers_400(base_url, surface, extra, param, fragment):
    path, headers, body = SURFACES[surface]
    r = requests.post(base_url + path, json={**body, **extra}, headers=headers, timeout=TIMEOUT)
    provider_400(surface, r, fragment)
    if param is not None:
        assert r.json()["error"]["param"] == param, r.text


# Every class of ill-formed UTF-8, as raw bytes inside a JSON string.
INVALID_UTF8 = {
    "stray-continuation": b"\x80",
    "lone-lead": b"\xc3",
    "truncated-3": b"\xe2\x82",
    "truncated-4": b"\xf0\x9f\x98",
    "overlong-2": b"\xc0\xaf",
    "overlong-3": b"\xe0\x80\xaf",
    "overlong-4": b"\xf0\x80\x80\xaf",
    "surrogate-high": b"\xed\xa0\x80",
    "surrogate-low": b"\xed\xbf\xbf",
    "above-10FFFF": b"\xf4\x90\x80\x80",
    "byte-F5": b"\xf5\x80\x80\x80",
    "byte-FF": b"\xff",
}


@pytest.mark.parametrize("surface", list(SURFACES))
@pytest.mark.parametrize("kind", list(INVALID_UTF8))
def test_invalid_utf8_in_a_json_string_is_a_400_on_every_text_surface(base_url, surface, kind):
    path, headers, body = SURFACES[surface]
    raw = json.dumps(body).replace('"hi"', '"h@i"').encode().replace(b"@", INVALID_UTF8[kind])
    r = requests.post(base_url + path, data=raw, headers={**headers, "Content-Type": "application/json"}, timeout=TIMEOUT)
    provider_400(surface, r, "invalid UTF-8 in string")


def test_well_formed_non_ascii_text_is_still_served(base_url):
    for surface, (path, headers, body) in SURFACES.items():
        text = json.dumps(body).replace('"hi"', '"h\u00e9llo \u65e5\u672c \U0001f600 \\ud83d\\ude00"')
        r = requests.post(base_url + path, data=text.encode(), headers={**headers, "Content-Type": "application/json"},
                          timeout=TIMEOUT)
        assert r.status_code == 200, (surface, r.text)


# ---------------------------------------------------------------------------------------------
# the fault grammar's messages, the same on every channel
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec,fragment", [
    ("timeout", "unknown fault 'timeout'; did you mean latency"),
    ("latancy 1s", "unknown fault 'latancy'; did you mean latency?"),
    ("rest", "unknown fault 'rest'; did you mean reset?"),
    ("teapot", "unknown fault 'teapot'; use a status (400-599) or one of latency"),
    ("429 probabilty=0.5", "probabilty: unknown option; did you mean probability?"),
    ("429 surface=chats", "unknown surface 'chats'; did you mean chat?"),
    ("stall for=5 after_events=1", "for: '5' has no unit; write 5ms or 5s"),
    ("latency 200", "latency: '200' has no unit"),
    ("drip ttft=1500", "ttft: '1500' has no unit"),
    ("500 from=+30", "from: '30' has no unit"),
], ids=["timeout", "typo", "rest", "no-match", "option", "surface", "stall-for", "latency", "ttft", "relative-time"])
def test_fault_spec_mistakes_are_explained_in_the_header_and_the_control_api(base_url, spec, fragment):
    path, headers, body = SURFACES["chat"]
    r = requests.post(base_url + path, json=body, headers={**headers, "X-Mock-Fault": spec}, timeout=TIMEOUT)
    assert openai_400(r, "X-Mock-Fault", fragment)["code"] == "invalid_fault"
    r = requests.post(base_url + "/__mock/faults", data=spec, timeout=TIMEOUT)
    assert r.status_code == 400 and fragment in r.json()["error"]["message"], r.text


def test_a_duration_needs_its_unit_on_the_command_line_and_in_fixtures_too(tmp_path):
    p = run_cli("--fault", "stall for=5 after_events=1")
    assert p.returncode == 2 and "for: '5' has no unit; write 5ms or 5s" in p.stderr, p.stderr
    p = run_cli("--fault", "timeout")
    assert p.returncode == 2 and "did you mean latency" in p.stderr, p.stderr
    (tmp_path / "faults.json").write_text(json.dumps({"faults": [{"fault": "latency", "latency": 250}]}))
    p = run_cli("--fixtures", str(tmp_path), "--check-fixtures")
    assert p.returncode == 2 and "faults[0]" in p.stderr and "latency: '250' has no unit" in p.stderr, p.stderr
    (tmp_path / "faults.json").write_text(json.dumps({"faults": [{"fault": "latency", "latency": "250ms"}, "stall for=0 after_events=1"]}))
    p = run_cli("--fixtures", str(tmp_path), "--check-fixtures")
    assert p.returncode == 0, p.stderr  # a unit, or a bare 0, is fine
