"""How an unpaced stream is grouped into sends, seen from a real client socket.

On loopback every `send` of the server under 64 KiB arrives as one TCP segment, and Linux counts
the data segments a socket received (`tcp_info.tcpi_data_segs_in`). So the count a client reads
after a stream is at most the number of sends the server made for it (TCP autocorking may merge a
send into one still queued, so it can be lower, never higher): the head goes out with the first
events, every event is still its own HTTP chunk, and `--stream-batch N` sets how they are grouped.
"""

from __future__ import annotations

import json
import socket
import struct

from mockproc import running_mock

KEY = "sk-byts-default-test-key-0001"
WORDS = 47  # a 47-word reply streams as 50 chat events: role, 47 words, finish, [DONE]
TCP_INFO_DATA_SEGS_IN = 152  # offset of tcpi_data_segs_in in struct tcp_info (Linux >= 4.6)


def _stream_once(port: int) -> tuple[bytes, int]:
    """POSTs one streamed chat completion on a fresh connection; returns the body bytes as
    received (chunked) and the number of data segments the socket received."""
    body = json.dumps({"model": "gpt-5-4-mini", "stream": True,
                       "messages": [{"role": "user", "content": "sendcount"}]}).encode()
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head + body)
        data = b""
        while not data.endswith(b"\r\n0\r\n\r\n"):
            chunk = s.recv(65536)
            assert chunk, f"connection closed before the stream ended: {data[-200:]!r}"
            data += chunk
            assert len(data) < 1 << 20
        info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
        (segments,) = struct.unpack_from("<I", info, TCP_INFO_DATA_SEGS_IN)
    return data, segments


def _rule() -> str:
    words = " ".join(["word"] * WORDS)
    return json.dumps({"id": "sendcount", "match": {"contains": "sendcount"}, "reply": {"text": words}})


def _sends(*args: str) -> tuple[int, int]:
    """(events, sends) of one 50-event stream from a mock started with `args`."""
    with running_mock(*args) as mock:
        import httpx
        assert httpx.post(mock.url + "/__mock/replies", content=_rule()).status_code in (200, 201)
        data, segments = _stream_once(mock.port)
    events = data.count(b"data: ")
    return events, segments


def test_default_batch_sends_a_50_event_stream_in_two_sends_with_the_first_event_early():
    events, sends = _sends()
    assert events == WORDS + 3
    # The head and the first 16 events, then the other 34 and the body's end.
    assert 1 <= sends <= 2, f"{sends} sends for {events} events"


def test_stream_batch_1_sends_every_event_alone():
    events, sends = _sends("--stream-batch", "1")
    assert events == WORDS + 3
    # A send per event (autocorking may merge a few on the way).
    assert sends >= events // 2, f"{sends} sends for {events} events"


def test_stream_batch_4_sends_four_events_first_then_sixteen_at_a_time():
    events, sends = _sends("--stream-batch", "4")
    assert events == WORDS + 3
    # 4 events first, then 46 in sends of 16 (16, 16, 14 with the body's end): 4 sends.
    assert 2 <= sends <= 4, f"{sends} sends for {events} events"
