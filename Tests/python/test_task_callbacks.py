"""Task callbacks and task streams under load, against private mock servers over real sockets.

1. Callbacks (`callback_url` on `POST /v1/tasks/submit`, `Sources/Gateway/Media/Callbacks.swift`):
   a real HTTP receiver (`ThreadingHTTPServer` on 127.0.0.1, port 0) records every request the
   mock sends. A terminal task (completed, failed, cancelled) is POSTed once to the URL with its
   path and query, the `X-ByteSpike-*` headers and an HMAC-SHA256 signature over the raw body
   (default secret, `--callback-secret`, per-task `callback_secret`); the body is the task object
   a query answers. Non-2xx answers are retried with doubling waits (`--callback-backoff`) up to
   `--callback-attempts`, with the same delivery id, body and signature; refused connections,
   silent receivers (`--callback-timeout`) and https URLs are journaled (`surface=callback`,
   status 0 with an `error`). Clock-driven tests freeze the private server's clock and advance it.
2. Load: 1,000 concurrent `GET /v1/tasks/stream/{id}` SSE streams over asyncio raw sockets, each
   read to its terminal event with the full, gap-free event id sequence; the server stays healthy
   and bills every task exactly once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import resource
import socket
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from mockproc import running_mock

KEY = "sk-byts-default-test-key-0001"          # key_default, acct_ada
AUTH = {"Authorization": f"Bearer {KEY}"}
MODEL = "seedream-v5lite"                        # image task: queue 1 s + render 8 s, $0.012 per image
PRICE_MICROS = 12_000
DEFAULT_SECRET = "bytespike-mock-callback-secret"
TIMEOUT = 10.0
# A short first backoff everywhere, so a spurious extra delivery would show up within QUIET.
FAST = ("--callback-backoff", "0.05")
QUIET = 0.4


# ---------------------------------------------------------------------------------------------
# the callback receiver
# ---------------------------------------------------------------------------------------------

class Receiver:
    """A real HTTP server on 127.0.0.1 that records each request (method, path, headers, raw
    body, monotonic arrival time) and answers the next status of `statuses` (the last one
    repeats). With `hang=True` it reads the request and never answers (until closed)."""

    def __init__(self, statuses=(204,), hang: bool = False):
        self.statuses = list(statuses)
        self.hang = hang
        self.requests: list[dict] = []
        self.cond = threading.Condition()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with receiver.cond:
                    n = len(receiver.requests)
                    receiver.requests.append({
                        "method": self.command, "path": self.path, "headers": self.headers,
                        "body": body, "at": time.monotonic(), "version": self.request_version,
                    })
                    receiver.cond.notify_all()
                if receiver.hang:
                    receiver.release.wait(10)
                    self.close_connection = True
                    return
                status = receiver.statuses[min(n, len(receiver.statuses) - 1)]
                payload = b"" if status == 204 else b'{"received":true}'
                self.send_response(status)
                if status != 204:
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                self.end_headers()
                if payload:
                    self.wfile.write(payload)
                self.close_connection = True

            do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str = "/hook?x=1") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait(self, n: int, timeout: float = 5.0) -> list[dict]:
        """Waits for at least `n` requests; returns all of them."""
        with self.cond:
            ok = self.cond.wait_for(lambda: len(self.requests) >= n, timeout)
            assert ok, f"receiver saw {len(self.requests)} of {n} requests within {timeout} s"
            return list(self.requests)

    def snapshot(self) -> list[dict]:
        with self.cond:
            return list(self.requests)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def dead_port() -> int:
    """A port nobody listens on: bind, read the port, close."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------------------------------------
# mock helpers
# ---------------------------------------------------------------------------------------------

@contextmanager
def frozen_mock(*flags: str):
    """A private mock with its clock frozen, and an httpx client on it."""
    with running_mock(*flags) as mock, httpx.Client(base_url=mock.url, timeout=TIMEOUT) as client:
        clock(client, "freeze")
        yield mock, client


def clock(client: httpx.Client, action: str, **kw) -> dict:
    r = client.post("/__mock/clock", json={"action": action, **kw})
    assert r.status_code == 200, r.text
    return r.json()


