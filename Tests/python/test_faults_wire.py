"""Every fault kind on every text surface, checked on the wire (raw sockets, no SDK).

A small raw HTTP/1.1 client (`exchange`) sends one request with `Connection: close` and records
every byte with its arrival time, whether the body ended with the chunked terminator, a clean FIN
or a reset (ECONNRESET). Chunks are the stream's events: the mock flushes each event as its own
chunk, so "N events" is asserted as "N chunks", each one checked to be exactly one event.

Streams are compared with an unfaulted stream of the same request: replies are deterministic,
only ids (runs of 16+ letters/digits) and 10-digit timestamps differ per request, so events are
compared byte for byte with those positions masked (`same_modulo_ids`).

Covered, parametrised over messages, chat, responses, gemini (SSE) and the gemini JSON-array stream:
1. status faults 400..529 in each surface's envelope, with the request id, the accounting headers,
   Retry-After / retry-after-ms / x-should-retry, and nothing billed;
2. latency (`latency 300ms`, `X-Mock-Latency`, `POST /__mock/faults`);
3. stream faults after N events: in-band error, end, cut, reset, stall, malformed, drip;
4. transport faults before the head (reset, empty/cut, garbage), `on=accept` rules on a private
   server, and the non-stream `malformed` body;
5. the journal entry of each (status, events, bytes, the applied fault);
6. a final sanity pass: the shared server still answers every surface.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import time
import uuid
from dataclasses import dataclass, field

import httpx2
import pytest

from mockproc import running_mock
from sdk_helpers import DEFAULT, add_rule, reset_mock  # noqa: F401  (reset_mock is an autouse fixture)

TIMEOUT = 5.0
CLAUDE_MODEL = "claude-sonnet-4-6"
GPT = "gpt-5-4"
GEM = "gemini-3-flash"
PROMPT = "hi"
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; SCM_TIMESTAMPNS has the same value
ENVELOPE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-quota-remaining-credits")


# ---------------------------------------------------------------------------------------------
# the surfaces
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Surf:
    name: str          # test id
    family: str        # what the journal and `surface=` call it
    envelope: str      # anthropic | openai | gemini
    stream_kind: str   # anthropic | chat | responses | gemini-sse | gemini-array

    def request(self, stream: bool) -> tuple[str, dict, dict]:
        """(path, headers, body) of a small valid request."""
        if self.family == "messages":
            body = {"model": CLAUDE_MODEL, "max_tokens": 128, "messages": [{"role": "user", "content": PROMPT}]}
            if stream:
                body["stream"] = True
            return "/v1/messages", {"x-api-key": DEFAULT, "anthropic-version": "2023-06-01"}, body
        if self.family == "chat":
            body = {"model": GPT, "messages": [{"role": "user", "content": PROMPT}]}
            if stream:
                body["stream"] = True
            return "/v1/chat/completions", {"Authorization": f"Bearer {DEFAULT}"}, body
        if self.family == "responses":
            body = {"model": GPT, "input": PROMPT}
            if stream:
                body["stream"] = True
            return "/v1/responses", {"Authorization": f"Bearer {DEFAULT}"}, body
        body = {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]}
        if not stream:
            path = f"/v1beta/models/{GEM}:generateContent"
        elif self.stream_kind == "gemini-sse":
            path = f"/v1beta/models/{GEM}:streamGenerateContent?alt=sse"
        else:
            path = f"/v1beta/models/{GEM}:streamGenerateContent"
        return path, {"x-goog-api-key": DEFAULT}, body

    @property
    def model(self) -> str:
        return {"messages": CLAUDE_MODEL, "chat": GPT, "responses": GPT}.get(self.family, GEM)


MESSAGES = Surf("messages", "messages", "anthropic", "anthropic")
CHAT = Surf("chat", "chat", "openai", "chat")
RESPONSES = Surf("responses", "responses", "openai", "responses")
GEMINI = Surf("gemini", "gemini", "gemini", "gemini-sse")
GEMINI_ARRAY = Surf("gemini-array", "gemini", "gemini", "gemini-array")

PLAIN = [MESSAGES, CHAT, RESPONSES, GEMINI]                  # complete (non-stream) responses
STREAMS = [MESSAGES, CHAT, RESPONSES, GEMINI, GEMINI_ARRAY]  # the five stream framings
ids = lambda s: s.name  # noqa: E731


# ---------------------------------------------------------------------------------------------
# a raw HTTP/1.1 exchange
# ---------------------------------------------------------------------------------------------

@dataclass
class Wire:
    raw: bytes = b""
    recvs: list[tuple[float, int]] = field(default_factory=list)  # (seconds since sent, bytes so far)
    reset: bool = False          # ECONNRESET seen
    eof: bool = False            # clean FIN seen
    status: int | None = None
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    head_end: int = 0
    chunked: bool = False
    chunks: list[bytes] = field(default_factory=list)
    chunk_ends: list[int] = field(default_factory=list)  # offsets in raw
    terminated: bool = False     # the zero-size chunk and its CRLF arrived
    trailing: bytes = b""        # bytes after the terminator / an incomplete chunk
    body: bytes = b""

    def header(self, name: str) -> str | None:
        vals = [v for k, v in self.headers if k.lower() == name.lower()]
        assert len(vals) <= 1, (name, vals)
        return vals[0] if vals else None

    def at(self, offset: int) -> float:
        """When the byte at `offset` (exclusive end) had arrived, in seconds since the request was sent."""
        for t, n in self.recvs:
            if n >= offset:
                return t
        raise AssertionError(f"offset {offset} never arrived")

    @property
    def head_time(self) -> float:
        return self.at(self.head_end)

    @property
    def chunk_times(self) -> list[float]:
        return [self.at(e) for e in self.chunk_ends]

    @property
    def request_id(self) -> str:
        rid = self.header("x-request-id")
        assert rid and rid.startswith("req_"), self.headers
        return rid

    def json(self):
        return json.loads(self.body)


def exchange(base_url: str, method: str, path: str, body=None, headers: dict | None = None,
             timeout: float = TIMEOUT) -> Wire:
    host, port = base_url.removeprefix("http://").split(":")
    payload = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close",
             f"Content-Length: {len(payload)}"]
    if body is not None:
        lines.append("Content-Type: application/json")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    w = Wire()
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        # Kernel receive timestamps: when each segment arrived, however late this process reads it
        # (the suite may share a busy machine). CLOCK_REALTIME, like time.time_ns().
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        t0 = time.time_ns()
        try:
            s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        except (ConnectionResetError, BrokenPipeError):
            w.reset = True
        while not w.reset:
            if time.monotonic() > deadline:
                raise AssertionError(f"no end of the exchange within {timeout} s; got {w.raw[:400]!r}")
            try:
                data, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(16))
            except ConnectionResetError:
                w.reset = True
                break
            if not data:
                w.eof = True
                break
            stamp = time.time_ns()
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(cdata) >= 16:
                    sec, nsec = struct.unpack("qq", cdata[:16])
                    stamp = sec * 1_000_000_000 + nsec
            w.raw += data
            w.recvs.append(((stamp - t0) / 1e9, len(w.raw)))
    _parse(w)
    return w


def _parse(w: Wire) -> None:
    end = w.raw.find(b"\r\n\r\n")
    if not w.raw.startswith(b"HTTP/") or end < 0:
        return
    head = w.raw[:end].decode("latin-1").split("\r\n")
    proto, code, *reason = head[0].split(" ", 2)
    assert proto == "HTTP/1.1", head[0]
    w.status, w.reason = int(code), (reason[0] if reason else "")
    w.headers = [tuple(x.strip() for x in line.split(":", 1)) for line in head[1:]]
    w.head_end = end + 4
    rest = w.raw[w.head_end:]
    if (w.header("transfer-encoding") or "").lower() == "chunked":
        w.chunked = True
        pos = 0
        while True:
            nl = rest.find(b"\r\n", pos)
            if nl < 0:
                break
            size = int(rest[pos:nl].split(b";")[0], 16)
            if size == 0:
                if rest[nl + 2:nl + 4] == b"\r\n":
                    w.terminated = True
                    pos = nl + 4
                break
            if len(rest) < nl + 2 + size + 2:
                break
            assert rest[nl + 2 + size:nl + 4 + size] == b"\r\n", "chunk not followed by CRLF"
            w.chunks.append(rest[nl + 2:nl + 2 + size])
            pos = nl + 4 + size
            w.chunk_ends.append(w.head_end + pos)
        w.trailing = rest[pos:]
        w.body = b"".join(w.chunks)
    else:
        n = int(w.header("content-length"))
        w.body = rest[:n]
        w.trailing = rest[n:]
        assert len(w.body) == n, f"body is {len(w.body)} bytes, Content-Length says {n}"


def bare_connection(base_url: str, timeout: float = TIMEOUT) -> Wire:
    """Connects and reads until EOF or reset without sending anything."""
    host, port = base_url.removeprefix("http://").split(":")
    w = Wire()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            # A reset right after accept may already be reported by connect() itself.
            s.connect((host, int(port)))
            while data := s.recv(65536):
                w.raw += data
            w.eof = True
        except ConnectionResetError:
            w.reset = True
    return w


def call(base_url: str, surf: Surf, stream: bool, fault: str | None = None, *, headers: dict | None = None,
         session: str | None = None) -> Wire:
    path, h, body = surf.request(stream)
    h = dict(h)
    if fault is not None:
        h["X-Mock-Fault"] = fault
    if session is not None:
        h["X-Mock-Session"] = session
    h.update(headers or {})
    return exchange(base_url, "POST", path, body, h)


# ---------------------------------------------------------------------------------------------
# control API, billing
# ---------------------------------------------------------------------------------------------

HTTP = httpx2.Client(timeout=TIMEOUT)  # one client: creating one per call costs ~0.1 s


def ctl(base_url: str, method: str, path: str, *, session: str | None = None, **kw) -> httpx2.Response:
    headers = {"X-Mock-Session": session} if session else {}
    return HTTP.request(method, base_url + "/__mock/" + path, headers=headers, **kw)


def journal_entry(base_url: str, rid: str) -> dict:
    r = ctl(base_url, "GET", f"journal/{rid}")
    assert r.status_code == 200, r.text
    e = r.json()
    assert e["id"] == rid
    return e


def journal(base_url: str, session: str | None = None, **filters) -> list[dict]:
    r = ctl(base_url, "GET", "journal", session=session, params=filters)
    assert r.status_code == 200, r.text
    return r.json()["entries"]


def balance(base_url: str) -> dict:
    r = HTTP.get(base_url + "/v1/balance", headers={"Authorization": f"Bearer {DEFAULT}"})
    assert r.status_code == 200, r.text
    return r.json()


def usage(base_url: str) -> list[dict]:
    r = HTTP.get(base_url + "/v1/usage", headers={"Authorization": f"Bearer {DEFAULT}"})
    assert r.status_code == 200, r.text
    return r.json()["data"]


def settled(base_url: str, rows: int) -> dict:
    """Waits (briefly) until the account has `rows` usage rows and no request in flight; the balance."""
    deadline = time.monotonic() + 3
    while True:
        b, u = balance(base_url), usage(base_url)
        if (b["in_flight"] == 0 and len(u) == rows) or time.monotonic() > deadline:
            assert b["in_flight"] == 0, b
            assert len(u) == rows, u
            return b


def session_name() -> str:
    return "wire-" + uuid.uuid4().hex[:12]


# ---------------------------------------------------------------------------------------------
# streams: events and comparison
# ---------------------------------------------------------------------------------------------

ID_RE = re.compile(rb"[A-Za-z0-9]{16,}|(?<![0-9])[0-9]{10}(?![0-9])")


def same_modulo_ids(got: bytes, want: bytes, *, prefix: bool = False) -> bool:
    """`got` equals `want` (or a prefix of it) except inside the ids and timestamps of `want`."""
    if len(got) > len(want) or (not prefix and len(got) != len(want)):
        return False
    mask = bytearray(len(want))
    for m in ID_RE.finditer(want):
        mask[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    return all(g == w or mask[i] for i, (g, w) in enumerate(zip(got, want)))


def assert_events_match(got: list[bytes], want: list[bytes]) -> None:
    assert len(got) == len(want), (len(got), len(want))
    for i, (g, w) in enumerate(zip(got, want)):
        assert same_modulo_ids(g, w), f"event {i} differs:\n got {g!r}\nwant {w!r}"


def frame_end(kind: str) -> bytes:
    return {"gemini-sse": b"\r\n\r\n", "gemini-array": b""}.get(kind, b"\n\n")


def event_json(kind: str, chunk: bytes, index: int):
    """The JSON of one event (asserting the framing); None for `[DONE]` and the closing `]`."""
    if kind == "gemini-array":
        if chunk == b"]":
            return None
        lead = b"[" if index == 0 else b",\r\n"
        assert chunk.startswith(lead), chunk[:20]
        return json.loads(chunk[len(lead):].removesuffix(b"]"))
    end = frame_end(kind)
    assert chunk.endswith(end) and end not in chunk[:-len(end)], f"not exactly one SSE event: {chunk!r}"
    lines = chunk[:-len(end)].split(end[:len(end) // 2])
    if kind in ("anthropic", "responses"):
        assert len(lines) == 2 and lines[0].startswith(b"event: ") and lines[1].startswith(b"data: "), lines
        data = json.loads(lines[1][6:])
        assert data["type"] == lines[0][7:].decode()
        return data
    assert len(lines) == 1 and lines[0].startswith(b"data: "), lines
    if lines[0] == b"data: [DONE]":
        return None
    return json.loads(lines[0][6:])


def is_final_event(kind: str, chunk: bytes) -> bool:
    """Whether an event is the stream's own last event (what an `end` or a break never sends)."""
    if kind == "anthropic":
        return chunk.startswith(b"event: message_stop")
    if kind == "chat":
        return chunk == b"data: [DONE]\n\n"
    if kind == "responses":
        return chunk.startswith(b"event: response.completed") or chunk.startswith(b"event: response.incomplete")
    if kind == "gemini-array":
        return chunk.endswith(b"]")
    return b"finishReason" in chunk


