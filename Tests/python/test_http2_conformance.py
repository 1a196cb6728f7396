"""HTTP/2 conformance, raw frames (h2spec is not installable here): the preface and SETTINGS
exchange, HEADERS with CONTINUATION, PING, PRIORITY and unknown frames ignored, invalid frames and
stream states answered with the right error, flow control both ways, the stream limit and rapid
reset. Every case runs against the mock and, as a control, against Debian's `nghttpd --no-tls`
(the same library, configured by its authors): the mock must pass every case; the control's
score is printed (`pytest -s`) and must show the harness can tell a conforming server.

Each case takes (port, path) where `path` answers GET with a 200 and a body."""

from __future__ import annotations

import shutil
import struct

import pytest
from hyperframe.frame import (ContinuationFrame, DataFrame, GoAwayFrame, HeadersFrame, PingFrame, PriorityFrame,
                              RstStreamFrame, SettingsFrame, WindowUpdateFrame)

from h2raw import (CANCEL, ENHANCE_YOUR_CALM, INTERNAL_ERROR, FLOW_CONTROL_ERROR, FRAME_SIZE_ERROR, PREFACE, PROTOCOL_ERROR,
                   REFUSED_STREAM, STREAM_CLOSED, Closed, H2Raw, body_of, end_of, start_nghttpd, status_of)

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def raw_frame(type_: int, flags: int, stream_id: int, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([type_, flags]) + struct.pack(">I", stream_id) + payload


def expect_connection_error(c: H2Raw, code: int) -> None:
    g = c.goaway()
    assert g is not None, "no GOAWAY"
    assert g.error_code == code, f"GOAWAY code {g.error_code}, expected {code}"


def expect_stream_error(c: H2Raw, stream_id: int, code: int) -> None:
    frames = c.read_until(lambda f: isinstance(f, GoAwayFrame) or (isinstance(f, RstStreamFrame) and f.stream_id == stream_id))
    last = frames[-1] if frames else None
    assert isinstance(last, (RstStreamFrame, GoAwayFrame)), f"no RST_STREAM/GOAWAY, got {frames}"
    assert last.error_code == code, f"{type(last).__name__} code {last.error_code}, expected {code}"


def get_ok(c: H2Raw, stream_id: int, path: str) -> bytes:
    c.request(stream_id, path)
    frames = c.read_until(lambda f: end_of(f, stream_id))
    assert status_of(frames, stream_id) == 200, frames
    return body_of(frames, stream_id)


# -- connection preface and SETTINGS --

@case
def preface_settings_exchange_and_ack(port, path):
    with H2Raw(port) as c:  # the server's SETTINGS came first (checked by H2Raw)
        frames = c.read_until(lambda f: isinstance(f, SettingsFrame) and "ACK" in f.flags)
        assert frames and "ACK" in frames[-1].flags, "our SETTINGS were not acknowledged"


@case
def first_frame_after_preface_must_be_settings(port, path):
    with H2Raw(port, handshake=False) as c:
        c.send_raw(PREFACE + PingFrame(0, opaque_data=b"abcdefgh").serialize())
        expect_connection_error(c, PROTOCOL_ERROR)


@case
def settings_length_not_multiple_of_six(port, path):
    with H2Raw(port) as c:
        c.send_raw(raw_frame(0x4, 0, 0, b"\x00\x03\x00"))
        expect_connection_error(c, FRAME_SIZE_ERROR)


@case
def settings_ack_with_payload(port, path):
    with H2Raw(port) as c:
        c.send_raw(raw_frame(0x4, 0x1, 0, b"\x00\x03\x00\x00\x00\x01"))
        expect_connection_error(c, FRAME_SIZE_ERROR)


@case
def settings_initial_window_too_large(port, path):
    with H2Raw(port) as c:
        c.send_raw(raw_frame(0x4, 0, 0, struct.pack(">HI", 0x4, 1 << 31)))
        expect_connection_error(c, FLOW_CONTROL_ERROR)


# -- requests --

@case
def simple_get(port, path):
    with H2Raw(port) as c:
        assert get_ok(c, 1, path)


@case
def headers_with_continuation(port, path):
    with H2Raw(port) as c:
        block = c.block(c.request_headers(path))
        c.send(HeadersFrame(1, block[:3]), ContinuationFrame(1, block[3:7]),
               ContinuationFrame(1, block[7:], flags=["END_HEADERS"]))
        c.send(DataFrame(1, b"", flags=["END_STREAM"]))
        frames = c.read_until(lambda f: end_of(f, 1))
        assert status_of(frames, 1) == 200


@case
def ping_is_answered_with_the_same_data(port, path):
    with H2Raw(port) as c:
        c.send(PingFrame(0, opaque_data=b"h2-mock!"))
        frames = c.read_until(lambda f: isinstance(f, PingFrame))
        assert frames and "ACK" in frames[-1].flags and frames[-1].opaque_data == b"h2-mock!"


@case
def ping_with_wrong_length(port, path):
    with H2Raw(port) as c:
        c.send_raw(raw_frame(0x6, 0, 0, b"1234567"))
        expect_connection_error(c, FRAME_SIZE_ERROR)


@case
def priority_frames_are_ignored_safely(port, path):
    with H2Raw(port) as c:
        c.send(PriorityFrame(3, depends_on=0, stream_weight=200), PriorityFrame(7, depends_on=3, stream_weight=1))
        assert get_ok(c, 5, path)


@case
def unknown_frame_type_is_ignored(port, path):
    with H2Raw(port) as c:
        c.send_raw(raw_frame(0xFA, 0, 0, b"whatever"))
        assert get_ok(c, 1, path)


# -- invalid frames and stream states --

@case
def data_on_stream_zero(port, path):
    with H2Raw(port) as c:
        c.send_raw(raw_frame(0x0, 0, 0, b"x"))
        expect_connection_error(c, PROTOCOL_ERROR)


@case
def headers_on_even_stream(port, path):
    with H2Raw(port) as c:
        c.request(2, path)
        expect_connection_error(c, PROTOCOL_ERROR)


@case
def data_on_idle_stream(port, path):
    with H2Raw(port) as c:
        c.send(DataFrame(1, b"x", flags=["END_STREAM"]))
        expect_connection_error(c, PROTOCOL_ERROR)


@case
def rst_stream_on_idle_stream(port, path):
    with H2Raw(port) as c:
        c.send(RstStreamFrame(1, error_code=CANCEL))
        expect_connection_error(c, PROTOCOL_ERROR)


@case
def window_update_of_zero_on_connection(port, path):
    with H2Raw(port) as c:
        c.send_raw(raw_frame(0x8, 0, 0, struct.pack(">I", 0)))
        expect_connection_error(c, PROTOCOL_ERROR)


@case
def connection_window_overflow(port, path):
    with H2Raw(port) as c:
        c.send(WindowUpdateFrame(0, window_increment=(1 << 31) - 1))
        expect_connection_error(c, FLOW_CONTROL_ERROR)


@case
def frame_larger_than_max_frame_size(port, path):
    with H2Raw(port) as c:
        c.request(1, path, method="POST", end_stream=False)
        c.send_raw(raw_frame(0x0, 0x1, 1, b"x" * 16385))
        expect_connection_error(c, FRAME_SIZE_ERROR)


@case
def uppercase_header_name_is_a_stream_error(port, path):
    with H2Raw(port) as c:
        c.send(HeadersFrame(1, c.block(c.request_headers(path) + [("X-Upper", "1")]), flags=["END_HEADERS", "END_STREAM"]))
        expect_stream_error(c, 1, PROTOCOL_ERROR)


@case
def missing_path_is_a_stream_error(port, path):
    with H2Raw(port) as c:
        c.send(HeadersFrame(1, c.block([(":method", "GET"), (":scheme", "http"), (":authority", "x")]),
                            flags=["END_HEADERS", "END_STREAM"]))
        expect_stream_error(c, 1, PROTOCOL_ERROR)


@case
def connection_specific_header_is_a_stream_error(port, path):
    with H2Raw(port) as c:
        c.send(HeadersFrame(1, c.block(c.request_headers(path) + [("connection", "keep-alive")]),
                            flags=["END_HEADERS", "END_STREAM"]))
        expect_stream_error(c, 1, PROTOCOL_ERROR)


@case
def data_after_end_stream(port, path):
    with H2Raw(port) as c:
        c.request(1, path)
        c.send(DataFrame(1, b"late"))
        frames = c.read_until(lambda f: isinstance(f, GoAwayFrame) or (isinstance(f, RstStreamFrame) and f.stream_id == 1))
        errors = [f for f in frames if isinstance(f, (GoAwayFrame, RstStreamFrame))]
        assert errors and errors[-1].error_code == STREAM_CLOSED, frames


# -- flow control --

@case
def server_respects_the_clients_stream_window(port, path):
    with H2Raw(port, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 1}) as c:
        c.request(1, path)
        frames = c.read_until(lambda f: isinstance(f, DataFrame) and f.stream_id == 1)
        assert frames and isinstance(frames[-1], DataFrame) and len(frames[-1].data) == 1
        assert c.read_frame(timeout=0.3) is None, "data beyond the window"
        c.send(WindowUpdateFrame(1, window_increment=1 << 20))
        rest = c.read_until(lambda f: end_of(f, 1))
        assert rest and "END_STREAM" in rest[-1].flags and len(body_of(rest, 1)) > 1


