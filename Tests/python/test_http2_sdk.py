"""HTTP/2 (h2c with prior knowledge) end to end: the official SDKs on an httpx2 client with
`http2=True, http1=False`, non-streaming and streaming, many streams multiplexed on one
connection, curl --http2-prior-knowledge, nghttp, the journal's protocol fields, and the
`Upgrade: h2c` regression (still answered over HTTP/1.1, body included).

Runs against the session mock of conftest.py (its debug binary)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading

import httpx2
import pytest
import requests

from sdk_helpers import (DEFAULT, HTTP_TIMEOUT, anthropic_client, genai_client, openai_client, reset_mock)  # noqa: F401

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl missing")


class H2Traffic:
    """An HTTP/2-only httpx2 client that records the HTTP version of every response."""

    def __init__(self) -> None:
        self.versions: list[str] = []

    def on_response(self, response: httpx2.Response) -> None:
        self.versions.append(response.http_version)

    def client(self) -> httpx2.Client:
        return httpx2.Client(http2=True, http1=False, timeout=HTTP_TIMEOUT,
                             event_hooks={"response": [self.on_response]})


def journal(base_url: str, **params) -> list[dict]:
    r = requests.get(base_url + "/__mock/journal", params={"capture": "false", **params}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()["entries"]


def test_openai_chat_over_h2_non_streaming_and_streaming(base_url):
    t = H2Traffic()
    client = openai_client(base_url, http_client=t.client())
    done = client.chat.completions.create(model="gpt-5-4-mini", messages=[{"role": "user", "content": "hello over h2"}])
    assert done.choices[0].message.content
    text = "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(
        model="gpt-5-4-mini", messages=[{"role": "user", "content": "hello over h2"}], stream=True) if c.choices)
    assert text == done.choices[0].message.content
    assert t.versions == ["HTTP/2", "HTTP/2"]


def test_openai_responses_over_h2_streaming(base_url):
    t = H2Traffic()
    client = openai_client(base_url, http_client=t.client())
    events = list(client.responses.create(model="gpt-5-4-mini", input="stream me", stream=True))
    assert events[-1].type == "response.completed"
    assert t.versions == ["HTTP/2"]


def test_anthropic_messages_over_h2_non_streaming_and_streaming(base_url):
    t = H2Traffic()
    client = anthropic_client(base_url, http_client=t.client())
    msg = client.messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=[{"role": "user", "content": "hi h2"}])
    assert msg.content[0].text
    with client.messages.stream(model="claude-sonnet-4-6", max_tokens=64,
                                messages=[{"role": "user", "content": "hi h2"}]) as s:
        streamed = "".join(s.text_stream)
    assert streamed == msg.content[0].text
    assert t.versions == ["HTTP/2", "HTTP/2"]


def test_gemini_over_h2_non_streaming_and_streaming(base_url):
    from google import genai
    from google.genai import types as gtypes
    versions: list[str] = []
    opts = gtypes.HttpOptions(base_url=base_url, timeout=HTTP_TIMEOUT * 1000,
                              httpx_client=httpx2.Client(http2=True, http1=False, timeout=HTTP_TIMEOUT,
                                                         event_hooks={"response": [lambda r: versions.append(r.http_version)]}))
    client = genai.Client(api_key=DEFAULT, http_options=opts)
    r = client.models.generate_content(model="gemini-3-flash", contents="hello gemini over h2")
    assert r.text
    streamed = "".join(c.text or "" for c in client.models.generate_content_stream(model="gemini-3-flash",
                                                                                    contents="hello gemini over h2"))
    assert streamed == r.text
    assert versions and set(versions) == {"HTTP/2"}


def test_many_concurrent_streams_share_one_connection(base_url):
    """24 streaming chats at once through one HTTP/2 client: one TCP connection, 24 streams,
    every stream complete (the bug another mock shipped: two SSE streams on one connection hung).
    24: the default key's account admits 25 requests in flight; more get the gateway's 429."""
    http = httpx2.Client(http2=True, http1=False, timeout=HTTP_TIMEOUT,
                         limits=httpx2.Limits(max_connections=1, max_keepalive_connections=1))
    client = openai_client(base_url, http_client=http)
    session = "h2-many"
    results: list[str] = []
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            chunks = client.chat.completions.create(model="gpt-5-4-mini", stream=True,
                                                    messages=[{"role": "user", "content": f"stream {i}"}],
                                                    extra_headers={"X-Mock-Session": session})
            results.append("".join(c.choices[0].delta.content or "" for c in chunks if c.choices))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert not errors, errors[:3]
    assert len(results) == 24 and all(results)
    entries = journal(base_url, session=session)
    assert len(entries) == 24
    assert {e["protocol"] for e in entries} == {"h2c"}
    assert len({e["h2_connection"] for e in entries}) == 1
    assert len({e["h2_stream"] for e in entries}) == 24
    assert all(e["h2_stream"] % 2 == 1 for e in entries)


def test_journal_says_which_protocol_carried_each_request(base_url):
    requests.get(base_url + "/v1/models", headers={"Authorization": f"Bearer {DEFAULT}", "X-Mock-Session": "proto"},
                 timeout=HTTP_TIMEOUT)
    with httpx2.Client(http2=True, http1=False, timeout=HTTP_TIMEOUT) as c:
        assert c.get(base_url + "/v1/models", headers={"Authorization": f"Bearer {DEFAULT}",
                                                       "X-Mock-Session": "proto"}).http_version == "HTTP/2"
    first, second = journal(base_url, session="proto")
    assert first["protocol"] == "http/1.1" and "h2_stream" not in first
    assert second["protocol"] == "h2c" and second["h2_stream"] == 1 and second["h2_connection"] >= 1


def test_curl_http2_prior_knowledge_gets_http2_responses(base_url):
    out = subprocess.run(["curl", "-s", "-i", "--http2-prior-knowledge", base_url + "/v1/models",
                          "-H", f"Authorization: Bearer {DEFAULT}"], capture_output=True, text=True, timeout=20)
    assert out.stdout.startswith("HTTP/2 200"), out.stdout[:200]
    body = out.stdout.split("\n\n", 1)[1]
    assert json.loads(body)["object"] == "list"
    sse = subprocess.run(["curl", "-s", "-N", "--http2-prior-knowledge", base_url + "/v1/chat/completions",
                          "-H", f"Authorization: Bearer {DEFAULT}", "-H", "content-type: application/json",
                          "-d", json.dumps({"model": "gpt-5-4-mini", "stream": True,
                                            "messages": [{"role": "user", "content": "curl h2"}]})],
                         capture_output=True, text=True, timeout=20)
    assert sse.returncode == 0
    assert sse.stdout.rstrip().endswith("data: [DONE]")


@pytest.mark.skipif(shutil.which("nghttp") is None, reason="nghttp missing (scripts/setup-system)")
def test_nghttp_transcript_shows_settings_and_end_stream(base_url):
    out = subprocess.run(["nghttp", "-nv", base_url + "/v1/models", "-H", f"authorization: Bearer {DEFAULT}"],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    t = out.stdout
    assert "recv SETTINGS frame" in t and "SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100" in t
    assert "SETTINGS_ENABLE_PUSH(0x02):0" in t
    assert "(stream_id=13) :status: 200" in t
    assert "recv DATA frame" in t and "END_STREAM" in t


def test_upgrade_h2c_request_is_answered_over_http1_with_its_body(base_url):
    """Java's HttpClient sends `Upgrade: h2c` on cleartext, on POSTs too: the mock answers over
    HTTP/1.1 (the upgrade is deprecated by RFC 9113) and reads the body as usual."""
    host, port = base_url.removeprefix("http://").split(":")
    body = json.dumps({"model": "gpt-5-4-mini", "messages": [{"role": "user", "content": "upgrade?"}]}).encode()
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: Upgrade, HTTP2-Settings\r\n"
            f"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nAuthorization: Bearer {DEFAULT}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=HTTP_TIMEOUT) as s:
        s.sendall(head + body)
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(65536)
        head_bytes, rest = data.split(b"\r\n\r\n", 1)
        length = next(int(line.split(b":")[1]) for line in head_bytes.split(b"\r\n") if line.lower().startswith(b"content-length"))
        while len(rest) < length:
            rest += s.recv(65536)
    assert head_bytes.startswith(b"HTTP/1.1 200"), head_bytes[:100]
    assert b"101" not in head_bytes.split(b"\r\n")[0]
    assert json.loads(rest[:length])["choices"][0]["message"]["content"]