def carries_stop(kind: str, chunk: bytes) -> bool:
    """Whether an event carries the stop reason (or is the final event)."""
    return is_final_event(kind, chunk) or any(m in chunk for m in (b'"stop_reason":"', b'"finish_reason":"', b"finishReason"))


def baseline(base_url: str, surf: Surf) -> Wire:
    w = call(base_url, surf, True)
    assert w.status == 200 and w.terminated and w.eof and not w.trailing, (w.status, w.raw[-200:])
    assert len(w.chunks) >= 6, w.chunks
    for i, c in enumerate(w.chunks):
        event_json(surf.stream_kind, c, i)
    assert is_final_event(surf.stream_kind, w.chunks[-1])
    return w


def expected_in_band(surf: Surf, status: int, rid: str, seq: int) -> tuple[str, dict]:
    """The kind of in-band error event and its JSON for a status fault (header rule 1)."""
    code, etype, message, gstatus = STATUS_TABLE[status]
    message = f"{message} (injected by bytespike-mock fault rule header-1)"
    if surf.envelope == "anthropic":
        return "error", {"type": "error", "error": {"type": etype, "message": message}, "request_id": rid}
    if surf.stream_kind == "chat":
        return "chat", {"error": {"message": message, "type": etype, "param": None, "code": code}}
    if surf.stream_kind == "responses":
        # response.failed speaks the SDK's ResponseError.code vocabulary, not the envelope's code.
        listed = "rate_limit_exceeded" if status == 429 else "server_error"
        return "response.failed", {"code": listed, "message": message, "seq": seq}
    return "gemini", {"error": {"code": status, "message": message, "status": gstatus}}


