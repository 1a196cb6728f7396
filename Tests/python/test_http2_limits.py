"""HTTP/2 limits and lifecycle, each through its flag, observed with raw frames (h2raw.py):
MAX_CONCURRENT_STREAMS, the header list size (431), the body size (413), the rapid-reset rate,
GOAWAY on graceful shutdown within --shutdown-grace, the per-stream write timeout, and what the
transport faults mean on a shared connection (cut: this stream only; reset: the connection)."""

from __future__ import annotations

import json
import signal
import time

import pytest
from hyperframe.frame import DataFrame, GoAwayFrame, HeadersFrame, RstStreamFrame, SettingsFrame

from h2raw import (CANCEL, INTERNAL_ERROR, NO_ERROR, PROTOCOL_ERROR, Closed, H2Raw, body_of, end_of,
                   start_mock_process, status_of)
from mockproc import run_cli
from sdk_helpers import DEFAULT

HEALTH = "/__mock/health"
AUTH = [("authorization", f"Bearer {DEFAULT}"), ("content-type", "application/json")]


def chat(c: H2Raw, stream_id: int, *, stream: bool = True, fault: str | None = None, session: str | None = None) -> None:
    extra = list(AUTH) + ([("x-mock-fault", fault)] if fault else []) + ([("x-mock-session", session)] if session else [])
    body = json.dumps({"model": "gpt-5-4-mini", "stream": stream,
                       "messages": [{"role": "user", "content": f"h2 stream {stream_id}"}]}).encode()
    c.request(stream_id, "/v1/chat/completions", method="POST", extra=extra, end_stream=False)
    c.send(DataFrame(stream_id, body, flags=["END_STREAM"]))


def test_max_concurrent_streams_flag_is_advertised_and_enforced():
    """A client that opens more streams than advertised (after ACKing the SETTINGS) breaks the
    protocol: libnghttp2 ends the connection with GOAWAY(PROTOCOL_ERROR), naming the last stream
    it took."""
    with start_mock_process("--h2-max-concurrent-streams", "3") as (port, _), H2Raw(port) as c:
        assert c.server_settings[SettingsFrame.MAX_CONCURRENT_STREAMS] == 3
        c.read_until(lambda f: isinstance(f, SettingsFrame) and "ACK" in f.flags)
        for sid in (1, 3, 5, 7):  # open without END_STREAM: they stay open
            c.request(sid, HEALTH, method="POST", end_stream=False)
        g = c.goaway()
        assert g is not None and g.error_code == PROTOCOL_ERROR and g.last_stream_id == 5
        assert b"max concurrent streams" in g.additional_data