@case
def server_grants_window_for_a_large_upload(port, path):
    with H2Raw(port) as c:
        stream_window = c.server_settings.get(SettingsFrame.INITIAL_WINDOW_SIZE, 65535)
        conn_window = 65535
        total, sent, updates = 200_000, 0, 0
        c.request(1, path, method="POST", end_stream=False, extra=[("content-type", "application/octet-stream")])
        status = None
        while sent < total:
            n = min(16384, total - sent, stream_window, conn_window)
            if n > 0:
                sent += n
                c.send(DataFrame(1, b"u" * n, flags=["END_STREAM"] if sent == total else []))
                stream_window -= n
                conn_window -= n
                continue
            f = c.read_frame(timeout=3)
            assert f is not None, "window stayed shut"
            if isinstance(f, WindowUpdateFrame):
                updates += 1
                if f.stream_id == 0:
                    conn_window += f.window_increment
                else:
                    stream_window += f.window_increment
            elif isinstance(f, (HeadersFrame, RstStreamFrame)) and f.stream_id == 1:
                status = f
                break
        frames = c.read_until(lambda f: end_of(f, 1))
        assert updates > 0 or stream_window > 0
        assert status is not None or status_of(frames, 1) is not None, frames


# -- limits --

@case
def streams_beyond_max_concurrent_are_refused(port, path):
    with H2Raw(port) as c:
        limit = c.server_settings.get(SettingsFrame.MAX_CONCURRENT_STREAMS)
        assert limit is not None and limit < 10_000, "no stream limit advertised"
        for i in range(limit + 1):
            c.request(1 + 2 * i, path, method="POST", end_stream=False)
        over = 1 + 2 * limit
        frames = c.read_until(lambda f: isinstance(f, GoAwayFrame) or (isinstance(f, RstStreamFrame) and f.stream_id == over))
        assert frames and frames[-1].error_code in (REFUSED_STREAM, PROTOCOL_ERROR), frames[-3:]