# ---------------------------------------------------------------------------------------------
# 1. status faults
# ---------------------------------------------------------------------------------------------

# status: (OpenAI code, error.type, canned message, Google status)
STATUS_TABLE = {
    400: ("invalid_request", "invalid_request_error", "bad request", "INVALID_ARGUMENT"),
    401: ("invalid_api_key", "authentication_error", "invalid API key", "UNAUTHENTICATED"),
    402: ("insufficient_balance", "billing_error", "insufficient balance", "RESOURCE_EXHAUSTED"),
    403: ("permission_denied", "permission_error", "permission denied", "PERMISSION_DENIED"),
    404: ("not_found", "not_found_error", "not found", "NOT_FOUND"),
    408: ("request_timeout", "invalid_request_error", "request timeout", "DEADLINE_EXCEEDED"),
    409: ("conflict", "invalid_request_error", "conflict", "ABORTED"),
    413: ("request_too_large", "request_too_large", "request too large", "FAILED_PRECONDITION"),
    429: ("rate_limit_exceeded", "rate_limit_error", "rate limit exceeded", "RESOURCE_EXHAUSTED"),
    451: ("content_blocked", "invalid_request_error", "unavailable for legal reasons: the prompt was blocked",
          "FAILED_PRECONDITION"),
    500: ("internal_error", "api_error", "internal server error", "INTERNAL"),
    502: ("bad_gateway", "api_error", "bad gateway", "INTERNAL"),
    503: ("service_unavailable", "overloaded_error", "service unavailable", "UNAVAILABLE"),
    504: ("gateway_timeout", "api_error", "gateway timeout", "DEADLINE_EXCEEDED"),
    529: ("overloaded", "overloaded_error", "overloaded", "UNAVAILABLE"),
}