def test_clients_that_respect_a_small_stream_limit_are_all_served():
    """httpx2 queues requests above the advertised limit: 12 concurrent calls with a limit of 2,
    one connection, all answered."""
    import threading

    import httpx2
    with start_mock_process("--h2-max-concurrent-streams", "2") as (port, _):
        client = httpx2.Client(http2=True, http1=False, timeout=10,
                               limits=httpx2.Limits(max_connections=1, max_keepalive_connections=1))
        statuses: list[int] = []

        def one() -> None:
            r = client.post(f"http://127.0.0.1:{port}/v1/chat/completions", headers=dict(AUTH),
                            json={"model": "gpt-5-4-mini", "stream": True, "messages": [{"role": "user", "content": "q"}]})
            statuses.append(r.status_code)

        threads = [threading.Thread(target=one) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert statuses == [200] * 12


def test_header_list_over_the_limit_is_answered_431_and_the_connection_goes_on():
    with start_mock_process("--h2-max-header-list", "1024") as (port, _), H2Raw(port) as c:
        assert c.server_settings[SettingsFrame.MAX_HEADER_LIST_SIZE] == 1024
        c.request(1, HEALTH, extra=[("x-big", "v" * 2000)])
        frames = c.read_until(lambda f: end_of(f, 1))
        assert status_of(frames, 1) == 431
        assert json.loads(body_of(frames, 1))["error"]["code"] == "headers_too_large"
        c.request(3, HEALTH)
        assert status_of(c.read_until(lambda f: end_of(f, 3)), 3) == 200


def test_body_over_the_limit_is_answered_413_before_the_upload_ends():
    with start_mock_process("--max-body-bytes", "1000") as (port, _), H2Raw(port) as c:
        c.request(1, "/v1/chat/completions", method="POST", extra=AUTH, end_stream=False)
        c.send(DataFrame(1, b"x" * 4000))  # no END_STREAM: the mock answers without waiting for it
        frames = c.read_until(lambda f: isinstance(f, RstStreamFrame) and f.stream_id == 1)
        assert status_of(frames, 1) == 413
        assert json.loads(body_of(frames, 1))["error"]["code"] == "request_too_large"
        assert isinstance(frames[-1], RstStreamFrame) and frames[-1].error_code == NO_ERROR
        c.request(3, HEALTH)
        assert status_of(c.read_until(lambda f: end_of(f, 3)), 3) == 200


def test_rapid_reset_limit_flags_end_the_connection_early():
    with start_mock_process("--h2-reset-burst", "10", "--h2-reset-rate", "1") as (port, _), H2Raw(port) as c:
        try:
            for sid in range(1, 101, 2):
                c.send(HeadersFrame(sid, c.block(c.request_headers(HEALTH)), flags=["END_HEADERS"]),
                       RstStreamFrame(sid, error_code=CANCEL))
        except Closed:
            pass
        g = c.goaway()
        assert g is not None and g.error_code != NO_ERROR
        assert g.last_stream_id < 40, f"took {g.last_stream_id} before stopping"


def test_flags_are_range_checked_and_read_from_the_environment():
    bad = run_cli("--h2-max-concurrent-streams", "0", "--check-fixtures")
    assert bad.returncode == 2 and "--h2-max-concurrent-streams expects an integer in 1...100000" in bad.stderr
    assert run_cli("--h2-reset-rate", "x").returncode == 2
    import os
    import subprocess
    from bytespike_mock import find_binary
    env = dict(os.environ, BYTESPIKE_MOCK_H2_INITIAL_WINDOW="0")
    r = subprocess.run([str(find_binary()), "--check-fixtures"], env=env, capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "BYTESPIKE_MOCK_H2_INITIAL_WINDOW" in r.stderr


def test_graceful_shutdown_sends_goaway_and_lets_open_streams_finish():
    with start_mock_process("--shutdown-grace", "5") as (port, proc), H2Raw(port) as c:
        chat(c, 1, fault="drip tps=20")
        first = c.read_until(lambda f: isinstance(f, DataFrame) and f.stream_id == 1)
        assert status_of(first, 1) == 200
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        frames = c.read_until(lambda f: end_of(f, 1) and isinstance(f, DataFrame), timeout=8)
        goaways = [f for f in frames if isinstance(f, GoAwayFrame)]
        assert goaways and goaways[0].error_code == NO_ERROR and goaways[0].last_stream_id == 1
        assert "END_STREAM" in frames[-1].flags, "the open stream did not finish"
        assert body_of(first + frames, 1).rstrip().endswith(b"data: [DONE]")
        assert proc.wait(10) == 0
        assert time.monotonic() - sent < 6


def test_stream_the_client_never_opens_a_window_for_is_reset_at_the_write_timeout():
    with start_mock_process("--write-timeout", "1") as (port, _), H2Raw(port, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 0}) as c:
        chat(c, 1, stream=True)
        started = time.monotonic()
        frames = c.read_until(lambda f: isinstance(f, RstStreamFrame) and f.stream_id == 1, timeout=8)
        assert frames and isinstance(frames[-1], RstStreamFrame) and frames[-1].error_code == CANCEL
        assert 0.8 < time.monotonic() - started < 6  # loose: a loaded CI machine
        # The connection and its other streams are fine.
        c.send(SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 65535}))
        c.request(3, HEALTH)
        assert status_of(c.read_until(lambda f: end_of(f, 3)), 3) == 200


def test_a_complete_body_the_client_opens_no_window_for_is_reset_at_the_write_timeout():
    """The same for a complete (not streamed) response: its body waits in the stream's queue,
    and the stall timer armed after the server's output round resets it."""
    with start_mock_process("--write-timeout", "1") as (port, _), H2Raw(port, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 0}) as c:
        c.request(1, "/v1/models", extra=[("authorization", f"Bearer {DEFAULT}")])
        started = time.monotonic()
        frames = c.read_until(lambda f: isinstance(f, RstStreamFrame) and f.stream_id == 1, timeout=8)
        assert frames and isinstance(frames[-1], RstStreamFrame) and frames[-1].error_code == CANCEL
        assert status_of(frames, 1) == 200 and body_of(frames, 1) == b""
        assert 0.8 < time.monotonic() - started < 6  # loose: a loaded CI machine
        c.send(SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 65535}))
        c.request(3, HEALTH)
        assert status_of(c.read_until(lambda f: end_of(f, 3)), 3) == 200


