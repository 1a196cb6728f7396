"""No leak over HTTP/2: 10,000 streaming chats opened and reset by the client mid-stream, over 5
connections, leave the mock's open descriptors where they were and its RSS near where it was
after a warm-up (the streams' timers, buffers and producers all released)."""

from __future__ import annotations

import json
import os
import time

from hyperframe.frame import DataFrame, HeadersFrame, RstStreamFrame, WindowUpdateFrame

from h2raw import CANCEL, H2Raw, start_mock_process
from sdk_helpers import DEFAULT

BODY = json.dumps({"model": "gpt-5-4-mini", "stream": True,
                   "messages": [{"role": "user", "content": "a stream that will be cut short"}]}).encode()
HEADERS = [("authorization", f"Bearer {DEFAULT}"), ("content-type", "application/json"),
           ("x-mock-fault", "drip tps=40")]  # paced, so every stream is still open when it is reset


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def open_and_reset(port: int, streams: int, batch: int = 20) -> int:
    """Opens `streams` streams in batches on one connection; each is reset once its first DATA arrived.
    Batches of 20 stay under the account's 25 requests in flight, so every stream is a real stream."""
    reset = 0
    with H2Raw(port) as c:
        sid = 1
        while reset < streams:
            ids = list(range(sid, sid + 2 * batch, 2))
            sid += 2 * batch
            for s in ids:
                c.request(s, "/v1/chat/completions", method="POST", extra=HEADERS, end_stream=False)
                c.send(DataFrame(s, BODY, flags=["END_STREAM"]))
            waiting = set(ids)
            deadline = time.monotonic() + 20
            while waiting and time.monotonic() < deadline:
                f = c.read_frame(timeout=5)
                assert f is not None, "no frames"
                if isinstance(f, DataFrame) and f.flow_controlled_length:  # keep the connection window open
                    c.send(WindowUpdateFrame(0, window_increment=f.flow_controlled_length))
                if isinstance(f, HeadersFrame) and f.stream_id in waiting:
                    assert dict(f.decoded)[":status"] == "200", f.decoded
                if isinstance(f, DataFrame) and f.stream_id in waiting:
                    waiting.discard(f.stream_id)
                    c.send(RstStreamFrame(f.stream_id, error_code=CANCEL))
                    reset += 1
            assert not waiting, f"{len(waiting)} streams sent nothing"
    return reset


def settle(pid: int, want_fds: int, timeout: float = 5.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and fds(pid) != want_fds:
        time.sleep(0.05)
    return fds(pid)


def test_ten_thousand_streams_reset_midway_leave_fds_and_rss_where_they_started():
    with start_mock_process("--h2-reset-burst", "1000000", "--h2-reset-rate", "1000000", "--journal-size", "100") as (port, proc):
        open_and_reset(port, 500)  # warm-up: allocator pools, caches, the journal ring filled
        time.sleep(1.2)
        base_fds = fds(proc.pid)
        base_rss = rss_kib(proc.pid)
        total = sum(open_and_reset(port, 2000) for _ in range(5))
        assert total == 10_000
        assert settle(proc.pid, base_fds) == base_fds
        time.sleep(1.2)  # the mock trims freed memory at most once a second
        grown = rss_kib(proc.pid) - base_rss
        print(f"\nRSS {base_rss} KiB -> {base_rss + grown} KiB after 10,000 reset streams; fds {base_fds}")
        assert grown < 4096, f"RSS grew by {grown} KiB"