def assert_error_envelope(surf: Surf, w: Wire, status: int, *, rule: str = "header-1", message: str | None = None,
                          code: str | None = None) -> None:
    exp_code, etype, canned, gstatus = STATUS_TABLE[status]
    message = message or f"{canned} (injected by bytespike-mock fault rule {rule})"
    code = code or exp_code
    assert w.status == status, (w.status, w.body)
    assert w.header("content-type").startswith("application/json")
    rid = w.request_id
    if surf.envelope == "anthropic":
        assert w.header("request-id") == rid
        assert w.json() == {"type": "error", "error": {"type": etype, "message": message}, "request_id": rid}
    elif surf.envelope == "openai":
        assert w.header("request-id") is None
        assert w.json() == {"error": {"message": message, "type": etype, "param": None, "code": code}}
    else:
        expected = {"code": status, "message": message, "status": gstatus}
        retry_after = w.header("retry-after")
        if status == 429 and retry_after is not None:  # Google's retry hint: google.rpc.RetryInfo
            expected["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry_after}s"}]
        assert w.json() == {"error": expected}
    for h in ENVELOPE_HEADERS:
        assert w.header(h) is not None, (h, w.headers)


@pytest.mark.parametrize("status", sorted(STATUS_TABLE))
@pytest.mark.parametrize("surf", PLAIN, ids=ids)
def test_status_fault_envelope_headers_journal_and_no_billing(base_url, surf, status):
    before = settled(base_url, 0)
    w = call(base_url, surf, False, str(status))
    assert w.eof and not w.reset and not w.trailing
    assert_error_envelope(surf, w, status)
    for h in ("retry-after", "retry-after-ms", "x-should-retry"):
        assert w.header(h) is None, (h, w.headers)
    # The envelope in the error's headers is the account's state: nothing was charged.
    assert w.header("x-quota-remaining-credits") == f"{before['key']['remaining_usd']:.6f}"
    assert settled(base_url, 0) == before
    e = journal_entry(base_url, w.request_id)
    assert (e["status"], e["surface"], e["model"], e["stream"], e["events"]) == (status, surf.family, surf.model, False, 0)
    assert e["bytes"] == len(w.body)
    assert e["faults"] == [{"rule": "header-1", "origin": "header", "stage": "response", "action": str(status),
                            "reason": "n=1: always", "n": 1}]


@pytest.mark.parametrize("surf", STREAMS, ids=ids)
def test_status_fault_on_a_stream_request_is_an_http_error_before_the_head(base_url, surf):
    w = call(base_url, surf, True, "503")
    assert not w.chunked
    assert_error_envelope(surf, w, 503)
    e = journal_entry(base_url, w.request_id)
    assert (e["status"], e["stream"], e["events"]) == (503, True, 0)
    assert [f["stage"] for f in e["faults"]] == ["response"]
    settled(base_url, 0)


RETRY_CASES = [
    # (rule object for POST /__mock/faults, expected headers; None = absent)
    ({"fault": 429, "retry_after": 2}, {"retry-after": "2", "retry-after-ms": None, "x-should-retry": None}),
    ({"fault": 529, "retry_after_ms": 150}, {"retry-after": None, "retry-after-ms": "150", "x-should-retry": None}),
    ({"fault": 503, "retry_after": "none"}, {"retry-after": None, "retry-after-ms": None, "x-should-retry": None}),
    ({"fault": 500, "should_retry": True}, {"retry-after": None, "retry-after-ms": None, "x-should-retry": "true"}),
    ({"fault": 400, "should_retry": False}, {"retry-after": None, "retry-after-ms": None, "x-should-retry": "false"}),
    ({"fault": 429, "retry_after": 0, "retry_after_ms": 1, "should_retry": False},
     {"retry-after": "0", "retry-after-ms": "1", "x-should-retry": "false"}),
]


@pytest.mark.parametrize("rule,expected", RETRY_CASES, ids=[" ".join(f"{k}={v}" for k, v in r.items()) for r, _ in RETRY_CASES])
@pytest.mark.parametrize("surf", PLAIN, ids=ids)
def test_retry_headers_from_a_runtime_rule_fire_first_then_serve(base_url, surf, rule, expected):
    r = ctl(base_url, "POST", "faults", json={**rule, "first": 1, "id": "retry-rule", "surface": surf.family})
    assert r.status_code == 200, r.text
    w = call(base_url, surf, False)
    assert_error_envelope(surf, w, rule["fault"], rule="retry-rule")
    for name, value in expected.items():
        assert w.header(name) == value, (name, w.headers)
    assert settled(base_url, 0)
    e = journal_entry(base_url, w.request_id)
    assert e["faults"][0]["rule"] == "retry-rule" and e["faults"][0]["origin"] == "runtime"
    assert e["faults"][0]["reason"] == "n=1: first=1"
    # first=1: the next identical request is served, and billed.
    ok = call(base_url, surf, False)
    assert ok.status == 200 and ok.json()
    for name in expected:
        assert ok.header(name) is None
    settled(base_url, 1)
    listed = ctl(base_url, "GET", "faults/retry-rule").json()
    assert (listed["matched"], listed["applied"]) == (2, 1)
    assert journal_entry(base_url, ok.request_id)["faults"] == []


