"""The async task API end to end (Sources/Gateway/Surfaces/TaskEndpoints.swift, TaskStream.swift,
Media/MediaTask.swift, Media/TaskEngine.swift), over real HTTP and raw sockets:

- the timeline on a frozen virtual clock advanced step by step: `pending` for the queue time,
  `running` with a step every 10 % of the render time, `completed` with the result files and the
  bill (duration × per-second price, exactly once), the MP4 validated by FFmpeg's decoder (videoprobe.py, PyAV);
- `--time-scale` (scaled timeline on a frozen clock, and a real-time run that completes and bills
  while nobody polls);
- the three API shapes (`params`, flat `queued`, `/v1/videos/*`), every query form and its errors;
- `GET /v1/tasks/stream/{id}`: byte-exact SSE framing, each event equal to the query answer at
  that moment, resume with `Last-Event-ID`, heartbeats, stream faults;
- `out_task_id` idempotency, cancel (free / partial billing), `fail` fault injection, validation,
  image models as tasks, and `/__mock/reset` / `/__mock/tasks`.

The frozen clock is global to a server, so every test runs its own private server
(`running_mock`, ~20 ms to start). Callback delivery is tested elsewhere.
"""

from __future__ import annotations

import calendar
import io
import json
import re
import socket
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from PIL import Image

from conftest import Fixtures
from mockproc import running_mock
import videoprobe

FX = Fixtures()
TIMEOUT = 10.0
DEFAULT = "sk-byts-default-test-key-0001"  # key_default, acct_ada (every model)
OTHER = "sk-byts-admin-test-key-0001"      # key_admin, org_dosia: another account, no quota
MEDIA = json.loads((Path(__file__).resolve().parents[2] / "Fixtures" / "media.json").read_text())
VIDEO_SPEC = {v["model"]: v for v in MEDIA["videos"]}
TASK_ID = re.compile(r"^task_[0-9A-HJKMNP-TV-Z]{26}$")
WALLET = 250_000_000  # acct_ada's fixture balance in micro-USD


def ts(iso: str) -> int:
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


T0 = ts("2026-06-01T12:00:00Z")


def micros(value) -> int:
    d = Decimal(str(value)) * 1_000_000
    assert d == d.to_integral_value(), f"{value!r} is not exact to the credit"
    return int(d)


def price(model: str) -> int:
    """The unit price in micro-USD: per video second or per image."""
    p = FX.model(model)["pricing"]
    return micros(p.get("per_video_second", p.get("per_image", 0)))


# ---------------------------------------------------------------------------------------------
# HTTP helpers
# ---------------------------------------------------------------------------------------------

class Api:
    """One private mock server: task calls, the control API and the ledger."""

    def __init__(self, mock):
        self.mock = mock
        self.url = mock.url
        self.port = mock.port

    def call(self, method: str, path: str, body=None, *, key: str | None = DEFAULT, headers: dict | None = None,
             data=None) -> requests.Response:
        h = dict(headers or {})
        if key is not None:
            h["Authorization"] = f"Bearer {key}"
        if body is not None:
            data = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        return requests.request(method, self.url + path, data=data, headers=h, timeout=TIMEOUT)

    def submit_raw(self, body, path="/v1/tasks/submit", **kw) -> requests.Response:
        return self.call("POST", path, body, **kw)

    def submit(self, body, path="/v1/tasks/submit", **kw) -> dict:
        r = self.submit_raw(body, path, **kw)
        assert r.status_code == 200, f"submit: {r.status_code} {r.text}"
        return js(r)

    def query_raw(self, task_id: str, key: str = DEFAULT, **kw) -> requests.Response:
        return self.call("POST", "/v1/tasks/query", {"task_id": task_id}, key=key, **kw)

    def query(self, task_id: str, key: str = DEFAULT) -> dict:
        r = self.query_raw(task_id, key)
        assert r.status_code == 200, f"query: {r.status_code} {r.text}"
        return js(r)

    def cancel_raw(self, task_id: str | None = None, body=None, key: str = DEFAULT) -> requests.Response:
        path = "/v1/tasks/cancel" + (f"/{task_id}" if task_id else "")
        return self.call("POST", path, body, key=key)

    def cancel(self, task_id: str | None = None, body=None, key: str = DEFAULT) -> dict:
        r = self.cancel_raw(task_id, body, key)
        assert r.status_code == 200, f"cancel: {r.status_code} {r.text}"
        return js(r)

    def control(self, method: str, path: str, body=None, *, session: str | None = None, data=None) -> requests.Response:
        h = {"X-Mock-Session": session} if session else {}
        if body is not None:
            data = json.dumps(body)
        return requests.request(method, self.url + "/__mock/" + path, data=data, headers=h, timeout=TIMEOUT)

    def clock(self, action: str, **fields) -> dict:
        r = self.control("POST", "clock", {"action": action, **fields})
        assert r.status_code == 200, r.text
        return r.json()

    def freeze(self, t: int = T0) -> None:
        state = self.clock("set", time=t)
        assert state["now"] == t and state["now_ms"] == t * 1000 and state["frozen"] is True, state

    def advance(self, seconds: float | None = None, ms: int | None = None) -> int:
        state = self.clock("advance", **({"ms": ms} if ms is not None else {"seconds": seconds}))
        return state["now_ms"]

    def usage(self, key: str = DEFAULT) -> list[dict]:
        r = self.call("GET", "/v1/usage", key=key)
        assert r.status_code == 200, r.text
        return js(r)["data"]

    def remaining(self, key: str = DEFAULT) -> int:
        """X-Quota-Remaining-Credits (what the wallet can still spend) in micro-USD."""
        r = self.call("GET", "/v1/balance", key=key)
        assert r.status_code == 200, r.text
        return micros(r.headers["X-Quota-Remaining-Credits"])

    def tasks(self, session: str | None = None) -> list[dict]:
        r = self.control("GET", "tasks", session=session)
        assert r.status_code == 200, r.text
        body = js(r)
        assert body["object"] == "list"
        return body["data"]


def js(r: requests.Response):
    return r.json(parse_float=Decimal)


def err(r: requests.Response, status: int, code: str, param: str | None = "<any>") -> dict:
    assert r.status_code == status, f"expected {status} {code}, got {r.status_code} {r.text}"
    e = r.json()["error"]
    assert set(e) == {"message", "type", "param", "code"}, e
    assert e["code"] == code, e
    assert e["message"], e
    if param != "<any>":
        assert e["param"] == param, e
    return e


@pytest.fixture
def api():
    with running_mock() as mock:
        yield Api(mock)


def sora(seconds: int = 8, **params) -> dict:
    return {"model": "sora-2", "params": {"prompt": "a red fox running through snow", "duration_seconds": seconds, **params}}


def flat(model: str = "sora-2", seconds: int = 8, **fields) -> dict:
    return {"model": model, "prompt": "a lighthouse at dusk", "duration_seconds": seconds, **fields}


def ffprobe(content: bytes) -> dict:
    """FFmpeg's demuxer on the file (strict: any libav warning fails); ffprobe's field names."""
    with tempfile.NamedTemporaryFile(suffix=".mp4") as f:
        f.write(content)
        f.flush()
        return videoprobe.probe(f.name)


def assert_mp4(api: Api, url: str, seconds: int, size: tuple[int, int]) -> None:
    assert url.startswith(api.url + "/files/vid_") and url.endswith(".mp4"), url
    r = requests.get(url, timeout=TIMEOUT)  # pre-signed: no key
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "video/mp4"
    probe = ffprobe(r.content)
    video = [s for s in probe["streams"] if s["codec_type"] == "video"]
    assert len(video) == 1, probe
    assert video[0]["codec_name"] == "h264"
    assert (video[0]["width"], video[0]["height"]) == size
    assert float(probe["format"]["duration"]) == pytest.approx(seconds, abs=1e-3)
    assert float(video[0]["duration"]) == pytest.approx(seconds, abs=1e-3)


# ---------------------------------------------------------------------------------------------
# a raw-socket SSE client
# ---------------------------------------------------------------------------------------------

@dataclass
class Event:
    id: int
    name: str
    data: bytes
    raw: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.data, parse_float=Decimal)