def test_cut_fault_resets_only_its_stream_and_siblings_finish(base_url):
    port = int(base_url.rsplit(":", 1)[1])
    with H2Raw(port) as c:
        chat(c, 1, stream=True)
        chat(c, 3, stream=True, fault="cut after_events=2")
        chat(c, 5, stream=False)
        done: dict[int, object] = {}
        deadline = time.monotonic() + 10
        frames = []
        while len(done) < 3 and time.monotonic() < deadline:
            f = c.read_frame(timeout=5)
            assert f is not None
            frames.append(f)
            if f.stream_id in (1, 3, 5) and ("END_STREAM" in f.flags or isinstance(f, RstStreamFrame)):
                done[f.stream_id] = f
        assert isinstance(done[3], RstStreamFrame) and done[3].error_code == INTERNAL_ERROR
        assert body_of(frames, 3).count(b"data: ") == 2, "the events written before the cut arrive"
        assert body_of(frames, 1).rstrip().endswith(b"data: [DONE]")
        assert json.loads(body_of(frames, 5))["choices"]


def test_reset_fault_resets_the_whole_connection(base_url):
    port = int(base_url.rsplit(":", 1)[1])
    with H2Raw(port) as c:
        chat(c, 1, stream=True, fault="reset")
        with pytest.raises(Closed):
            while True:
                if c.read_frame(timeout=5) is None:
                    pytest.fail("the connection stayed open")


def test_a_stream_whose_body_stalls_is_answered_408_at_the_body_timeout():
    with start_mock_process("--body-timeout", "1") as (port, _), H2Raw(port) as c:
        c.request(1, "/v1/chat/completions", method="POST", extra=AUTH, end_stream=False)
        c.send(DataFrame(1, b'{"model":'))  # and then nothing
        started = time.monotonic()
        frames = c.read_until(lambda f: isinstance(f, RstStreamFrame) and f.stream_id == 1, timeout=8)
        assert status_of(frames, 1) == 408
        assert json.loads(body_of(frames, 1))["error"]["code"] == "request_timeout"
        assert 0.8 < time.monotonic() - started < 6  # loose: a loaded CI machine
        c.request(3, HEALTH)  # the connection goes on
        assert status_of(c.read_until(lambda f: end_of(f, 3)), 3) == 200


def test_a_stream_whose_head_never_completes_is_reset_at_the_header_timeout():
    with start_mock_process("--header-timeout", "1") as (port, _), H2Raw(port) as c:
        block = c.block(c.request_headers(HEALTH))
        c.send(HeadersFrame(1, block[:4]))  # no END_HEADERS, no CONTINUATION
        started = time.monotonic()
        frames = c.read_until(lambda f: isinstance(f, (RstStreamFrame, GoAwayFrame)), timeout=8)
        assert frames and isinstance(frames[-1], RstStreamFrame), frames
        assert frames[-1].stream_id == 1 and frames[-1].error_code == CANCEL
        assert 0.8 < time.monotonic() - started < 6  # loose: a loaded CI machine


def test_a_client_that_reads_slowly_gets_every_body_byte_exact():
    """Many large responses on one connection to a client that reads little at a time: the
    server's socket fills, its writes are partial and resume inside a DATA frame (the payloads
    are written from the responses' own bytes, not copied), and every body arrives whole and in
    order, the same bytes HTTP/1.1 sends."""
    import socket
    import urllib.request

    from hyperframe.frame import WindowUpdateFrame
    streams = list(range(1, 21, 2))  # 10 streams of the 15 KB catalog: over the 64 KiB watermark
    with start_mock_process() as (port, _):
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": f"Bearer {DEFAULT}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            want = r.read()
        assert len(want) > 10_000
        with H2Raw(port, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 1 << 30}) as c:
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            c.send(WindowUpdateFrame(0, window_increment=1 << 30))
            for sid in streams:
                c.request(sid, "/v1/models", extra=[("authorization", f"Bearer {DEFAULT}")])
            time.sleep(0.5)  # the server fills its socket and the small receive buffer
            frames, done = [], set()
            deadline = time.monotonic() + 20
            while len(done) < len(streams) and time.monotonic() < deadline:
                data = c.sock.recv(1024)  # a little at a time
                assert data, "the server closed the connection"
                c.buf += data
                while True:
                    if len(c.buf) < 9:
                        break
                    length = int.from_bytes(c.buf[:3], "big")
                    if len(c.buf) < 9 + length:
                        break
                    f = c.read_frame()
                    frames.append(f)
                    if f.stream_id in streams and "END_STREAM" in f.flags:
                        done.add(f.stream_id)
            assert done == set(streams)
            for sid in streams:
                assert status_of(frames, sid) == 200
                assert body_of(frames, sid) == want, f"stream {sid}: body differs"