@pytest.mark.parametrize("surf", PLAIN, ids=ids)
def test_status_fault_message_and_code_options(base_url, surf):
    w = call(base_url, surf, False, '429 code=slow_down message="too fast, friend" retry_after=1')
    assert_error_envelope(surf, w, 429, message="too fast, friend", code="slow_down")
    assert w.header("retry-after") == "1"
    assert journal_entry(base_url, w.request_id)["faults"][0]["action"] == \
        '429 retry_after=1 code=slow_down message="too fast, friend"'


# ---------------------------------------------------------------------------------------------
# 2. latency
# ---------------------------------------------------------------------------------------------

LATENCY_CASES = [
    ("X-Mock-Fault", "latency 300ms", 300),
    ("X-Mock-Latency", "200ms", 200),
]


@pytest.mark.parametrize("header,value,ms", LATENCY_CASES, ids=["fault-header", "latency-header"])
@pytest.mark.parametrize("surf", PLAIN, ids=ids)
def test_latency_delays_the_head(base_url, surf, header, value, ms):
    w = call(base_url, surf, False, headers={header: value})
    assert w.status == 200 and w.json()
    assert ms / 1000 <= w.head_time < 2.0, w.head_time
    e = journal_entry(base_url, w.request_id)
    assert e["status"] == 200 and e["duration_ms"] >= ms
    assert e["faults"] == [{"rule": "header-1", "origin": "header", "stage": "delay", "action": f"latency {ms}ms",
                            "reason": "n=1: always", "n": 1, "latency_ms": ms}]
    settled(base_url, 1)  # a delayed reply is still a reply: billed once


def test_client_gone_during_latency_is_journaled_as_status_0_and_not_billed(base_url):
    """A client that resets its connection while an injected delay runs gets nothing: the journal
    lists the request with status 0 and its delay fault (like a `cut`), nothing is billed, and
    the concurrency slot is free. A client that only half-closes still gets its answer."""
    host, port = base_url.removeprefix("http://").split(":")
    session = session_name()
    body = json.dumps({"model": "gpt-5-4-mini", "messages": [{"role": "user", "content": "hi"}]}).encode()
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {DEFAULT}\r\n"
            f"Content-Type: application/json\r\nX-Mock-Latency: 400ms\r\nX-Mock-Session: {session}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close() sends RST
        s.sendall(head + body)
        time.sleep(0.1)
    r = ctl(base_url, "GET", "journal/wait", session=session, params={"count": 1, "timeout_ms": 3000})
    assert r.status_code == 200, r.text
    [e] = journal(base_url, session)
    assert e["status"] == 0 and e["bytes"] == 0 and e["path"] == "/v1/chat/completions", e
    assert 0.05 <= e["duration_ms"] / 1000 < 0.4, e  # ended when the client went away, not after the delay
    assert [f["action"] for f in e["faults"]] == ["latency 400ms"], e
    time.sleep(0.5)  # past the delay: the cancelled reply must not run late
    assert len(journal(base_url, session)) == 1
    settled(base_url, 0)


def test_latency_then_status_from_the_control_api_on_a_stream(base_url):
    """A runtime latency and a header status act together: the delay first, then the error."""
    r = ctl(base_url, "POST", "faults", content=b"latency 250ms surface=chat")
    assert r.status_code == 200, r.text
    rid_rule = r.json()["faults"][0]["id"]
    w = call(base_url, CHAT, True, "429 retry_after=1")
    assert 0.25 <= w.head_time < 2.0
    assert_error_envelope(CHAT, w, 429)
    e = journal_entry(base_url, w.request_id)
    assert [(f["rule"], f["stage"], f.get("latency_ms")) for f in e["faults"]] == \
        [("header-1", "response", None), (rid_rule, "delay", 250)]
    fast = call(base_url, MESSAGES, False)  # other surfaces are not delayed
    assert fast.status == 200 and fast.head_time < 0.2


# ---------------------------------------------------------------------------------------------
# 3. stream faults after N events
# ---------------------------------------------------------------------------------------------

def check_stream_journal(base_url: str, w: Wire, surf: Surf, action: str, events: int) -> None:
    e = journal_entry(base_url, w.request_id)
    assert (e["status"], e["surface"], e["stream"], e["events"]) == (200, surf.family, True, events), e
    assert e["bytes"] == len(w.body), (e["bytes"], len(w.body))
    assert e["faults"] == [{"rule": "header-1", "origin": "header", "stage": "stream", "action": action,
                            "reason": "n=1: always", "n": 1}]


@pytest.mark.parametrize("status,n", [(429, 2), (529, 0), (500, 3)], ids=["429@2", "529@0", "500@3"])
@pytest.mark.parametrize("surf", STREAMS, ids=ids)
def test_in_band_error_after_n_events(base_url, surf, status, n):
    base = baseline(base_url, surf)
    rows = len(usage(base_url))
    w = call(base_url, surf, True, f"{status} after_events={n}")
    assert w.status == 200 and w.terminated and w.eof and not w.trailing and not w.reset
    for h in ENVELOPE_HEADERS:
        assert w.header(h) is not None
    assert len(w.chunks) == n + 1, w.chunks
    assert_events_match(w.chunks[:n], base.chunks[:n])
    kind, expected = expected_in_band(surf, status, w.request_id, n)
    err = w.chunks[n]
    if kind == "error":
        assert err.startswith(b"event: error\ndata: ")
        assert event_json(surf.stream_kind, err, n) == expected
    elif kind == "chat":
        assert event_json(surf.stream_kind, err, n) == expected
    elif kind == "response.failed":
        data = event_json(surf.stream_kind, err, n)
        first = event_json(surf.stream_kind, w.chunks[0], 0) if n else None
        assert data["type"] == "response.failed" and data["sequence_number"] == n
        resp = data["response"]
        assert resp["status"] == "failed" and resp["error"] == {"code": expected["code"], "message": expected["message"]}
        if first is not None:
            assert resp["id"] == first["response"]["id"]
    elif surf.stream_kind == "gemini-sse":
        assert event_json(surf.stream_kind, err, n) == expected
    else:
        # JSON array: the error is the last element and closes the array; the body is valid JSON.
        assert err.endswith(b"]")
        doc = json.loads(w.body)
        assert len(doc) == n + 1 and doc[-1] == expected
    assert not any(carries_stop(surf.stream_kind, c) for c in w.chunks[:n])
    check_stream_journal(base_url, w, surf, f"{status} after_events={n}", n + 1)
    settled(base_url, rows)  # a broken stream bills nothing