@case
def rapid_reset_flood_is_stopped(port, path):
    with H2Raw(port) as c:
        batch = b""
        stream = 1
        try:
            for _ in range(40):
                batch = b"".join(
                    HeadersFrame(s, c.block(c.request_headers(path)), flags=["END_HEADERS"]).serialize()
                    + RstStreamFrame(s, error_code=CANCEL).serialize()
                    for s in range(stream, stream + 200, 2))
                stream += 200
                c.send_raw(batch)
        except Closed:
            pass
        g = c.goaway(timeout=5)
        # libnghttp2's limiter (1.52, backported) ends the connection with INTERNAL_ERROR; others use ENHANCE_YOUR_CALM.
        assert g is not None and g.error_code in (ENHANCE_YOUR_CALM, INTERNAL_ERROR), f"no GOAWAY after {stream // 2} resets: {g}"
        assert g.last_stream_id < stream - 2, "every stream was taken"


def run_all(port: int, path: str) -> dict[str, str]:
    results = {}
    for fn in CASES:
        try:
            fn(port, path)
            results[fn.__name__] = "pass"
        except (AssertionError, Closed, OSError) as e:
            results[fn.__name__] = f"FAIL: {str(e)[:120]}"
    return results


@pytest.fixture(scope="module")
def mock_port(base_url) -> int:
    return int(base_url.rsplit(":", 1)[1])


@pytest.mark.parametrize("conformance_case", CASES, ids=[f.__name__ for f in CASES])
def test_mock_conforms(conformance_case, mock_port):
    conformance_case(mock_port, "/__mock/health")


@pytest.mark.skipif(shutil.which("nghttpd") is None, reason="nghttpd missing (scripts/setup-system)")
def test_nghttpd_control_score():
    with start_nghttpd(b"<html>" + b"control " * 512 + b"</html>\n") as (port, path):
        results = run_all(port, path)
    passed = sum(1 for r in results.values() if r == "pass")
    print(f"\nnghttpd --no-tls control: {passed}/{len(results)}")
    for name, r in results.items():
        if r != "pass":
            print(f"  {name}: {r}")
    # The control proves the harness: a conforming server passes the basic cases.
    for basic in ("preface_settings_exchange_and_ack", "simple_get", "ping_is_answered_with_the_same_data"):
        assert results[basic] == "pass", results[basic]
