"""A raw HTTP/2 client for conformance and fault tests: frames built and parsed with hyperframe,
header blocks with hpack, over a plain socket, so a test can send what no well-behaved client
would (bad frames, wrong stream states, floods) and read exactly what the server answers.

    c = H2Raw(port)            # preface + SETTINGS sent, the server's SETTINGS read and ACKed
    c.request(1, "/__mock/health")
    frames = c.read_until(lambda f: end_of(f, 1))

Also `start_nghttpd` (Debian's nghttpd --no-tls, the control server) and `start_mock_process`
(the binary with extra flags, for cases that need their own server)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import hpack
from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, GoAwayFrame, HeadersFrame, PingFrame,
                              RstStreamFrame, SettingsFrame, WindowUpdateFrame)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Error codes (RFC 9113 §7).
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR = 0x0, 0x1, 0x2, 0x3
STREAM_CLOSED, FRAME_SIZE_ERROR, REFUSED_STREAM, CANCEL = 0x5, 0x6, 0x7, 0x8
COMPRESSION_ERROR, ENHANCE_YOUR_CALM = 0x9, 0xB


class Closed(Exception):
    """The server closed the connection."""


class H2Raw:
    def __init__(self, port: int, *, settings: dict | None = None, handshake: bool = True, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.enc = hpack.Encoder()
        self.dec = hpack.Decoder()
        self.closed = False
        self.server_settings: dict = {}
        if handshake:
            self.sock.sendall(PREFACE + SettingsFrame(0, settings=settings or {}).serialize())
            first = self.read_frame()
            assert isinstance(first, SettingsFrame) and "ACK" not in first.flags, f"server began with {first}"
            self.server_settings = dict(first.settings)
            self.send(SettingsFrame(0, flags=["ACK"]))

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "H2Raw":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- sending --

    def send(self, *frames: Frame) -> None:
        self.send_raw(b"".join(f.serialize() for f in frames))

    def send_raw(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise Closed() from e

    def block(self, headers: list[tuple[str, str]]) -> bytes:
        return self.enc.encode(headers)

    def request_headers(self, path: str, method: str = "GET", extra: list[tuple[str, str]] | None = None,
                        authority: str = "127.0.0.1") -> list[tuple[str, str]]:
        return [(":method", method), (":scheme", "http"), (":authority", authority), (":path", path)] + (extra or [])

    def request(self, stream_id: int, path: str, *, method: str = "GET", extra=None, end_stream: bool = True) -> None:
        flags = ["END_HEADERS"] + (["END_STREAM"] if end_stream else [])
        self.send(HeadersFrame(stream_id, self.block(self.request_headers(path, method, extra)), flags=flags))

    # -- receiving --

    def read_frame(self, timeout: float | None = None) -> Frame | None:
        """The next frame; None on timeout; raises Closed at EOF or reset."""
        if timeout is not None:
            self.sock.settimeout(timeout)
        try:
            while len(self.buf) < 9:
                self._fill()
            frame, length = Frame.parse_frame_header(memoryview(self.buf[:9]))
            while len(self.buf) < 9 + length:
                self._fill()
            frame.parse_body(memoryview(self.buf[9:9 + length]))
            self.buf = self.buf[9 + length:]
            if isinstance(frame, (HeadersFrame, ContinuationFrame)) and frame.data:
                frame.decoded = self.dec.decode(frame.data) if "END_HEADERS" in frame.flags else None
            return frame
        except socket.timeout:
            return None

    def _fill(self) -> None:
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError as e:
            self.closed = True
            raise Closed() from e
        if not data:
            self.closed = True
            raise Closed()
        self.buf += data

    def read_until(self, stop: Callable[[Frame], bool], timeout: float = 5.0) -> list[Frame]:
        """Frames up to and including the first for which `stop` is true (or until close/timeout).
        Answers PINGs? No: every frame is returned as read."""
        frames: list[Frame] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                f = self.read_frame(timeout=max(0.01, deadline - time.monotonic()))
            except Closed:
                break
            if f is None:
                break
            frames.append(f)
            if stop(f):
                break
        return frames

    def goaway(self, timeout: float = 5.0) -> GoAwayFrame | None:
        frames = self.read_until(lambda f: isinstance(f, GoAwayFrame), timeout)
        return next((f for f in frames if isinstance(f, GoAwayFrame)), None)


def end_of(f: Frame, stream_id: int) -> bool:
    """The frame that ends `stream_id` (END_STREAM, or a reset)."""
    return f.stream_id == stream_id and ("END_STREAM" in f.flags or isinstance(f, RstStreamFrame))


def status_of(frames: list[Frame], stream_id: int) -> int | None:
    for f in frames:
        if isinstance(f, HeadersFrame) and f.stream_id == stream_id and getattr(f, "decoded", None):
            return int(dict(f.decoded)[":status"])
    return None


def body_of(frames: list[Frame], stream_id: int) -> bytes:
    return b"".join(f.data for f in frames if isinstance(f, DataFrame) and f.stream_id == stream_id)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


@contextmanager
def start_nghttpd(body: bytes) -> Iterator[tuple[int, str]]:
    """Debian's nghttpd on a free loopback port, cleartext, serving `body` as /index.html."""
    with tempfile.TemporaryDirectory() as root:
        Path(root, "index.html").write_bytes(body)
        port = free_port()
        p = subprocess.Popen(["nghttpd", "--no-tls", "-a", "127.0.0.1", "-d", root, str(port)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_listening(port)
            yield port, "/index.html"
        finally:
            p.terminate()
            p.wait(5)


@contextmanager
def start_mock_process(*args: str) -> Iterator[tuple[int, subprocess.Popen]]:
    """The mock binary with `args` on a free port; SIGTERM (if still running) on exit."""
    binary = os.environ["BYTESPIKE_MOCK_BIN"]
    with tempfile.TemporaryDirectory() as d:
        port_file = Path(d, "port")
        p = subprocess.Popen([binary, "--port", "0", "--port-file", str(port_file), "--log", "off", *args],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 10
            while not (port_file.exists() and port_file.read_text().strip()):
                assert p.poll() is None, p.stderr.read().decode()
                assert time.monotonic() < deadline, "the mock did not write its port file"
                time.sleep(0.02)
            yield int(port_file.read_text()), p
        finally:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(15)