@pytest.mark.parametrize("n", [2, 9999], ids=["2", "beyond-the-end"])
@pytest.mark.parametrize("surf", STREAMS, ids=ids)
def test_end_after_n_events_ends_cleanly_without_terminal_event(base_url, surf, n):
    base = baseline(base_url, surf)
    rows = len(usage(base_url))
    w = call(base_url, surf, True, f"end after_events={n}")
    sent = min(n, len(base.chunks) - 1)  # a break always comes before the terminal event
    assert w.status == 200 and w.terminated and w.eof and not w.trailing and not w.reset
    assert_events_match(w.chunks, base.chunks[:sent])
    assert not any(is_final_event(surf.stream_kind, c) for c in w.chunks)
    for marker in (b"message_stop", b"[DONE]", b"response.completed"):
        assert marker not in w.body
    if n == 2:  # nothing of the stream's end: no stop reason, no finishReason
        assert not any(carries_stop(surf.stream_kind, c) for c in w.chunks)
    check_stream_journal(base_url, w, surf, f"end after_events={n}", sent)
    settled(base_url, rows)


@pytest.mark.parametrize("surf", STREAMS, ids=ids)
def test_cut_after_n_events_is_the_unfaulted_prefix_then_fin(base_url, surf):
    base = baseline(base_url, surf)
    rows = len(usage(base_url))
    w = call(base_url, surf, True, "cut after_events=3")
    assert w.status == 200 and w.eof and not w.reset
    assert not w.terminated and w.trailing == b"", w.trailing  # FIN right after event 3, no terminator
    assert_events_match(w.chunks, base.chunks[:3])
    assert [k for k, _ in w.headers] == [k for k, _ in base.headers]  # the same head (values aside)
    check_stream_journal(base_url, w, surf, "cut after_events=3", 3)
    settled(base_url, rows)


@pytest.mark.parametrize("surf", STREAMS, ids=ids)
def test_reset_after_n_events_is_a_connection_reset(base_url, surf):
    base = baseline(base_url, surf)
    rows = len(usage(base_url))
    w = call(base_url, surf, True, "reset after_events=3")
    assert w.status == 200 and w.reset and not w.eof and not w.terminated
    assert len(w.chunks) <= 3 and not w.trailing
    assert_events_match(w.chunks, base.chunks[:len(w.chunks)])
    e = journal_entry(base_url, w.request_id)
    assert (e["status"], e["events"]) == (200, 3)
    assert e["faults"][0]["action"] == "reset after_events=3" and e["faults"][0]["stage"] == "stream"
    settled(base_url, rows)
    # httpx2 sees it as a transport error and never a complete body.
    path, h, body = surf.request(True)
    with pytest.raises(httpx2.TransportError):
        with httpx2.Client(base_url=base_url, timeout=TIMEOUT) as c:
            with c.stream("POST", path, json=body, headers={**h, "X-Mock-Fault": "reset after_events=3"}) as r:
                assert r.status_code == 200
                for _ in r.iter_raw():
                    pass


@pytest.mark.parametrize("surf", STREAMS, ids=ids)
def test_stall_pauses_between_event_2_and_3_then_completes(base_url, surf):
    base = baseline(base_url, surf)
    rows = len(usage(base_url))
    w = call(base_url, surf, True, "stall for=500ms after_events=2")
    assert w.status == 200 and w.terminated and w.eof and not w.trailing
    assert_events_match(w.chunks, base.chunks)
    t = w.chunk_times
    assert t[2] - t[1] >= 0.5, t[:4]
    assert t[1] < 0.3 and t[2] < 2.0 and t[-1] - t[2] < 0.5, t
    check_stream_journal(base_url, w, surf, "stall for=500ms after_events=2", len(base.chunks))
    settled(base_url, rows + 1)  # completed: billed