def submit(client: httpx.Client, headers: dict | None = None, **fields) -> dict:
    body = {"model": MODEL, "prompt": "a lighthouse at dusk", **fields}
    r = client.post("/v1/tasks/submit", json=body, headers={**AUTH, **(headers or {})})
    assert r.status_code == 200, r.text
    return r.json()


def query(client: httpx.Client, task_id: str) -> dict:
    r = client.get("/v1/tasks/query", params={"task_id": task_id}, headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


def journal_wait(client: httpx.Client, count: int, timeout_ms: int = 5000, headers: dict | None = None, **filters) -> list[dict]:
    params = {"count": count, "timeout_ms": timeout_ms, "surface": "callback", **filters}
    r = client.get("/__mock/journal/wait", params=params, headers=headers or {}, timeout=timeout_ms / 1000 + TIMEOUT)
    assert r.status_code == 200, f"journal wait for {count} callback entries: {r.status_code} {r.text}"
    return r.json()["entries"]


def journal(client: httpx.Client, **filters) -> list[dict]:
    r = client.get("/__mock/journal", params={"surface": "callback", **filters})
    assert r.status_code == 200, r.text
    return r.json()["entries"]


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def assert_delivery(req: dict, task: dict, event: str, secret: str, attempt: int = 1, path: str = "/hook?x=1") -> None:
    """One callback request as Callbacks.swift documents it."""
    h = req["headers"]
    body = req["body"]
    assert req["method"] == "POST"
    assert req["path"] == path
    assert h["Content-Type"] == "application/json"
    assert int(h["Content-Length"]) == len(body)
    assert h["X-ByteSpike-Event"] == event
    assert h["X-ByteSpike-Task-Id"] == task["task_id"]
    assert re.fullmatch(r"dlv_[0-9A-Za-z]+", h["X-ByteSpike-Delivery"]), h["X-ByteSpike-Delivery"]
    assert h["X-ByteSpike-Attempt"] == str(attempt)
    assert re.fullmatch(r"[0-9]+", h["X-ByteSpike-Timestamp"]), h["X-ByteSpike-Timestamp"]
    sig = h["X-ByteSpike-Signature"]
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", sig), sig
    assert hmac.compare_digest(sig, signature(secret, body)), f"signature {sig} is not HMAC-SHA256({secret!r}, body)"
    # One of each X-ByteSpike header (no duplicates).
    for name in ("X-ByteSpike-Event", "X-ByteSpike-Task-Id", "X-ByteSpike-Delivery", "X-ByteSpike-Attempt",
                 "X-ByteSpike-Timestamp", "X-ByteSpike-Signature", "Content-Type"):
        assert len(h.get_all(name)) == 1, (name, h.get_all(name))


# ---------------------------------------------------------------------------------------------
# 1. callbacks
# ---------------------------------------------------------------------------------------------

def test_completed_task_calls_back_once_signed_with_the_default_secret():
    with Receiver() as rx, frozen_mock(*FAST) as (mock, c):
        task = submit(c, callback_url=rx.url())
        assert task["status"] == "queued"
        assert rx.snapshot() == [] and journal(c) == []  # nothing before the terminal step
        clock(c, "advance", seconds=3)  # running: still no callback
        assert query(c, task["task_id"])["status"] == "running"
        time.sleep(0.1)
        assert rx.snapshot() == []
        clock(c, "advance", seconds=7)  # past queue 1 s + render 8 s
        entries = journal_wait(c, 1)
        [req] = rx.wait(1)
        answer = query(c, task["task_id"])
        assert answer["status"] == "completed"
        assert_delivery(req, task, "task.completed", DEFAULT_SECRET)
        h = req["headers"]
        assert h["X-ByteSpike-Delivery"] == "dlv_" + task["task_id"][len("task_"):]
        assert h["Host"] == f"127.0.0.1:{rx.port}"
        assert h["User-Agent"] == "bytespike-mock-callback/1"
        assert int(h["X-ByteSpike-Timestamp"]) == epoch(answer["completed_at"])
        assert json.loads(req["body"]) == answer
        # Journal: one attempt, the receiver's status, the URL as path.
        [e] = entries
        assert (e["method"], e["path"], e["surface"], e["status"], e["attempt"]) == ("POST", rx.url(), "callback", 204, 1)
        assert e["key"] == "key_default" and e["model"] == MODEL and e["bytes"] == len(req["body"])
        assert "error" not in e
        # Looking again, advancing again, querying again: no second delivery.
        for _ in range(3):
            query(c, task["task_id"])
            clock(c, "advance", seconds=5)
        time.sleep(QUIET)
        assert len(rx.snapshot()) == 1
        assert len(journal(c)) == 1


@pytest.mark.parametrize("flags,body_secret,secret", [
    (("--callback-secret", "server-wide-s3cret"), None, "server-wide-s3cret"),
    ((), "per-task-secret", "per-task-secret"),
    (("--callback-secret", "server-wide-s3cret"), "per-task-wins", "per-task-wins"),
], ids=["flag", "per-task", "per-task-beats-flag"])
def test_signature_secret(flags, body_secret, secret):
    with Receiver() as rx, frozen_mock(*FAST, *flags) as (mock, c):
        extra = {"callback_secret": body_secret} if body_secret is not None else {}
        task = submit(c, callback_url=rx.url(), **extra)
        clock(c, "advance", seconds=10)
        journal_wait(c, 1)
        [req] = rx.wait(1)
        assert_delivery(req, task, "task.completed", secret)
        assert req["headers"]["X-ByteSpike-Signature"] != signature(DEFAULT_SECRET, req["body"])
        assert json.loads(req["body"]) == query(c, task["task_id"])


@pytest.mark.parametrize("at,progress", [("running", 50), ("pending", 0), ("30%", 30)])
def test_failed_task_calls_back_task_failed(at, progress):
    with Receiver() as rx, frozen_mock(*FAST) as (mock, c):
        task = submit(c, headers={"X-Mock-Fault": f"fail at={at}"}, callback_url=rx.url("/cb/failed"))
        clock(c, "advance", seconds=10)
        journal_wait(c, 1)
        [req] = rx.wait(1)
        answer = query(c, task["task_id"])
        assert answer["status"] == "failed" and answer["progress"] == progress, answer
        assert answer["error"]["code"] == "render_failed"
        assert_delivery(req, task, "task.failed", DEFAULT_SECRET, path="/cb/failed")
        assert int(req["headers"]["X-ByteSpike-Timestamp"]) == epoch(answer["failed_at"])
        assert json.loads(req["body"]) == answer
        time.sleep(QUIET)
        assert len(rx.snapshot()) == 1


def test_cancelled_task_calls_back_task_cancelled():
    with Receiver() as rx, frozen_mock(*FAST) as (mock, c):
        task = submit(c, callback_url=rx.url("/cb?kind=cancel&n=2"))
        clock(c, "advance", seconds=3)  # running, 25 %
        time.sleep(0.1)
        assert rx.snapshot() == []
        r = c.post("/v1/tasks/cancel", json={"task_id": task["task_id"]}, headers=AUTH)
        assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
        journal_wait(c, 1)
        [req] = rx.wait(1)
        answer = query(c, task["task_id"])
        assert answer["status"] == "cancelled"
        assert_delivery(req, task, "task.cancelled", DEFAULT_SECRET, path="/cb?kind=cancel&n=2")
        assert json.loads(req["body"]) == answer == r.json()
        # Cancelling again (a terminal task is returned unchanged) and advancing: no second callback.
        assert c.post("/v1/tasks/cancel", json={"task_id": task["task_id"]}, headers=AUTH).status_code == 200
        clock(c, "advance", seconds=30)
        time.sleep(QUIET)
        assert len(rx.snapshot()) == 1


def test_no_callback_url_no_callback():
    with Receiver() as rx, frozen_mock(*FAST) as (mock, c):
        task = submit(c)
        clock(c, "advance", seconds=10)
        assert query(c, task["task_id"])["status"] == "completed"
        time.sleep(0.2)
        assert journal(c) == [] and rx.snapshot() == []


def test_callback_journal_entries_carry_the_session():
    with Receiver() as rx, frozen_mock(*FAST) as (mock, c):
        mine = {"X-Mock-Session": "cb-session-a"}
        task = submit(c, headers=mine, callback_url=rx.url())
        submit(c, headers={"X-Mock-Session": "cb-session-b"}, callback_url=rx.url("/other"))
        clock(c, "advance", seconds=10)
        rx.wait(2)
        [e] = journal_wait(c, 1, headers=mine)
        assert e["session"] == "cb-session-a" and e["path"] == rx.url() and e["status"] == 204
        assert len(journal_wait(c, 2)) == 2  # without the header: both sessions
        assert task["task_id"] in {r["headers"]["X-ByteSpike-Task-Id"] for r in rx.snapshot()}


def test_retries_until_2xx_with_doubling_backoff():
    with Receiver(statuses=(500, 500, 204)) as rx, frozen_mock("--callback-backoff", "0.1") as (mock, c):
        task = submit(c, callback_url=rx.url())
        clock(c, "advance", seconds=10)
        entries = journal_wait(c, 3)
        reqs = rx.wait(3)
        assert [e["attempt"] for e in entries] == [1, 2, 3]
        assert [e["status"] for e in entries] == [500, 500, 204]
        assert all(e["path"] == rx.url() and "error" not in e for e in entries)
        for i, req in enumerate(reqs, start=1):
            assert_delivery(req, task, "task.completed", DEFAULT_SECRET, attempt=i)
        first = reqs[0]
        for req in reqs[1:]:
            for name in ("X-ByteSpike-Delivery", "X-ByteSpike-Signature", "X-ByteSpike-Timestamp", "X-ByteSpike-Event"):
                assert req["headers"][name] == first["headers"][name], name
            assert req["body"] == first["body"]
        gaps = [reqs[1]["at"] - reqs[0]["at"], reqs[2]["at"] - reqs[1]["at"]]
        print(f"\ncallback retry gaps: {gaps[0]:.3f} s, {gaps[1]:.3f} s (backoff 0.1 s, doubling)")
        assert 0.09 <= gaps[0] < 1.0, gaps
        assert 0.18 <= gaps[1] < 1.5, gaps
        assert gaps[1] > gaps[0] * 1.4, gaps  # doubled, not constant
        time.sleep(QUIET + 0.4)  # a 4th attempt would come 0.4 s after the 3rd
        assert len(rx.snapshot()) == 3 and len(journal(c)) == 3


def test_attempt_limit_with_an_always_failing_receiver():
    with Receiver(statuses=(503,)) as rx, frozen_mock(*FAST, "--callback-attempts", "2") as (mock, c):
        task = submit(c, callback_url=rx.url())
        clock(c, "advance", seconds=10)
        entries = journal_wait(c, 2)
        reqs = rx.wait(2)
        assert [(e["attempt"], e["status"]) for e in entries] == [(1, 503), (2, 503)]
        assert [r["headers"]["X-ByteSpike-Attempt"] for r in reqs] == ["1", "2"]
        assert reqs[0]["headers"]["X-ByteSpike-Task-Id"] == task["task_id"]
        time.sleep(QUIET)  # a 3rd would come 0.1 s after the 2nd
        assert len(rx.snapshot()) == 2 and len(journal(c)) == 2


def test_refused_port_is_journaled_with_status_0_and_an_error():
    port = dead_port()
    url = f"http://127.0.0.1:{port}/hook?x=1"
    with frozen_mock(*FAST, "--callback-attempts", "3") as (mock, c):
        submit(c, callback_url=url)
        clock(c, "advance", seconds=10)
        entries = journal_wait(c, 3)
        assert [e["attempt"] for e in entries] == [1, 2, 3]
        for e in entries:
            assert e["status"] == 0 and e["path"] == url and e["method"] == "POST"
            assert isinstance(e.get("error"), str) and e["error"], e
            assert str(port) in e["error"] and "refused" in e["error"].lower(), e["error"]
        # status=0 filters the dropped ones.
        assert len(journal(c, status="0")) == 3
        time.sleep(QUIET)
        assert len(journal(c)) == 3


def test_silent_receiver_times_out():
    with Receiver(hang=True) as rx, frozen_mock(*FAST, "--callback-timeout", "0.3", "--callback-attempts", "1") as (mock, c):
        submit(c, callback_url=rx.url())
        started = time.monotonic()
        clock(c, "advance", seconds=10)
        [e] = journal_wait(c, 1)
        elapsed = time.monotonic() - started
        [req] = rx.wait(1)  # the request arrived; the answer never did
        assert req["method"] == "POST"
        assert e["status"] == 0 and e["attempt"] == 1
        assert "timed out" in e.get("error", "") and "300 ms" in e["error"], e
        assert 250 <= e["duration_ms"] < 2000, e
        assert 0.25 <= elapsed < 3, elapsed
        time.sleep(QUIET)
        assert len(journal(c)) == 1


def test_https_callback_url_is_accepted_and_journaled_as_not_delivered():
    with frozen_mock(*FAST) as (mock, c):
        url = "https://127.0.0.1:9/secure-hook?x=1"
        task = submit(c, callback_url=url)
        assert task["status"] == "queued"
        clock(c, "advance", seconds=10)
        [e] = journal_wait(c, 1)
        assert e["status"] == 0 and e["path"] == url and e["attempt"] == 1
        assert "https" in e.get("error", ""), e
        time.sleep(QUIET)
        assert len(journal(c)) == 1  # never retried


def test_running_clock_calls_back_on_time_without_polling():
    """Under `--time-scale 100` (a 9 s image task takes 90 ms) the engine's timer settles and
    calls back with nobody polling; 20 tasks, 20 deliveries, one each."""
    with Receiver() as rx, running_mock(*FAST, "--time-scale", "100") as mock, \
            httpx.Client(base_url=mock.url, timeout=TIMEOUT) as c:
        started = time.monotonic()
        tasks = [submit(c, callback_url=rx.url(f"/hook?i={i}")) for i in range(20)]
        reqs = rx.wait(20, timeout=5)
        took = time.monotonic() - started
        assert took < 3, took
        by_id = {r["headers"]["X-ByteSpike-Task-Id"]: r for r in reqs}
        assert sorted(by_id) == sorted(t["task_id"] for t in tasks)
        for i, t in enumerate(tasks):
            req = by_id[t["task_id"]]
            assert_delivery(req, t, "task.completed", DEFAULT_SECRET, path=f"/hook?i={i}")
            assert json.loads(req["body"]) == query(c, t["task_id"])
        time.sleep(QUIET)
        assert len(rx.snapshot()) == 20 and len(journal(c)) == 20


@pytest.mark.parametrize("statuses,journaled", [
    ((302, 200), [302, 200]),     # a redirect is not a delivery, and is not followed
    ((410, 202), [410, 202]),     # any non-2xx is retried, 4xx included
    ((200,), [200]),
    ((299,), [299]),
])
def test_only_2xx_counts_as_delivered(statuses, journaled):
    with Receiver(statuses=statuses) as rx, frozen_mock(*FAST) as (mock, c):
        submit(c, callback_url=rx.url())
        clock(c, "advance", seconds=10)
        entries = journal_wait(c, len(journaled))
        assert [e["status"] for e in entries] == journaled
        time.sleep(QUIET)
        assert len(rx.snapshot()) == len(journaled) and len(journal(c)) == len(journaled)
        assert all(r["path"] == "/hook?x=1" for r in rx.snapshot())  # the Location was never visited


class RawReceiver:
    """A TCP listener that reads one HTTP request per connection and writes `replies[n]` raw
    (then closes); the last reply repeats."""

    def __init__(self, replies: list[bytes]):
        self.replies = replies
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            with conn:
                conn.settimeout(2)
                data = b""
                try:
                    while b"\r\n\r\n" not in data:
                        part = conn.recv(65536)
                        if not part:
                            break
                        data += part
                    head, _, body = data.partition(b"\r\n\r\n")
                    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
                    while len(body) < length:
                        part = conn.recv(65536)
                        if not part:
                            break
                        body += part
                    self.requests.append(data)
                    conn.sendall(self.replies[min(len(self.requests) - 1, len(self.replies) - 1)])
                except OSError:
                    pass

    def __enter__(self) -> "RawReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


@pytest.mark.parametrize("reply,status,error", [
    (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200, None),
    (b"HTTP/1.0 204 No Content\r\n\r\n", 204, None),
    (b"HTTP/1.1 200\r\n\r\n", 200, None),                       # no reason phrase
    (b"NOT HTTP AT ALL\r\n\r\n", 0, "malformed status line"),
    (b"", 0, "closed before a status line"),
], ids=["interim-100", "http10-204", "no-reason", "garbage", "closed"])
def test_receiver_replies_on_the_wire(reply, status, error):
    with RawReceiver([reply]) as rx, frozen_mock(*FAST, "--callback-attempts", "1") as (mock, c):
        task = submit(c, callback_url=f"http://127.0.0.1:{rx.port}/raw")
        clock(c, "advance", seconds=10)
        [e] = journal_wait(c, 1)
        assert e["status"] == status, e
        if error is None:
            assert "error" not in e, e
        else:
            assert error in e.get("error", ""), e
        [raw] = rx.requests
        head = raw.split(b"\r\n\r\n", 1)[0].decode()
        assert head.startswith("POST /raw HTTP/1.1\r\n"), head
        assert f"\r\nHost: 127.0.0.1:{rx.port}\r\n" in head
        assert "\r\nConnection: close\r\n" in head
        assert f"\r\nX-ByteSpike-Task-Id: {task['task_id']}\r\n" in head


@pytest.mark.parametrize("extra,param", [
    ({"callback_url": "ftp://example.com/hook"}, "callback_url"),
    ({"callback_url": "example.com/hook"}, "callback_url"),
    ({"callback_url": "http://"}, "callback_url"),
    ({"callback_url": ""}, "callback_url"),
    ({"callback_url": 5}, "callback_url"),
    ({"callback_url": "http://127.0.0.1:1/x", "callback_secret": 123}, "callback_secret"),
], ids=["ftp", "no-scheme", "no-host", "empty", "number", "secret-number"])
def test_bad_callback_fields_are_rejected(extra, param):
    with running_mock() as mock, httpx.Client(base_url=mock.url, timeout=TIMEOUT) as c:
        r = c.post("/v1/tasks/submit", json={"model": MODEL, "prompt": "x", **extra}, headers=AUTH)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["param"] == param and r.json()["error"]["code"] == "invalid_param", r.text
        assert c.get("/__mock/tasks").json()["data"] == []  # no task was created


def test_undeliverable_callback_url_is_rejected_at_submit():
    """`http://exa mple/x` passes the prefix check but is no URL: the sender can never deliver it
    (it journals "invalid callback URL"), so submit should refuse it with the 400 its message
    promises ("must be an absolute http(s) URL") rather than bill a task whose callback cannot work."""
    with running_mock(*FAST) as mock, httpx.Client(base_url=mock.url, timeout=TIMEOUT) as c:
        r = c.post("/v1/tasks/submit", json={"model": MODEL, "prompt": "x", "callback_url": "http://exa mple/x"}, headers=AUTH)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["param"] == "callback_url", r.text


def test_params_shape_and_out_task_id_resubmit_call_back_once():
    """The documented utility shape (`params` + top-level `callback_url`): an idempotent resubmit
    with the same `out_task_id` returns the same task and does not add a delivery."""
    with Receiver() as rx, frozen_mock(*FAST) as (mock, c):
        body = {"out_task_id": "render-cb-001", "params": {"prompt": "a red fox", "n": 2}, "callback_url": rx.url()}
        task = submit(c, **body)
        assert task["status"] == "pending" and task["out_task_id"] == "render-cb-001"
        again = submit(c, **body)
        assert again["task_id"] == task["task_id"]
        clock(c, "advance", seconds=10)
        journal_wait(c, 1)
        submit(c, **body)  # after completion too
        time.sleep(QUIET)
        [req] = rx.snapshot()
        answer = query(c, task["task_id"])
        assert answer["status"] == "completed" and len(answer["output"]) == 2
        assert_delivery(req, task, "task.completed", DEFAULT_SECRET)
        assert json.loads(req["body"]) == answer
        assert len(journal(c)) == 1


# ---------------------------------------------------------------------------------------------
# 2. load: 1,000 concurrent task streams
# ---------------------------------------------------------------------------------------------

N_TASKS = 1000
SUBMIT_CONNECTIONS = 10
# queue 1 s + render 8 s, / 6 = 1.5 s of wall time per task once the clock runs.
LOAD_SCALE = "6"
EXPECTED_EVENTS = ["task.queued", "task.running"] + ["task.progress"] * 9 + ["task.completed"]


async def read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        if line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    return status, headers


async def submit_many(port: int, count: int) -> list[dict]:
    """`count` submits spread over keep-alive raw connections, each request after the previous answer."""
    body = json.dumps({"model": MODEL, "prompt": "load test frame"}).encode()
    request = (f"POST /v1/tasks/submit HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {KEY}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body

    async def worker(n: int) -> list[dict]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        out = []
        try:
            for _ in range(n):
                writer.write(request)
                await writer.drain()
                status, headers = await read_head(reader)
                payload = await reader.readexactly(int(headers["content-length"]))
                assert status == 200, payload
                out.append(json.loads(payload))
        finally:
            writer.close()
        return out

    per = [count // SUBMIT_CONNECTIONS + (i < count % SUBMIT_CONNECTIONS) for i in range(SUBMIT_CONNECTIONS)]
    results = await asyncio.gather(*(worker(n) for n in per))
    return [t for r in results for t in r]


class TaskStream:
    """One raw `GET /v1/tasks/stream/{id}`: chunked transfer decoded, SSE events parsed."""

    def __init__(self, task_id: str):
        self.task_id = task_id
        self.events: list[tuple[int, str, dict]] = []
        self.retry: str | None = None
        self.buffer = b""
        self.done = False
        self.heartbeats = 0

    async def open(self, port: int) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        self.writer.write((f"GET /v1/tasks/stream/{self.task_id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                           f"Authorization: Bearer {KEY}\r\nAccept: text/event-stream\r\n\r\n").encode())
        await self.writer.drain()
        status, headers = await read_head(self.reader)
        assert status == 200, (self.task_id, status, headers)
        assert headers.get("content-type", "").startswith("text/event-stream"), headers
        assert headers.get("transfer-encoding") == "chunked", headers

    async def read_until(self, events: int) -> None:
        """Reads chunks until `events` events arrived (or the terminating chunk)."""
        while len(self.events) < events and not self.done:
            size_line = await self.reader.readline()
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                assert await self.reader.readline() == b"\r\n"  # no trailers
                self.done = True
                break
            chunk = await self.reader.readexactly(size + 2)
            assert chunk[-2:] == b"\r\n"
            self.buffer += chunk[:-2]
            while b"\n\n" in self.buffer:
                block, self.buffer = self.buffer.split(b"\n\n", 1)
                self._event(block.decode())

    def _event(self, block: str) -> None:
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                assert line == ": keep-alive", line
                self.heartbeats += 1
                continue
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        if not fields:
            return  # a comment-only block (heartbeat while idle)
        if "retry" in fields and "data" not in fields:
            self.retry = fields["retry"]
            return
        self.events.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))

    async def finish(self) -> None:
        await self.read_until(len(EXPECTED_EVENTS) + 1)
        assert self.done, f"{self.task_id}: no terminating chunk after {len(self.events)} events"
        assert self.buffer == b"", self.buffer
        self.writer.close()


def test_a_thousand_concurrent_task_streams():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 3 * N_TASKS + 256
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard) if hard != resource.RLIM_INFINITY else need, hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= need
    with running_mock("--time-scale", LOAD_SCALE) as mock, httpx.Client(base_url=mock.url, timeout=TIMEOUT) as c:
        wallet = lambda: c.get("/v1/balance", headers=AUTH).json()["wallet"]["balance_credits"]  # noqa: E731
        before = wallet()
        # Freeze, so every stream is open and waiting before any task moves.
        clock(c, "freeze")
        errors: list[str] = []

        async def run() -> tuple[list[dict], list[TaskStream], float, float, float]:
            t0 = time.monotonic()
            tasks = await asyncio.wait_for(submit_many(mock.port, N_TASKS), 30)
            t_submit = time.monotonic() - t0
            streams = [TaskStream(t["task_id"]) for t in tasks]

            async def first(s: TaskStream) -> None:
                try:
                    await s.open(mock.port)
                    await s.read_until(1)
                except Exception as e:  # noqa: BLE001  (counted, asserted below)
                    errors.append(f"{s.task_id} open: {e!r}")

            t_open = time.monotonic()
            await asyncio.wait_for(asyncio.gather(*(first(s) for s in streams)), 30)
            t_open = time.monotonic() - t_open
            assert errors == [], errors[:5]
            # 1,000 streams are open, each holding event 1; let the clock run.
            await asyncio.to_thread(clock, c, "resume")
            t1 = time.monotonic()

            async def rest(s: TaskStream) -> None:
                try:
                    await s.finish()
                except Exception as e:  # noqa: BLE001
                    errors.append(f"{s.task_id} read: {e!r}")

            await asyncio.wait_for(asyncio.gather(*(rest(s) for s in streams)), 30)
            return tasks, streams, t_submit, t_open, time.monotonic() - t1

        started = time.monotonic()
        tasks, streams, t_submit, t_open, t_stream = asyncio.run(run())
        total = time.monotonic() - started
        events = sum(len(s.events) for s in streams)
        print(f"\n{N_TASKS} tasks: submit {t_submit:.2f} s; opening {N_TASKS} streams {t_open:.2f} s; they ran {t_stream:.2f} s "
              f"after the clock resumed, {events} events ({events / t_stream:.0f} events/s); total {total:.2f} s")
        assert errors == [], errors[:5]
        assert len({t["task_id"] for t in tasks}) == N_TASKS
        for s in streams:
            ids = [e[0] for e in s.events]
            assert ids == list(range(1, len(EXPECTED_EVENTS) + 1)), (s.task_id, ids)
            assert [e[1] for e in s.events] == EXPECTED_EVENTS, (s.task_id, [e[1] for e in s.events])
            assert all(e[2]["task_id"] == s.task_id for e in s.events)
            progress = [e[2]["progress"] for e in s.events]
            assert progress == [0, 0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100], (s.task_id, progress)
            assert s.events[-1][2]["status"] == "completed" and s.events[-1][2]["credits_used"] == 0.012
            assert s.retry == "2000"
        assert total < 30 and t_stream < 20, (total, t_stream)

        # Still healthy, and every task billed exactly once.
        h = c.get("/__mock/health")
        assert h.status_code == 200, h.text
        usage = c.get("/v1/usage", params={"page_size": 1000}, headers=AUTH)
        assert usage.status_code == 200, usage.text
        u = usage.json()
        assert u["total"] == N_TASKS and u["totals"]["credits"] == N_TASKS * PRICE_MICROS, u["totals"]
        assert {r["request_id"] for r in u["data"]} == {t["task_id"] for t in tasks}
        assert all(r["surface"] == "tasks" and r["images"] == 1 and r["credits"] == PRICE_MICROS for r in u["data"])
        assert before - wallet() == N_TASKS * PRICE_MICROS
        # Each stream is one journal entry with its 12 events; no callbacks were asked for.
        j = c.get("/__mock/journal", params={"surface": "tasks", "stream": "true", "limit": 5000}).json()
        assert j["count"] == N_TASKS and all(e["status"] == 200 and e["events"] == len(EXPECTED_EVENTS) for e in j["entries"])
        assert journal(c) == []