class Stream:
    """`GET /v1/tasks/stream/{id}` over a raw socket: the head, the de-chunked body, and whether
    the chunked terminator arrived (`done`) or the connection closed without it (`eof`)."""

    def __init__(self, api: Api, task_id: str, *, key: str = DEFAULT, headers: dict | None = None, query: str = ""):
        self.sock = socket.create_connection(("127.0.0.1", api.port), timeout=TIMEOUT)
        lines = [f"GET /v1/tasks/stream/{task_id}{query} HTTP/1.1", f"Host: 127.0.0.1:{api.port}",
                 f"Authorization: Bearer {key}", "Accept: text/event-stream"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buf = b""
        self.body = b""
        self.chunks: list[bytes] = []
        self.done = False
        self.eof = False
        self.status = 0
        self.headers: dict[str, str] = {}
        self._read_head()

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _recv(self, deadline: float) -> bool:
        """Reads more bytes; False on timeout. Sets `eof` when the peer closes."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _read_head(self) -> None:
        deadline = time.monotonic() + TIMEOUT
        while b"\r\n\r\n" not in self.buf:
            assert self._recv(deadline), f"no response head: {self.buf!r}"
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        for line in lines[1:]:
            k, v = line.split(":", 1)
            self.headers[k.strip().lower()] = v.strip()
        if "content-length" in self.headers:  # an error before the stream
            n = int(self.headers["content-length"])
            while len(self.buf) < n:
                assert self._recv(deadline), "short body"
            self.body, self.buf = self.buf[:n], self.buf[n:]
            self.done = True

    def _parse_chunks(self) -> None:
        while not self.done:
            if b"\r\n" not in self.buf:
                return
            line, rest = self.buf.split(b"\r\n", 1)
            size = int(line.split(b";")[0], 16)
            if size == 0:
                if not rest.startswith(b"\r\n"):
                    return
                self.buf = rest[2:]
                self.done = True
                return
            if len(rest) < size + 2:
                return
            assert rest[size:size + 2] == b"\r\n", "bad chunk framing"
            self.chunks.append(rest[:size])
            self.body += rest[:size]
            self.buf = rest[size + 2:]

    def wait(self, pred, timeout: float = 5.0) -> bool:
        """Reads until `pred(self)` holds, the stream ends, or `timeout`; returns pred(self)."""
        deadline = time.monotonic() + timeout
        while True:
            self._parse_chunks()
            if pred(self) or self.done or self.eof:
                return pred(self)
            if not self._recv(deadline):
                self._parse_chunks()
                return pred(self)

    def wait_events(self, n: int, timeout: float = 5.0) -> list[Event]:
        self.wait(lambda s: len(s.events()) >= n, timeout)
        ev = self.events()
        assert len(ev) >= n, f"expected {n} events, got {len(ev)}: {self.body!r}"
        return ev

    def wait_end(self, timeout: float = 5.0) -> None:
        self.wait(lambda s: s.done or s.eof, timeout)

    def blocks(self) -> list[bytes]:
        """Complete SSE blocks (each ended by a blank line)."""
        parts = self.body.split(b"\n\n")
        return [p for p in parts[:-1]]

    def events(self) -> list[Event]:
        out = []
        for block in self.blocks():
            if block.startswith(b":") or block.startswith(b"retry:"):
                continue
            fields = {}
            for line in block.split(b"\n"):
                k, _, v = line.partition(b": ")
                fields[k] = v
            if b"id" not in fields:
                continue
            out.append(Event(int(fields[b"id"]), fields[b"event"].decode(), fields[b"data"], block + b"\n\n"))
        return out

    def comments(self) -> list[bytes]:
        return [b for b in self.blocks() if b.startswith(b":")]


def frame(n: int, name: str, data: bytes) -> bytes:
    return f"id: {n}\nevent: {name}\ndata: ".encode() + data + b"\n\n"


def sora_steps() -> list[tuple[str, str, int]]:
    """(status word, event name, progress) of the sora-2 timeline in the params shape."""
    return ([("pending", "task.pending", 0), ("running", "task.running", 0)]
            + [("running", "task.progress", p) for p in range(10, 100, 10)]
            + [("completed", "task.completed", 100)])


# ---------------------------------------------------------------------------------------------
# 1. the lifecycle on a frozen clock
# ---------------------------------------------------------------------------------------------

SUBMIT_FIELDS = ["task_id", "object", "out_task_id", "model", "status", "progress", "estimated_credits",
                 "estimated_seconds", "submitted_at", "created_at", "started_at", "duration_seconds", "resolution",
                 "aspect_ratio"]


def test_sora_lifecycle_step_by_step_bills_once_and_renders_a_real_mp4(api):
    spec = VIDEO_SPEC["sora-2"]
    queue_ms, render_ms = spec["queue_seconds"] * 1000, spec["render_seconds"] * 1000
    seconds = 8
    cost = seconds * price("sora-2")
    api.freeze()
    r = api.submit_raw(sora(seconds))
    assert r.status_code == 200, r.text
    sub = js(r)
    assert list(sub) == SUBMIT_FIELDS
    assert TASK_ID.match(sub["task_id"]), sub["task_id"]
    tid = sub["task_id"]
    assert sub == {
        "task_id": tid, "object": "task", "out_task_id": None, "model": "sora-2", "status": "pending", "progress": 0,
        "estimated_credits": Decimal(cost) / 1_000_000, "estimated_seconds": (queue_ms + render_ms) // 1000,
        "submitted_at": iso(T0), "created_at": T0, "started_at": None, "duration_seconds": seconds, "resolution": "720p",
        "aspect_ratio": "16:9",
    }
    assert re.search(r'"estimated_credits":0\.800000,', r.text)  # six decimals on the wire

    def state():
        q = api.query(tid)
        return q["status"], q["progress"]

    assert api.advance(ms=queue_ms - 1) == T0 * 1000 + queue_ms - 1
    q = api.query(tid)
    assert (q["status"], q["progress"]) == ("pending", 0) and q["started_at"] is None
    api.advance(ms=1)
    q = api.query(tid)
    assert (q["status"], q["progress"]) == ("running", 0)
    assert q["started_at"] == iso(T0 + queue_ms // 1000)
    assert "completed_at" not in q and "credits_used" not in q and "output" not in q
    for p in range(10, 100, 10):
        api.advance(ms=render_ms // 10 - 1)
        assert state() == ("running", p - 10), p
        api.advance(ms=1)
        assert state() == ("running", p)
    api.advance(ms=render_ms // 10 - 1)
    assert state() == ("running", 90)
    assert api.usage() == []  # nothing billed before the end
    api.advance(ms=1)
    done_at = T0 + (queue_ms + render_ms) // 1000
    q = api.query(tid)
    assert (q["status"], q["progress"]) == ("completed", 100)
    assert q["completed_at"] == iso(done_at)
    assert micros(q["credits_used"]) == cost and micros(q["credits"]) == cost
    assert len(q["output"]) == 1
    out = q["output"][0]
    url = out["url"]
    assert re.fullmatch(re.escape(api.url) + r"/files/vid_[A-Za-z0-9]+\.mp4", url), url
    assert out == {"type": "video", "url": url, "duration_seconds": seconds, "resolution": "720p",
                   "aspect_ratio": "16:9", "width": 320, "height": 180, "mime_type": "video/mp4",
                   "expires_at": iso(done_at + MEDIA["files"]["ttl_seconds"])}
    assert q["result"] == {"video_url": url, "duration_seconds": seconds, "resolution": "720p", "aspect_ratio": "16:9"}
    assert q["result_url"] == url
    assert "error" not in q

    # billed exactly once, at the completion time, whoever looks how often
    for _ in range(3):
        assert api.query(tid) == q
    api.advance(seconds=600)
    assert api.query(tid) == q
    rows = api.usage()
    assert len(rows) == 1, rows
    row = rows[0]
    assert (row["request_id"], row["api_key_id"], row["model"], row["surface"]) == (tid, "key_default", "sora-2", "tasks")
    assert (row["video_seconds"], row["images"], row["credits"], row["created"]) == (seconds, 0, cost, done_at)
    assert row["prompt_tokens"] == row["completion_tokens"] == 0
    assert api.remaining() == WALLET - cost

    assert_mp4(api, url, seconds, (320, 180))


@pytest.mark.parametrize("aspect,rendered,nominal", [("9:16", (180, 320), "720p"), ("1:1", (240, 240), "720p"),
                                                     ("16:9", (320, 180), "720p")])
def test_rendered_mp4_size_follows_the_aspect_ratio(api, aspect, rendered, nominal):
    spec = VIDEO_SPEC["veo-3.1-fast"]
    api.freeze()
    t = api.submit(flat("veo-3.1-fast", 3, aspect_ratio=aspect))
    assert (t["resolution"], t["aspect_ratio"], t["status"]) == (nominal, aspect, "queued")
    api.advance(seconds=spec["queue_seconds"] + spec["render_seconds"])
    q = api.query(t["task_id"])
    assert q["status"] == "completed"
    out = q["output"][0]
    assert (out["width"], out["height"], out["aspect_ratio"], out["duration_seconds"]) == (*rendered, aspect, 3)
    assert micros(q["credits_used"]) == 3 * price("veo-3.1-fast")
    assert_mp4(api, out["url"], 3, rendered)


# ---------------------------------------------------------------------------------------------
# 2. --time-scale
# ---------------------------------------------------------------------------------------------

def test_time_scale_shortens_the_timeline_on_a_frozen_clock():
    with running_mock("--time-scale", "10") as mock:
        api = Api(mock)
        assert api.clock("freeze")["time_scale"] == 10
        api.freeze()
        r = api.submit_raw(sora(8))
        assert r.status_code == 200, r.text
        assert '"estimated_seconds":9.5,' in r.text  # (5 + 90) / 10
        tid = js(r)["task_id"]
        api.advance(ms=499)
        assert api.query(tid)["status"] == "pending"
        api.advance(ms=1)
        q = api.query(tid)
        assert (q["status"], q["progress"]) == ("running", 0)
        for p in range(10, 100, 10):
            api.advance(ms=899)
            assert api.query(tid)["progress"] == p - 10
            api.advance(ms=1)
            assert (api.query(tid)["status"], api.query(tid)["progress"]) == ("running", p)
        api.advance(ms=899)
        assert api.query(tid)["status"] == "running"
        api.advance(ms=1)
        q = api.query(tid)
        assert q["status"] == "completed"
        assert q["completed_at"] == iso(T0 + 9)  # 9.5 s after T0
        assert micros(q["credits_used"]) == 8 * price("sora-2")  # the price does not scale
        assert [r["video_seconds"] for r in api.usage()] == [8]
        assert_mp4(api, q["result_url"], 8, (320, 180))  # nor the video's length


def test_real_time_run_completes_and_bills_while_nobody_polls():
    with running_mock("--time-scale", "200") as mock:
        api = Api(mock)
        before = api.remaining()
        started = time.monotonic()
        t = api.submit(flat("sora-2", 4))  # (5 + 90) s / 200 = 475 ms
        assert t["status"] == "queued"
        # only the ledger is read (it does not settle tasks): the engine's own timer must bill
        rows = []
        while time.monotonic() - started < 3.0 and not rows:
            time.sleep(0.05)
            rows = api.usage()
        elapsed = time.monotonic() - started
        assert rows, "the task did not bill within 3 s of wall time without polling"
        assert 0.4 <= elapsed < 2.5, elapsed
        assert len(rows) == 1 and rows[0]["request_id"] == t["task_id"] and rows[0]["video_seconds"] == 4
        q = api.query(t["task_id"])
        assert q["status"] == "completed" and micros(q["credits_used"]) == 4 * price("sora-2")
        time.sleep(0.2)
        api.query(t["task_id"])
        assert len(api.usage()) == 1
        assert api.remaining() == before - 4 * price("sora-2")


def test_frozen_clock_holds_tasks_and_resume_rearms_the_timer():
    with running_mock("--time-scale", "200") as mock:
        api = Api(mock)
        api.clock("freeze")
        tid = api.submit(flat("sora-2", 4))["task_id"]  # 475 virtual ms
        time.sleep(0.8)
        assert api.usage() == []  # a frozen clock moves only through the control API
        assert api.query(tid)["status"] == "queued"
        assert api.clock("resume")["frozen"] is False
        resumed = time.monotonic()
        rows = []
        while time.monotonic() - resumed < 2.5 and not rows:
            time.sleep(0.05)
            rows = api.usage()
        assert [r["request_id"] for r in rows] == [tid], "the task did not settle on its own after resume"
        assert 0.3 <= time.monotonic() - resumed < 2.0
        assert api.query(tid)["status"] == "completed"


def test_real_time_stream_delivers_every_step_and_ends():
    with running_mock("--time-scale", "200") as mock:
        api = Api(mock)
        t = api.submit(sora(4))
        started = time.monotonic()
        with Stream(api, t["task_id"]) as s:
            s.wait_end(timeout=4)
            assert s.done, s.body
            elapsed = time.monotonic() - started
        ev = s.events()
        assert [(e.id, e.name) for e in ev] == [(i + 1, n) for i, (_, n, _) in enumerate(sora_steps())]
        assert [e.json["progress"] for e in ev] == [p for _, _, p in sora_steps()]
        assert elapsed < 2.5
        assert ev[-1].data == api.query_raw(t["task_id"]).content


# ---------------------------------------------------------------------------------------------
# 3. the three shapes and the query forms
# ---------------------------------------------------------------------------------------------

def test_the_three_submit_shapes_differ_only_where_documented(api):
    api.freeze()
    wrapped = api.submit(sora(5, aspect_ratio="16:9", resolution="720p"))
    flat_t = api.submit(flat("sora-2", 5, aspect_ratio="16:9", resolution="720p"))
    vid_r = api.submit_raw({"model": "sora-2", "prompt": "a lighthouse at dusk", "duration_seconds": 5, "size": "1280x720"},
                           path="/v1/videos/generations")
    assert vid_r.status_code == 200, vid_r.text
    vid = js(vid_r)
    assert (wrapped["status"], flat_t["status"], vid["status"]) == ("pending", "queued", "pending")
    for t in (wrapped, flat_t, vid):
        assert list(t) == SUBMIT_FIELDS
        assert (t["resolution"], t["aspect_ratio"], t["duration_seconds"]) == ("720p", "16:9", 5)
        assert micros(t["estimated_credits"]) == 5 * price("sora-2")
    strip = lambda t: {k: v for k, v in t.items() if k not in ("task_id", "status")}
    assert strip(wrapped) == strip(flat_t) == strip(vid)
    assert len({wrapped["task_id"], flat_t["task_id"], vid["task_id"]}) == 3

    # GET /v1/videos/tasks/{id} is the same object as the query
    for t in (wrapped, flat_t, vid):
        r = api.call("GET", f"/v1/videos/tasks/{t['task_id']}")
        assert r.status_code == 200 and r.content == api.query_raw(t["task_id"]).content

    # the flat shape says `queued` while pending and the same words as the others after
    api.advance(seconds=5)
    assert {api.query(t["task_id"])["status"] for t in (wrapped, flat_t, vid)} == {"running"}
    api.advance(seconds=90)
    done = [api.query(t["task_id"]) for t in (wrapped, flat_t, vid)]
    assert {d["status"] for d in done} == {"completed"}
    assert all(d["result_url"] == d["result"]["video_url"] == d["output"][0]["url"] for d in done)
    assert len(api.usage()) == 3


@pytest.mark.parametrize("size,resolution,aspect", [("1280x720", "720p", "16:9"), ("720x1280", "720p", "9:16"),
                                                    ("1920x1080", "1080p", "16:9"), ("1080x1080", "1080p", "1:1")])
def test_videos_generations_size_maps_to_resolution_and_aspect(api, size, resolution, aspect):
    t = api.submit({"model": "sora-2", "prompt": "waves", "duration_seconds": 4, "size": size}, path="/v1/videos/generations")
    assert (t["resolution"], t["aspect_ratio"], t["status"]) == (resolution, aspect, "pending")


def test_videos_generations_rejects_an_unsupported_size(api):
    r = api.submit_raw({"model": "veo-3.1-fast", "prompt": "waves", "duration_seconds": 4, "size": "1920x1080"},
                       path="/v1/videos/generations")
    err(r, 400, "invalid_param", "size")
    assert api.tasks() == []


def test_query_forms_and_their_errors(api):
    t = api.submit({**sora(4), "out_task_id": "render-001"})
    tid = t["task_id"]
    want = api.query_raw(tid).content
    assert json.loads(want)["out_task_id"] == "render-001"
    forms = [
        api.call("POST", "/v1/tasks/query", {"task_id": tid}),
        api.call("POST", "/v1/tasks/query", {"out_task_id": "render-001"}),
        api.call("GET", f"/v1/tasks/query?task_id={tid}"),
        api.call("GET", "/v1/tasks/query?out_task_id=render-001"),
        api.call("GET", f"/v1/videos/tasks/{tid}"),
    ]
    for r in forms:
        assert r.status_code == 200 and r.content == want, r.text
    both = "send exactly one of task_id and out_task_id, not both"
    e = err(api.call("POST", "/v1/tasks/query", {"task_id": tid, "out_task_id": "render-001"}), 400, "invalid_param", "task_id")
    assert e["message"] == both
    e = err(api.call("GET", f"/v1/tasks/query?task_id={tid}&out_task_id=render-001"), 400, "invalid_param", "task_id")
    assert e["message"] == both
    for r in (api.call("POST", "/v1/tasks/query", {}), api.call("POST", "/v1/tasks/query", data=b""),
              api.call("GET", "/v1/tasks/query")):
        e = err(r, 400, "invalid_param", "task_id")
        assert e["message"] == "task_id or out_task_id is required"
    err(api.call("POST", "/v1/tasks/query", {"task_id": 42}), 400, "invalid_param", "task_id")
    err(api.call("POST", "/v1/tasks/query", data=b"{not json"), 400, "invalid_json")
    unknown = "task_01ARZ3NDEKTSV4RRFFQ69G5FAV"
    e = err(api.query_raw(unknown), 404, "task_not_found")
    assert unknown in e["message"]
    err(api.call("POST", "/v1/tasks/query", {"out_task_id": "render-002"}), 404, "task_not_found")
    err(api.call("GET", f"/v1/videos/tasks/{unknown}"), 404, "task_not_found")


def test_a_task_of_another_account_is_not_found(api):
    tid = api.submit({**sora(4), "out_task_id": "mine"})["task_id"]
    assert FX.keys["key_admin"]["account"] != FX.keys["key_default"]["account"]
    err(api.query_raw(tid, key=OTHER), 404, "task_not_found")
    err(api.call("POST", "/v1/tasks/query", {"out_task_id": "mine"}, key=OTHER), 404, "task_not_found")
    err(api.call("GET", f"/v1/videos/tasks/{tid}", key=OTHER), 404, "task_not_found")
    err(api.cancel_raw(tid, key=OTHER), 404, "task_not_found")
    with Stream(api, tid, key=OTHER) as s:
        assert s.status == 404 and json.loads(s.body)["error"]["code"] == "task_not_found"
    assert api.query(tid)["status"] == "pending"  # the other account's cancel did nothing


# ---------------------------------------------------------------------------------------------
# 4. streaming and polling agree
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("end", ["completed", "cancelled-queued", "failed-queued"])
def test_out_task_id_and_started_at_are_in_every_state_and_every_shape(api, end):
    """docs/media.md: the two fields are always present, null when unknown: in the submit
    answer, both query forms, the video route, the control list and each stream event."""
    api.freeze()
    fault = {"X-Mock-Fault": "fail at=pending"} if end == "failed-queued" else None
    tid = api.submit(flat("sora-2", 4), headers=fault)["task_id"]
    named = api.submit({**sora(4), "out_task_id": "named-1"})["task_id"]

    def shapes(task_id: str) -> list[dict]:
        listed = [t for t in api.tasks() if t["task_id"] == task_id]
        return [api.query(task_id), js(api.call("GET", f"/v1/tasks/query?task_id={task_id}")),
                js(api.call("GET", f"/v1/videos/tasks/{task_id}")), *listed]

    def check(task_id: str, out_task_id, started: bool) -> str:
        answers = shapes(task_id)
        assert len(answers) == 4
        for a in answers:
            assert "out_task_id" in a and a["out_task_id"] == out_task_id, a
            assert "started_at" in a and (a["started_at"] is not None) == started, a
        return answers[0]["status"]

    with Stream(api, tid) as s:
        check(tid, None, False)
        check(named, "named-1", False)
        if end == "cancelled-queued":
            api.cancel(tid)
        else:
            api.advance(seconds=5 if end == "failed-queued" else 5 + 95)
        s.wait_end()
        events = s.events()
    ran = end == "completed"
    assert check(tid, None, ran) == end.split("-")[0]
    assert all("out_task_id" in e.json and e.json["out_task_id"] is None for e in events)
    assert [e.json["started_at"] is not None for e in events][0] is False
    assert (events[-1].json["started_at"] is not None) == ran
    assert events[-1].json["status"] == end.split("-")[0]


def test_stream_and_poll_observe_the_same_states_byte_for_byte(api):
    api.freeze()
    t = api.submit(flat("sora-2", 6))  # the flat shape: `queued` while pending
    tid = t["task_id"]
    names = ["task.queued", "task.running"] + ["task.progress"] * 9 + ["task.completed"]
    words = ["queued"] + ["running"] * 10 + ["completed"]
    offsets = [5000] + [9000] * 10  # ms from one step to the next
    with Stream(api, tid) as s:
        assert s.status == 200
        assert s.headers["content-type"] == "text/event-stream"
        assert s.headers["cache-control"] == "no-cache"
        assert s.headers["transfer-encoding"] == "chunked"
        assert "x-request-id" in s.headers and "x-quota-remaining-credits" in s.headers
        ev = s.wait_events(1)
        first = api.query_raw(tid).content
        # byte-exact: the retry hint, then the first event
        assert s.body == b"retry: 2000\n\n" + frame(1, "task.queued", first)
        for i, step in enumerate(offsets):
            api.advance(ms=step - 1)
            time.sleep(0.05)
            s.wait(lambda s: False, timeout=0.05)
            assert len(s.events()) == i + 1, f"an event before its time (step {i + 2})"
            api.advance(ms=1)
            ev = s.wait_events(i + 2)
            assert len(ev) == i + 2
            now = api.query_raw(tid).content
            assert ev[-1].data == now, f"step {i + 2}: the event differs from the query answer at that moment"
            assert (ev[-1].id, ev[-1].name, ev[-1].json["status"]) == (i + 2, names[i + 1], words[i + 1])
        s.wait_end()
        assert s.done, "no chunked terminator after the terminal event"
        ev = s.events()
    assert [e.id for e in ev] == list(range(1, 13))
    assert [e.json["progress"] for e in ev] == [0, 0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    expected = b"retry: 2000\n\n" + b"".join(frame(e.id, e.name, e.data) for e in ev)
    assert s.body == expected  # nothing else on the wire: no duplicate, no stray bytes
    assert len(api.usage()) == 1  # streaming does not bill again


def test_stream_opened_after_completion_replays_every_step_and_closes(api):
    api.freeze()
    tid = api.submit(sora(5))["task_id"]
    live = Stream(api, tid)
    for step in [5] + [9] * 10:
        api.advance(seconds=step)
        live.wait_events(len(live.events()) + 1)
    live.wait_end()
    live.close()
    with Stream(api, tid) as s:
        s.wait_end(timeout=3)
        assert s.done and not s.eof
    assert s.body == live.body  # the replay is the live stream, byte for byte
    assert [(e.name, e.json["progress"]) for e in s.events()] == [(n, p) for _, n, p in sora_steps()]
    assert s.events()[-1].data == api.query_raw(tid).content


@pytest.mark.parametrize("how", ["header", "query"])
def test_resume_with_last_event_id_loses_and_repeats_nothing(api, how):
    api.freeze()
    tid = api.submit(sora(5))["task_id"]
    api.advance(seconds=5 + 36)  # 40 %: 6 steps so far
    with Stream(api, tid) as full:
        assert len(full.wait_events(6)) == 6
    resume = {"headers": {"Last-Event-ID": "3"}} if how == "header" else {"query": "?last_event_id=3"}
    with Stream(api, tid, **resume) as s:
        ev = s.wait_events(3)
        s.wait(lambda s: False, timeout=0.1)
        assert [e.id for e in s.events()] == [4, 5, 6]
        assert [e.raw for e in s.events()] == [e.raw for e in full.events()[3:6]]
        assert s.body == b"retry: 2000\n\n" + b"".join(e.raw for e in full.events()[3:6])
        api.advance(seconds=9)
        ev = s.wait_events(4)
        assert (ev[-1].id, ev[-1].name, ev[-1].json["progress"]) == (7, "task.progress", 50)
        api.advance(seconds=100)
        s.wait_end()
        assert s.done
        ids = [e.id for e in s.events()]
    assert ids == list(range(4, 13))
    with Stream(api, tid) as replay:
        replay.wait_end()
    assert full.events()[:3] + s.events() == replay.events()


def test_resume_after_the_terminal_event_ends_at_once(api):
    """A client whose connection dropped right after `task.completed` resumes with its last id:
    nothing is left, so the stream must end at once (not stay open until the client gives up)."""
    api.freeze()
    tid = api.submit(sora(5))["task_id"]
    api.advance(seconds=200)
    assert api.query(tid)["status"] == "completed"
    with Stream(api, tid, headers={"Last-Event-ID": "12"}) as s:
        s.wait_end(timeout=2)
        assert s.events() == []
        assert s.done, f"the resumed stream of a completed task is still open after 2 s: {s.body!r}"


@pytest.mark.parametrize("value", ["abc", "-1", "1.5"])
def test_invalid_last_event_id_is_400(api, value):
    tid = api.submit(sora(5))["task_id"]
    r = api.call("GET", f"/v1/tasks/stream/{tid}", headers={"Last-Event-ID": value})
    e = err(r, 400, "invalid_param", "Last-Event-ID")
    assert value in e["message"]
    r = api.call("GET", f"/v1/tasks/stream/{tid}?last_event_id={value}")
    err(r, 400, "invalid_param", "Last-Event-ID")


def test_stream_of_an_unknown_task_is_404(api):
    r = api.call("GET", "/v1/tasks/stream/task_01ARZ3NDEKTSV4RRFFQ69G5FAV")
    err(r, 404, "task_not_found")


def test_idle_stream_gets_keep_alive_comments():
    with running_mock("--task-heartbeat", "0.2") as mock:
        api = Api(mock)
        api.freeze()
        tid = api.submit(sora(5))["task_id"]
        with Stream(api, tid) as s:
            assert s.wait(lambda s: len(s.comments()) >= 2, timeout=2.0), s.body
            assert set(s.comments()) == {b": keep-alive"}
            assert b": keep-alive\n\n" in s.body
            assert [e.id for e in s.events()] == [1]  # comments are not events
            api.advance(seconds=5)
            ev = s.wait_events(2)
            assert (ev[1].id, ev[1].name) == (2, "task.running")
            assert s.body.startswith(b"retry: 2000\n\nid: 1\nevent: task.pending\ndata: ")


def test_default_heartbeat_is_quiet_for_a_short_idle(api):
    api.freeze()
    tid = api.submit(sora(5))["task_id"]
    with Stream(api, tid) as s:
        s.wait(lambda s: False, timeout=0.5)
        assert s.comments() == [] and len(s.events()) == 1


# ---------------------------------------------------------------------------------------------
# 5. out_task_id idempotency
# ---------------------------------------------------------------------------------------------

def test_out_task_id_same_params_any_key_order_is_the_same_task(api):
    api.freeze()
    first = api.submit_raw({"model": "sora-2", "out_task_id": "job-7",
                            "params": {"prompt": "a kite", "duration_seconds": 6, "aspect_ratio": "9:16", "seed": 42}})
    assert first.status_code == 200
    # the same model and params, members in another order at both levels, plus the ignored `stream`
    again = api.call("POST", "/v1/tasks/submit", data=(
        '{"params": {"seed": 42, "aspect_ratio": "9:16", "duration_seconds": 6, "prompt": "a kite"},'
        ' "stream": true, "out_task_id": "job-7", "model": "sora-2"}'), headers={"Content-Type": "application/json"})
    assert again.status_code == 200, again.text
    assert again.content == first.content
    api.advance(seconds=20)
    third = api.submit_raw({"out_task_id": "job-7", "model": "sora-2",
                            "params": {"duration_seconds": 6, "prompt": "a kite", "seed": 42, "aspect_ratio": "9:16"}})
    assert third.status_code == 200
    assert js(third)["task_id"] == js(first)["task_id"]
    assert js(third)["status"] == "running"  # the existing task, as it is now
    assert len(api.tasks()) == 1
    # the flat shape: also canonical
    a = api.submit({"model": "veo-3.1", "prompt": "rain", "duration_seconds": 4, "audio": True, "out_task_id": "f-1"})
    b = api.submit({"audio": True, "out_task_id": "f-1", "duration_seconds": 4, "prompt": "rain", "model": "veo-3.1"})
    assert a["task_id"] == b["task_id"]
    assert len(api.tasks()) == 2
    assert api.usage() == []


@pytest.mark.parametrize("change", [
    {"params": {"prompt": "a kite", "duration_seconds": 7, "aspect_ratio": "9:16"}},
    {"params": {"prompt": "a kite!", "duration_seconds": 6, "aspect_ratio": "9:16"}},
    {"params": {"prompt": "a kite", "duration_seconds": 6}},
    {"model": "sora-2-pro"},
], ids=["duration", "prompt", "missing-field", "model"])
def test_out_task_id_with_different_params_is_409(api, change):
    body = {"model": "sora-2", "out_task_id": "job-8", "params": {"prompt": "a kite", "duration_seconds": 6, "aspect_ratio": "9:16"}}
    tid = api.submit(body)["task_id"]
    e = err(api.submit_raw({**body, **change}), 409, "duplicate_out_task_id", "out_task_id")
    assert tid in e["message"] and "job-8" in e["message"]
    assert [t["task_id"] for t in api.tasks()] == [tid]


def test_out_task_id_is_per_account(api):
    body = {"model": "sora-2", "out_task_id": "shared-name", "params": {"prompt": "a kite", "duration_seconds": 6}}
    mine = api.submit(body)["task_id"]
    theirs = api.submit(body, key=OTHER)["task_id"]
    assert mine != theirs
    assert api.call("POST", "/v1/tasks/query", {"out_task_id": "shared-name"}).json()["task_id"] == mine
    assert api.call("POST", "/v1/tasks/query", {"out_task_id": "shared-name"}, key=OTHER).json()["task_id"] == theirs
    # different params under the same name conflict with the caller's own task, naming it
    other_body = {**body, "params": {"prompt": "something else", "duration_seconds": 3}}
    e = err(api.submit_raw(other_body, key=OTHER), 409, "duplicate_out_task_id", "out_task_id")
    assert theirs in e["message"] and mine not in e["message"]
    e = err(api.submit_raw(other_body), 409, "duplicate_out_task_id", "out_task_id")
    assert mine in e["message"]
    assert len(api.tasks()) == 2


# ---------------------------------------------------------------------------------------------
# 6. cancel
# ---------------------------------------------------------------------------------------------

def test_cancel_pending_is_free_and_idempotent(api):
    api.freeze()
    tid = api.submit(sora(8))["task_id"]
    api.advance(seconds=2)
    c = api.cancel(tid)
    assert (c["status"], c["progress"]) == ("cancelled", 0)
    assert c["cancelled_at"] == iso(T0 + 2)
    assert micros(c["credits_used"]) == 0 and micros(c["credits"]) == 0
    assert c["started_at"] is None and "output" not in c  # never ran: present and null
    assert api.query(tid) == c
    api.advance(seconds=300)  # the timeline does not go on
    assert api.query(tid) == c
    assert api.cancel(tid) == c
    assert api.usage() == [] and api.remaining() == WALLET


def cancel_case(api: Api, model: str, seconds: int, at_ms: int) -> tuple[dict, str]:
    api.freeze()
    tid = api.submit(flat(model, seconds))["task_id"]
    api.advance(ms=at_ms)
    return api.cancel(tid), tid


@pytest.mark.parametrize("seconds,render_ms,progress", [(8, 36_000, 40), (10, 40_500, 45), (15, 89_999, 99), (7, 5_000, 5)])
def test_cancel_running_partial_bills_the_rendered_seconds_once(api, seconds, render_ms, progress):
    """`cancel_billing: partial`: floor(seconds × progress / 100) seconds at the per-second price,
    progress = elapsed render time in percent (TaskEngine.cancel, MediaTask.credits)."""
    c, tid = cancel_case(api, "sora-2", seconds, 5000 + render_ms)
    units = seconds * progress // 100
    cost = units * price("sora-2")
    assert (c["status"], c["progress"]) == ("cancelled", progress)
    assert micros(c["credits_used"]) == cost and micros(c["credits"]) == cost
    assert c["started_at"] == iso(T0 + 5) and c["cancelled_at"] == iso(T0 + (5000 + render_ms) // 1000)
    assert "output" not in c
    rows = api.usage()
    if cost:
        assert len(rows) == 1 and (rows[0]["request_id"], rows[0]["video_seconds"], rows[0]["credits"]) == (tid, units, cost)
    else:
        assert rows == []
    assert api.remaining() == WALLET - cost
    # idempotent: a second cancel, a later query, the clock moving on: nothing more billed
    assert api.cancel(tid) == c
    api.advance(seconds=500)
    assert api.query(tid) == c
    assert len(api.usage()) == len(rows) and api.remaining() == WALLET - cost


@pytest.mark.parametrize("model", ["veo-3.1-lite", "seedance-fast"])
def test_cancel_running_free_model_bills_nothing(api, model):
    spec = VIDEO_SPEC[model]
    assert spec["cancel_billing"] == "free"
    c, tid = cancel_case(api, model, 5, int(spec["queue_seconds"] * 1000 + spec["render_seconds"] * 500))
    assert (c["status"], c["progress"]) == ("cancelled", 50)
    assert micros(c["credits_used"]) == 0
    assert api.usage() == [] and api.remaining() == WALLET


def test_cancel_of_a_terminal_task_returns_it_unchanged(api):
    api.freeze()
    done = api.submit(sora(5))["task_id"]
    failed = api.submit(sora(5), headers={"X-Mock-Fault": "fail at=pending"})["task_id"]
    api.advance(seconds=95)
    for tid in (done, failed):
        before = api.query_raw(tid).content
        r = api.cancel_raw(tid)
        assert r.status_code == 200 and r.content == before
    assert json.loads(before)["status"] == "failed"
    assert api.query(done)["status"] == "completed"
    assert len(api.usage()) == 1 and api.remaining() == WALLET - 5 * price("sora-2")


def test_cancel_body_forms_and_path_beats_body(api):
    api.freeze()
    a = api.submit(sora(5))["task_id"]
    b = api.submit({**sora(5), "out_task_id": "b-out"})["task_id"]
    c = api.submit(sora(5))["task_id"]
    d = api.submit(sora(5))["task_id"]
    # the path beats a body naming another task (by id or out_task_id)
    assert api.cancel(a, body={"task_id": c})["task_id"] == a
    assert api.cancel(d, body={"out_task_id": "b-out"})["task_id"] == d
    assert api.query(c)["status"] == "pending" and api.query(b)["status"] == "pending"
    assert api.cancel(body={"out_task_id": "b-out"})["task_id"] == b
    assert api.cancel(body={"task_id": c})["task_id"] == c
    assert {api.query(t)["status"] for t in (a, b, c, d)} == {"cancelled"}
    err(api.cancel_raw(body={"task_id": a, "out_task_id": "b-out"}), 400, "invalid_param", "task_id")
    err(api.cancel_raw(body={}), 400, "invalid_param", "task_id")
    err(api.call("POST", "/v1/tasks/cancel"), 400, "invalid_param", "task_id")
    err(api.cancel_raw("task_01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404, "task_not_found")
    err(api.cancel_raw(body={"out_task_id": "nope"}), 404, "task_not_found")


def test_cancel_ends_an_open_stream_with_task_cancelled(api):
    api.freeze()
    tid = api.submit(sora(8))["task_id"]
    api.advance(seconds=5 + 27)  # 30 %
    with Stream(api, tid) as s:
        assert len(s.wait_events(5)) == 5
        api.advance(seconds=4.5)  # 35 %
        c = api.cancel(tid)
        ev = s.wait_events(6)
        s.wait_end()
        assert s.done
    assert (ev[-1].id, ev[-1].name) == (6, "task.cancelled")
    assert ev[-1].data == api.query_raw(tid).content
    assert ev[-1].json == c and c["progress"] == 35
    assert micros(c["credits_used"]) == 8 * 35 // 100 * price("sora-2")
    assert len(api.usage()) == 1


# ---------------------------------------------------------------------------------------------
# 7. failure injection
# ---------------------------------------------------------------------------------------------

def test_fail_at_running_from_the_header(api):
    api.freeze()
    r = api.submit_raw(sora(8), headers={"X-Mock-Fault": "fail at=running"})
    assert r.status_code == 200, r.text
    tid = js(r)["task_id"]
    assert js(r)["status"] == "pending"
    api.advance(ms=5000 + 45_000 - 1)  # just before 50 %
    q = api.query(tid)
    assert (q["status"], q["progress"]) == ("running", 40)
    api.advance(ms=1)
    q = api.query(tid)
    assert (q["status"], q["progress"]) == ("failed", 50)
    assert q["failed_at"] == iso(T0 + 50) and q["started_at"] == iso(T0 + 5)
    assert micros(q["credits_used"]) == 0 and micros(q["credits"]) == 0
    assert q["error"]["code"] == "render_failed"
    assert "50%" in q["error"]["message"] and "header-1" in q["error"]["message"]
    assert "output" not in q and "result_url" not in q
    api.advance(seconds=100)
    assert api.query(tid) == q
    assert api.usage() == [] and api.remaining() == WALLET


def test_fail_at_pending_never_starts(api):
    api.freeze()
    tid = api.submit(sora(8), headers={"X-Mock-Fault": "fail at=pending"})["task_id"]
    api.advance(ms=4999)
    assert api.query(tid)["status"] == "pending"
    api.advance(ms=1)
    q = api.query(tid)
    assert (q["status"], q["progress"]) == ("failed", 0)
    assert q["started_at"] is None and q["failed_at"] == iso(T0 + 5)
    assert "in the queue" in q["error"]["message"]
    with Stream(api, tid) as s:
        s.wait_end()
        assert s.done
    assert [(e.name, e.json["status"]) for e in s.events()] == [("task.pending", "pending"), ("task.failed", "failed")]
    assert api.usage() == []


def test_fail_at_a_percent_with_code_and_message(api):
    api.freeze()
    fault = 'fail at=30% code=gpu_oom message="out of GPU memory"'
    tid = api.submit(flat("sora-2", 8), headers={"X-Mock-Fault": fault})["task_id"]
    api.advance(ms=5000 + 27_000 - 1)
    q = api.query(tid)
    assert (q["status"], q["progress"]) == ("running", 20)
    api.advance(ms=1)
    q = api.query(tid)
    assert (q["status"], q["progress"]) == ("failed", 30)
    assert q["error"] == {"code": "gpu_oom", "message": "out of GPU memory"}
    assert micros(q["credits_used"]) == 0
    assert api.usage() == []


@pytest.mark.parametrize("at,steps", [("running", [5] + [9] * 5), ("30%", [5] + [9] * 3), ("0%", [5])])
def test_failing_stream_events_match_the_query_answer_at_their_moment(api, at, steps):
    """Each event is the query answer at the moment it is sent: a task that fails at P % sends no
    `running P` event (polling can never see one, the failure happens at that very instant)."""
    api.freeze()
    tid = api.submit(sora(8), headers={"X-Mock-Fault": f"fail at={at}"})["task_id"]
    with Stream(api, tid) as s:
        s.wait_events(1)
        seen = [api.query_raw(tid).content]
        for step in steps:
            api.advance(seconds=step)
            s.wait(lambda s: s.done, timeout=0.3)
            seen.append(api.query_raw(tid).content)
        s.wait_end()
        assert s.done
    ev = s.events()
    assert ev[-1].name == "task.failed"
    assert [e.data for e in ev] == seen, [(e.name, e.json["progress"]) for e in ev]


def test_runtime_fail_rule_selects_by_model(api):
    r = api.control("POST", "faults", data=b"fail model=sora-2")
    assert r.status_code == 200, r.text
    api.freeze()
    bad = api.submit(sora(5))["task_id"]
    good = api.submit(flat("veo-3.1-fast", 5))["task_id"]
    api.advance(seconds=200)
    q = api.query(bad)
    assert (q["status"], q["progress"], q["error"]["code"]) == ("failed", 50, "render_failed")
    assert api.query(good)["status"] == "completed"
    rows = api.usage()
    assert [row["model"] for row in rows] == ["veo-3.1-fast"]
    rules = api.control("GET", "faults").json()["faults"]
    assert len(rules) == 1 and (rules[0]["matched"], rules[0]["applied"]) == (1, 1), rules
    assert rules[0]["id"] in q["error"]["message"]


def test_fail_outside_tasks_is_an_invalid_fault(api):
    r = api.control("POST", "faults", data=b"fail surface=chat")
    e = err(r, 400, "invalid_fault")
    assert "surface" in e["message"]
    r = api.submit_raw(sora(5), headers={"X-Mock-Fault": "fail surface=chat"})
    err(r, 400, "invalid_fault", "X-Mock-Fault")
    r = api.submit_raw(sora(5), headers={"X-Mock-Fault": "fail at=100%"})
    err(r, 400, "invalid_fault", "X-Mock-Fault")
    assert api.tasks() == []


# ---------------------------------------------------------------------------------------------
# 8. stream faults
# ---------------------------------------------------------------------------------------------

def test_cut_after_events_then_resume_gets_the_rest(api):
    api.freeze()
    tid = api.submit(sora(5))["task_id"]
    with Stream(api, tid, headers={"X-Mock-Fault": "cut after_events=3"}) as s:
        s.wait_events(1)
        api.advance(seconds=5)
        s.wait_events(2)
        api.advance(seconds=9)
        s.wait_events(3)
        api.advance(seconds=9)  # a 4th step exists: the connection closes instead
        s.wait_end()
        assert s.eof and not s.done, "a cut stream must close without the chunked terminator"
        assert [e.id for e in s.events()] == [1, 2, 3]
        assert s.body.endswith(b"\n\n")
    with Stream(api, tid, headers={"Last-Event-ID": "3"}) as r:
        ev = r.wait_events(1)
        assert (ev[0].id, ev[0].json["progress"]) == (4, 20)
        api.advance(seconds=200)
        r.wait_end()
        assert r.done
    with Stream(api, tid) as full:
        full.wait_end()
    assert s.events() + r.events() == full.events()


def test_status_fault_after_events_is_an_in_band_error(api):
    api.freeze()
    tid = api.submit(sora(5))["task_id"]
    api.advance(seconds=200)
    with Stream(api, tid, headers={"X-Mock-Fault": "503 after_events=2"}) as s:
        s.wait_end()
        assert s.done and not s.eof
    ev = s.events()
    assert [e.id for e in ev] == [1, 2]
    tail = s.body.split(b"\n\n")[-2] + b"\n\n"
    assert tail.startswith(b"event: error\ndata: {"), s.body
    data = json.loads(tail[len(b"event: error\ndata: "):-2])
    assert set(data["error"]) == {"message", "type", "param", "code"}
    assert s.body == b"retry: 2000\n\n" + ev[0].raw + ev[1].raw + tail
    assert api.query(tid)["status"] == "completed"


def test_status_fault_without_after_events_is_an_http_error(api):
    tid = api.submit(sora(5))["task_id"]
    r = api.call("GET", f"/v1/tasks/stream/{tid}", headers={"X-Mock-Fault": "503"})
    assert r.status_code == 503 and r.json()["error"]


# ---------------------------------------------------------------------------------------------
# 9. validation
# ---------------------------------------------------------------------------------------------

VALIDATION = [
    ({"params": {"prompt": "x", "duration_seconds": 5}}, 400, "invalid_param", "model"),
    ({"model": "sora-2", "params": {"duration_seconds": 5}}, 400, "invalid_param", "params.prompt"),
    ({"model": "sora-2", "duration_seconds": 5}, 400, "invalid_param", "prompt"),
    ({"model": "sora-2", "params": {"prompt": "   ", "duration_seconds": 5}}, 400, "invalid_param", "params.prompt"),
    ({"model": "sora-2", "params": {"prompt": "x"}}, 400, "invalid_param", "params.duration_seconds"),
    ({"model": "sora-2", "prompt": "x"}, 400, "invalid_param", "duration_seconds"),
    (flat("sora-2", VIDEO_SPEC["sora-2"]["max_seconds"] + 1), 400, "invalid_param", "duration_seconds"),
    (flat("sora-2-pro", VIDEO_SPEC["sora-2-pro"]["max_seconds"] + 1), 400, "invalid_param", "duration_seconds"),
    (flat("seedance-fast", VIDEO_SPEC["seedance-fast"]["max_seconds"] + 1), 400, "invalid_param", "duration_seconds"),
    (flat("sora-2", 0), 400, "invalid_param", "duration_seconds"),
    (flat("sora-2", 5.5), 400, "invalid_param", "duration_seconds"),
    (flat("veo-3.1-fast", 5, resolution="1080p"), 400, "invalid_param", "resolution"),
    (flat("sora-2", 5, resolution="4k"), 400, "invalid_param", "resolution"),
    (flat("sora-2", 5, aspect_ratio="4:3"), 400, "invalid_param", "aspect_ratio"),
    (flat("sora-2", 5, style_preset="anime"), 400, "invalid_param", "style_preset"),
    (flat("sora-2-pro", 5, style_preset="vaporwave"), 400, "invalid_param", "style_preset"),
    (flat("seedance-1.5-pro", 5, motion_intensity="extreme"), 400, "invalid_param", "motion_intensity"),
    (flat("sora-2", 5, motion_intensity="low"), 400, "invalid_param", "motion_intensity"),
    (flat("gpt-5-4-nano", 5), 400, "invalid_param", "model"),
    (flat("claude-sonnet-4-5", 5), 400, "invalid_param", "model"),
    (flat("no-such-video-model", 5), 404, "model_not_found", "model"),
    (flat("sora-2", 5, callback_url="ftp://example.com/hook"), 400, "invalid_param", "callback_url"),
    (flat("sora-2", 5, callback_url="example.com/hook"), 400, "invalid_param", "callback_url"),
    (flat("sora-2", 5, out_task_id=""), 400, "invalid_param", "out_task_id"),
    (flat("sora-2", 5, out_task_id="x" * 129), 400, "invalid_param", "out_task_id"),
    ({"model": "sora-2", "params": "a fox"}, 400, "invalid_param", "params"),
    ({"model": "seedream-v4", "params": {"prompt": "x", "n": 5}}, 400, "invalid_param", "params.n"),
    ({"model": "seedream-v4", "params": {"prompt": "x", "size": "4096x4096"}}, 400, "invalid_param", "params.size"),
    (flat("sora-2", 5, prompt="y" * (MEDIA["max_prompt_chars"] + 1)), 413, "prompt_too_long", "prompt"),
    (flat("sora-2", 5, prompt="a scene with Violent Gore in it"), 451, "content_policy_violation", "prompt"),
]


@pytest.mark.parametrize("body,status,code,param", VALIDATION, ids=[f"{i}-{v[2]}-{v[3]}" for i, v in enumerate(VALIDATION)])
def test_submit_validation_bills_and_stores_nothing(api, body, status, code, param):
    r = api.submit_raw(body)
    err(r, status, code, param)
    assert api.tasks() == [] and api.usage() == [] and api.remaining() == WALLET


def test_the_valid_options_are_accepted(api):
    for body in (flat("sora-2-pro", 20, style_preset="cinematic"), flat("seedance-1.5-pro", 6, motion_intensity="high"),
                 flat("veo-3.1", 10, audio=True, resolution="720p"), flat("sora-2", 15, resolution="1080p", aspect_ratio="1:1"),
                 flat("sora-2", 5, prompt="x" * MEDIA["max_prompt_chars"]), flat("sora-2", 1, out_task_id="y" * 128)):
        assert api.submit_raw(body).status_code == 200, body


def test_body_over_one_mib_is_413(api):
    exact = '{"model":"sora-2","prompt":"x","duration_seconds":5,"pad":"'
    fits = exact + "a" * ((1 << 20) - len(exact) - 2) + '"}'
    assert len(fits) == 1 << 20
    assert api.submit_raw(None, data=fits).status_code == 200
    for path in ("/v1/tasks/submit", "/v1/tasks/query", "/v1/tasks/cancel", "/v1/videos/generations"):
        r = api.call("POST", path, data=fits + " ", headers={"Content-Type": "application/json"})
        e = err(r, 413, "request_too_large")
        assert "1048577" in e["message"]
    assert len(api.tasks()) == 1 and api.usage() == []


@pytest.mark.parametrize("key,status,code", [
    ("sk-byts-broke-test-key-0001", 402, "insufficient_balance"),
    ("sk-byts-paused-test-key-0001", 403, "permission_denied"),
    ("sk-byts-revoked-test-key-0001", 401, "invalid_api_key"),
    ("sk-byts-gemini-test-key-0001", 403, "model_not_in_group"),
    (None, 401, "invalid_api_key"),
])
def test_submit_admission_errors_store_nothing(api, key, status, code):
    err(api.submit_raw(flat("sora-2", 5), key=key), status, code)
    assert api.tasks() == [] and api.usage() == []


def test_status_fault_on_submit_stores_nothing_and_x_api_key_is_accepted(api):
    err(api.submit_raw(flat("sora-2", 5), headers={"X-Mock-Fault": "429"}), 429, "rate_limit_exceeded")
    assert api.tasks() == []
    r = api.submit_raw(flat("sora-2", 5), key=None, headers={"x-api-key": DEFAULT})
    assert r.status_code == 200, r.text
    assert [t["task_id"] for t in api.tasks()] == [js(r)["task_id"]]


# ---------------------------------------------------------------------------------------------
# 10. image models as tasks
# ---------------------------------------------------------------------------------------------

def test_image_task_n2_outputs_two_pngs_billed_at_completion(api):
    q_s, r_s = MEDIA["image_tasks"]["queue_seconds"], MEDIA["image_tasks"]["render_seconds"]
    api.freeze()
    t = api.submit({"model": "seedream-v4", "params": {"prompt": "two owls", "n": 2, "size": "1024x1536"}})
    tid = t["task_id"]
    assert (t["status"], t["n"], t["size"]) == ("pending", 2, "1024x1536")
    assert "duration_seconds" not in t
    assert micros(t["estimated_credits"]) == 2 * price("seedream-v4")
    api.advance(seconds=q_s)
    assert api.query(tid)["status"] == "running"
    api.advance(ms=r_s * 1000 - 1)
    assert api.query(tid)["progress"] == 90 and api.usage() == []
    api.advance(ms=1)
    q = api.query(tid)
    assert q["status"] == "completed"
    assert micros(q["credits_used"]) == 2 * price("seedream-v4")
    assert len(q["output"]) == 2
    urls = [o["url"] for o in q["output"]]
    assert len(set(urls)) == 2
    for o in q["output"]:
        assert o == {"type": "image", "url": o["url"], "width": 1024, "height": 1536, "mime_type": "image/png",
                     "expires_at": iso(T0 + q_s + r_s + MEDIA["files"]["ttl_seconds"])}
    assert q["result"] == {"image_urls": urls} and q["result_url"] == urls[0]
    rows = api.usage()
    assert len(rows) == 1 and (rows[0]["images"], rows[0]["video_seconds"], rows[0]["credits"]) == (2, 0, 2 * price("seedream-v4"))
    blobs = []
    for u in urls:
        r = requests.get(u, timeout=TIMEOUT)
        assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
        im = Image.open(io.BytesIO(r.content))
        im.load()
        assert (im.format, im.size) == ("PNG", (1024, 1536))
        blobs.append(r.content)
    assert blobs[0] != blobs[1]
    api.query(tid)
    assert len(api.usage()) == 1


# ---------------------------------------------------------------------------------------------
# 11. reset and the task list
# ---------------------------------------------------------------------------------------------

def test_reset_forgets_tasks_and_ends_open_streams_cleanly(api):
    api.freeze()
    tid = api.submit(sora(5))["task_id"]
    with Stream(api, tid) as s:
        s.wait_events(1)
        r = api.control("POST", "reset")
        assert r.status_code == 200 and r.json() == {"status": "reset"}
        s.wait_end(timeout=3)
        assert s.done and not s.eof, "the stream must end with the chunked terminator"
        assert [e.id for e in s.events()] == [1]
    err(api.query_raw(tid), 404, "task_not_found")
    assert api.tasks() == []
    assert api.control("GET", "health").json()["tasks"] == 0


def test_session_reset_forgets_only_that_sessions_tasks(api):
    api.freeze()
    a = api.submit(sora(5), headers={"X-Mock-Session": "alpha"})["task_id"]
    b = api.submit(sora(5), headers={"X-Mock-Session": "beta"})["task_id"]
    c = api.submit(sora(5))["task_id"]
    listed = {t["task_id"]: t for t in api.tasks()}
    assert set(listed) == {a, b, c}
    assert all(listed[t] == api.query(t) for t in (a, b, c))  # each one the query object
    assert [t["task_id"] for t in api.tasks(session="beta")] == [b]
    with Stream(api, a) as sa, Stream(api, b) as sb:
        sa.wait_events(1)
        sb.wait_events(1)
        r = api.control("POST", "reset", session="alpha")
        assert r.status_code == 200 and r.json() == {"status": "reset", "session": "alpha"}
        sa.wait_end(timeout=3)
        assert sa.done
        api.advance(seconds=5)
        ev = sb.wait_events(2)
        assert ev[-1].name == "task.running" and not sb.done
    err(api.query_raw(a), 404, "task_not_found")
    assert api.query(b)["status"] == "running" and api.query(c)["status"] == "running"
    assert {t["task_id"] for t in api.tasks()} == {b, c}
    assert api.tasks(session="alpha") == []


def test_task_list_is_oldest_first():
    """`GET /__mock/tasks` lists "newest last" (FileEndpoint.controlTaskList): by submission time,
    and in submission order for tasks submitted at the same instant of a frozen clock."""
    with running_mock() as mock:
        api = Api(mock)
        api.freeze()
        ids = [api.submit(sora(5, prompt=f"take {i}"))["task_id"] for i in range(6)]
        api.advance(ms=1)
        ids.append(api.submit(sora(5))["task_id"])
        api.advance(ms=1)
        ids.append(api.submit(sora(5))["task_id"])
        assert [t["task_id"] for t in api.tasks()] == ids


def test_session_reset_keeps_other_sessions_tasks_on_time():
    """A session reset must not disarm the timer that settles the other tasks: with a running
    clock they still complete and bill on time while nobody polls."""
    with running_mock("--time-scale", "200") as mock:
        api = Api(mock)
        t = api.submit(flat("sora-2", 4), headers={"X-Mock-Session": "keep"})  # 475 ms
        r = api.control("POST", "reset", session="other")
        assert r.status_code == 200
        deadline = time.monotonic() + 2.5
        rows = []
        while time.monotonic() < deadline and not rows:
            time.sleep(0.05)
            rows = api.usage()
        assert rows, "the task of session 'keep' did not settle on its own after session 'other' was reset"
        assert rows[0]["request_id"] == t["task_id"]