@pytest.mark.parametrize("surf", STREAMS, ids=ids)
def test_malformed_event_1_is_cut_in_half_and_the_stream_goes_on(base_url, surf):
    base = baseline(base_url, surf)
    rows = len(usage(base_url))
    w = call(base_url, surf, True, "malformed after_events=1")
    assert w.status == 200 and w.terminated and w.eof and not w.trailing
    assert len(w.chunks) == len(base.chunks)
    assert_events_match(w.chunks[:1], base.chunks[:1])
    assert_events_match(w.chunks[2:], base.chunks[2:])
    bad, good = w.chunks[1], base.chunks[1]
    end = frame_end(surf.stream_kind)
    assert bad.endswith(end)  # the SSE framing is kept: one complete event
    bad_core, good_core = bad[:len(bad) - len(end)], good[:len(good) - len(end)]
    start = good_core.index(b"{")
    assert len(bad_core) == start + max(1, (len(good_core) - start) // 2)
    assert same_modulo_ids(bad_core, good_core, prefix=True)
    with pytest.raises(ValueError):
        event_json(surf.stream_kind, bad, 1)
    check_stream_journal(base_url, w, surf, "malformed after_events=1", len(base.chunks))
    settled(base_url, rows + 1)


DRIP_TEXT = "One two three four five six."  # 7 output tokens


@pytest.mark.parametrize("surf", STREAMS, ids=ids)
def test_drip_paces_the_stream(base_url, surf):
    add_rule(base_url, {"text": DRIP_TEXT}, contains=PROMPT)
    base = baseline(base_url, surf)
    rows = len(usage(base_url))
    w = call(base_url, surf, True, "drip tps=20")
    assert w.status == 200 and w.terminated and w.eof
    assert_events_match(w.chunks, base.chunks)
    took, unpaced = w.chunk_times[-1], base.chunk_times[-1]
    assert unpaced < 0.2, unpaced
    assert took >= 6 / 20, took                   # at least ~7 tokens at 20 per second
    assert took < 2.0 and took > unpaced + 0.2, (took, unpaced)
    gaps = [b - a for a, b in zip(w.chunk_times, w.chunk_times[1:])]
    assert max(gaps) >= 0.04, gaps               # one token is 50 ms at 20 tps
    # The action as journaled (and replayed by the plan); the rate may be written as a float.
    assert journal_entry(base_url, w.request_id)["faults"][0]["action"] in ("drip tps=20", "drip tps=20.0")
    e = journal_entry(base_url, w.request_id)
    assert (e["status"], e["events"], e["bytes"]) == (200, len(base.chunks), len(w.body))
    settled(base_url, rows + 1)


def test_drip_ttft_delays_the_first_event(base_url):
    add_rule(base_url, {"text": DRIP_TEXT}, contains=PROMPT)
    w = call(base_url, CHAT, True, "drip tps=1000 ttft=300ms")
    assert w.status == 200 and w.terminated
    assert w.head_time < 0.2                      # the head is not delayed, the first event is
    assert 0.3 <= w.chunk_times[0] < 2.0, w.chunk_times[:2]
    assert w.chunk_times[-1] - w.chunk_times[0] < 0.3


@pytest.mark.parametrize("surf", STREAMS, ids=ids)
def test_malformed_without_after_events_on_a_stream_journal_matches_the_wire(base_url, surf):
    """`malformed` (no after_events) on a streamed request: the journal may only record the fault
    when an event on the wire is actually broken, and a broken event must be journaled."""
    base = baseline(base_url, surf)
    w = call(base_url, surf, True, "malformed")
    assert w.status == 200 and w.terminated and len(w.chunks) == len(base.chunks)
    broken = []
    for i, c in enumerate(w.chunks):
        try:
            event_json(surf.stream_kind, c, i)
        except ValueError:
            broken.append(i)
    applied = [f["action"] for f in journal_entry(base_url, w.request_id)["faults"]]
    assert applied in ([], ["malformed"])
    assert bool(broken) == bool(applied), \
        f"journal says {applied} but the broken events are {broken} of {len(w.chunks)}"


@pytest.mark.parametrize("spec", ["429 after_events=2", "end after_events=1", "cut after_events=1",
                                  "reset after_events=1", "stall for=400ms after_events=1", "drip tps=5"])
@pytest.mark.parametrize("surf", PLAIN, ids=ids)
def test_stream_only_faults_leave_complete_responses_alone(base_url, surf, spec):
    w = call(base_url, surf, False, spec)
    assert w.status == 200 and w.json() and w.eof and not w.trailing
    assert w.head_time < 0.3
    assert journal_entry(base_url, w.request_id)["faults"] == []
    settled(base_url, 1)


def test_runtime_stream_rule_counts_only_streams_and_fires_first(base_url):
    r = ctl(base_url, "POST", "faults", json={"fault": "cut", "after_events": 2, "stream": True, "surface": "messages",
                                              "first": 1, "id": "cut-once"})
    assert r.status_code == 200, r.text
    plain = call(base_url, MESSAGES, False)
    assert plain.status == 200 and plain.json()["type"] == "message"
    cut = call(base_url, MESSAGES, True)
    assert cut.eof and not cut.terminated and len(cut.chunks) == 2
    whole = call(base_url, MESSAGES, True)
    assert whole.terminated and is_final_event("anthropic", whole.chunks[-1])
    assert_events_match(cut.chunks, whole.chunks[:2])
    listed = ctl(base_url, "GET", "faults/cut-once").json()
    assert (listed["matched"], listed["applied"], listed["stage"]) == (2, 1, "stream")
    assert [f["rule"] for f in journal_entry(base_url, cut.request_id)["faults"]] == ["cut-once"]
    assert [x["id"] for x in journal(base_url, rule="cut-once")] == [cut.request_id]
    settled(base_url, 2)  # the complete response and the complete stream


# ---------------------------------------------------------------------------------------------
# 4. transport faults
# ---------------------------------------------------------------------------------------------

TRANSPORT_TARGETS = [(s, False) for s in PLAIN] + [(s, True) for s in STREAMS]
TRANSPORT_IDS = [f"{s.name}-{'stream' if st else 'plain'}" for s, st in TRANSPORT_TARGETS]


@pytest.mark.parametrize("fault,action", [("reset", "reset"), ("empty", "cut"), ("cut", "cut"),
                                          ("garbage bytes=32", "garbage bytes=32")])
@pytest.mark.parametrize("surf,stream", TRANSPORT_TARGETS, ids=TRANSPORT_IDS)
def test_transport_fault_before_the_head(base_url, surf, stream, fault, action):
    session = session_name()
    w = call(base_url, surf, stream, fault, session=session)
    if fault == "reset":
        assert w.reset and w.raw == b""
    elif action == "cut":
        assert w.eof and not w.reset and w.raw == b""
    else:
        assert w.eof and not w.reset
        assert len(w.raw) == 32 and not w.raw.startswith(b"H"), w.raw
        assert w.status is None
    [e] = journal(base_url, session)
    assert (e["status"], e["surface"], e["stream"], e["events"], e["session"]) == (0, surf.family, stream, 0, session)
    assert e["bytes"] == len(w.raw)
    assert e["faults"] == [{"rule": "header-1", "origin": "header", "stage": "response", "action": action,
                            "reason": "n=1: always", "n": 1}]
    assert journal_entry(base_url, e["id"]) == e
    assert [x["id"] for x in journal(base_url, session, status="0")] == [e["id"]]
    settled(base_url, 0)


def test_garbage_is_deterministic_per_request_and_sized(base_url):
    a = call(base_url, CHAT, False, "garbage bytes=32")
    b = call(base_url, CHAT, False, "garbage bytes=1")
    c = call(base_url, CHAT, False, "garbage")
    assert len(a.raw) == 32 and len(b.raw) == 1 and len(c.raw) == 64  # 64: the default
    assert not any(x.raw.startswith(b"H") for x in (a, b, c))


@pytest.mark.parametrize("fault", ["reset on=accept first=1", "cut on=accept first=1"])
def test_accept_fault_drops_the_first_connection_then_serves(fault):
    with running_mock("--fault", fault) as mock:
        # The rule acts before any byte is read, so the first client need not send anything to see it.
        first = bare_connection(mock.url)
        if fault.startswith("reset"):
            assert first.reset and first.raw == b""
        else:
            assert first.eof and not first.reset and first.raw == b""
        second = call(mock.url, CHAT, False)
        assert second.status == 200 and second.json()["object"] == "chat.completion"
        third = call(mock.url, MESSAGES, True)
        assert third.status == 200 and third.terminated
        entries = journal(mock.url)
        assert [x["surface"] for x in entries] == ["connection", "chat", "messages"]
        conn = entries[0]
        assert (conn["status"], conn["path"], conn["events"], conn["bytes"]) == (0, "", 0, 0)
        [f] = conn["faults"]
        assert (f["origin"], f["stage"], f["action"], f["n"]) == ("cli", "accept", fault.removesuffix(" first=1"), 1)
        assert f["reason"] == "n=1: first=1"
        assert entries[1]["id"] == second.request_id and entries[1]["faults"] == []
        listed = ctl(mock.url, "GET", f"faults/{f['rule']}").json()
        assert listed["origin"] == "cli" and listed["applied"] == 1 and listed["matched"] >= 3


@pytest.mark.parametrize("surf", PLAIN, ids=ids)
def test_malformed_complete_response_is_half_a_valid_body(base_url, surf):
    base = call(base_url, surf, False)
    assert base.status == 200 and base.json()
    w = call(base_url, surf, False, "malformed")
    assert w.status == 200 and w.eof and not w.trailing
    assert int(w.header("content-length")) == len(w.body) == len(base.body) // 2
    assert w.header("content-type") == base.header("content-type")
    with pytest.raises(ValueError):
        json.loads(w.body)
    assert same_modulo_ids(w.body, base.body, prefix=True), (w.body, base.body)
    e = journal_entry(base_url, w.request_id)
    assert (e["status"], e["bytes"], e["events"]) == (200, len(w.body), 0)
    assert e["faults"] == [{"rule": "header-1", "origin": "header", "stage": "response", "action": "malformed",
                            "reason": "n=1: always", "n": 1}]


# ---------------------------------------------------------------------------------------------
# 5. journal views over a mixed run
# ---------------------------------------------------------------------------------------------

def test_journal_filters_and_plan_over_every_kind(base_url):
    session = session_name()
    specs = [("429", False), ("latency 100ms", False), ("reset", False), ("garbage bytes=8", False),
             ("malformed", False), ("end after_events=2", True), ("cut after_events=2", True),
             ("503 after_events=1", True), (None, False)]
    for spec, stream in specs:
        call(base_url, CHAT, stream, spec, session=session)
    entries = journal(base_url, session)
    assert [e["seq"] for e in entries] == list(range(1, len(specs) + 1))
    assert [e["status"] for e in entries] == [429, 200, 0, 0, 200, 200, 200, 200, 200]
    assert [e["events"] > 0 for e in entries] == [False] * 5 + [True] * 3 + [False]
    assert [x["seq"] for x in journal(base_url, session, faulted="false")] == [9]
    assert [x["seq"] for x in journal(base_url, session, status="0")] == [3, 4]
    assert [x["seq"] for x in journal(base_url, session, status="4xx,0")] == [1, 3, 4]
    assert [x["seq"] for x in journal(base_url, session, stream="true")] == [6, 7, 8]
    r = ctl(base_url, "GET", "journal/plan", session=session)
    assert r.status_code == 200, r.text
    assert r.json()["faults"] == [
        f"{a} seq={i} session={session} id=plan-{i}" for i, a in enumerate(
            ["429", "latency 100ms", "reset", "garbage bytes=8", "malformed", "end after_events=2",
             "cut after_events=2", "503 after_events=1"], start=1)]


# ---------------------------------------------------------------------------------------------
# 6. the shared server still serves
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("surf", STREAMS, ids=ids)
def test_zz_server_still_serves_normal_requests(base_url, surf):
    plain = call(base_url, surf, False)
    assert plain.status == 200 and plain.json() and not plain.trailing
    s = call(base_url, surf, True)
    assert s.status == 200 and s.terminated and is_final_event(surf.stream_kind, s.chunks[-1])
    for i, c in enumerate(s.chunks):
        event_json(surf.stream_kind, c, i)
    assert ctl(base_url, "GET", "health").json()["status"] == "ok"
    settled(base_url, 2)
