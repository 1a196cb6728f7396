"""The four text surfaces over plain HTTP (httpx and raw sockets), for what the SDKs hide:

- SSE framing per protocol (Anthropic `event:`+`data:`, OpenAI data-only ending in `[DONE]`,
  Responses gap-free `sequence_number`, Gemini only `data: ` lines) and the Gemini JSON-array
  stream (flushed element by element, the whole body one JSON array);
- credentials: x-api-key and Bearer on /v1/messages; x-goog-api-key, ?key= and Bearer on Gemini;
- snake_case Gemini bodies; malformed JSON and wrong types answered with each protocol's 400
  envelope (never a 500) on a connection that keeps serving; unknown (404) and retired (400)
  models; capability 400s naming the parameter; protocol-restricted models;
- billing: a completed stream bills once, an in-band error bills nothing, a client abort bills
  the input and the output sent so far; the account concurrency limit (429 `concurrency_limit`)
  while paced streams hold every slot.
"""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from sdk_helpers import (  # noqa: F401  (reset_mock is an autouse fixture)
    BAD, CLAUDE, DEFAULT, STREAM_ERROR_TEXT, THINK, add_rule, in_flight, prompt_tokens, reset_mock,
    usage_rows, wait_for_rows,
)

TIMEOUT = 10.0
CLAUDE_MODEL = "claude-sonnet-4-6"
GPT = "gpt-5-4"
GEM = "gemini-3-flash"


@pytest.fixture
def http(base_url):
    with httpx.Client(base_url=base_url, timeout=TIMEOUT) as client:
        yield client


def bearer(key: str = DEFAULT) -> dict:
    return {"Authorization": f"Bearer {key}"}


def msg_body(text: str = "hello", **kw) -> dict:
    return {"model": CLAUDE_MODEL, "max_tokens": 256, "messages": [{"role": "user", "content": text}], **kw}


def chat_body(text: str = "hello", **kw) -> dict:
    return {"model": GPT, "messages": [{"role": "user", "content": text}], **kw}


def resp_body(text: str = "hello", **kw) -> dict:
    return {"model": GPT, "input": text, **kw}


def gem_body(text: str = "hello", **kw) -> dict:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}], **kw}


def gem_path(model: str = GEM, action: str = "generateContent", version: str = "v1beta") -> str:
    return f"/{version}/models/{model}:{action}"


def sse_blocks(text: str, sep: str = "\n\n") -> list[list[str]]:
    """The events of an SSE body as lists of lines; asserts the body ends with a blank line."""
    assert text.endswith(sep), text[-80:]
    line_sep = sep[: len(sep) // 2]
    return [block.split(line_sep) for block in text[: -len(sep)].split(sep)]


# ---------------------------------------------------------------------------------------------
# SSE framing
# ---------------------------------------------------------------------------------------------

def test_anthropic_sse_every_event_named(http):
    r = http.post("/v1/messages", headers=bearer(), json=msg_body("mock:think", stream=True))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["request-id"] == r.headers["x-request-id"]
    blocks = sse_blocks(r.text)
    names = []
    for lines in blocks:
        assert len(lines) == 2, lines
        assert lines[0].startswith("event: ") and lines[1].startswith("data: ")
        name, data = lines[0][7:], json.loads(lines[1][6:])
        assert data["type"] == name
        names.append(name)
    assert names[0] == "message_start" and names[-1] == "message_stop" and names[-2] == "message_delta"
    assert "ping" in names and "[DONE]" not in r.text
    thinking = "".join(json.loads(b[1][6:])["delta"].get("thinking", "") for b in blocks
                       if b[0] == "event: content_block_delta")
    assert thinking == THINK[0]


def test_openai_chat_sse_is_data_only_and_ends_with_done(http):
    r = http.post("/v1/chat/completions", headers=bearer(),
                  json=chat_body("Count to three.", stream=True, stream_options={"include_usage": True}))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    blocks = sse_blocks(r.text)
    assert all(len(b) == 1 and b[0].startswith("data: ") for b in blocks)
    assert blocks[-1] == ["data: [DONE]"]
    chunks = [json.loads(b[0][6:]) for b in blocks[:-1]]
    assert len({c["id"] for c in chunks}) == 1 and len({c["created"] for c in chunks}) == 1
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == len(chunks) - 3
    assert all(c["usage"] is None for c in chunks[:-1])
    assert "event:" not in r.text


def test_responses_sse_sequence_numbers_gap_free(http):
    r = http.post("/v1/responses", headers=bearer(), json=resp_body("mock:parallel", stream=True, tools=[
        {"type": "function", "name": "get_weather", "parameters": {"type": "object"}},
        {"type": "function", "name": "get_time", "parameters": {"type": "object"}}]))
    assert r.status_code == 200
    blocks = sse_blocks(r.text)
    events = []
    for lines in blocks:
        assert len(lines) == 2 and lines[0].startswith("event: ") and lines[1].startswith("data: ")
        data = json.loads(lines[1][6:])
        assert data["type"] == lines[0][7:]
        events.append(data)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert events[-1]["type"] == "response.completed" and "[DONE]" not in r.text
    assert len({e["response"]["id"] for e in events if "response" in e}) == 1
    added = [e["output_index"] for e in events if e["type"] == "response.output_item.added"]
    assert added == [0, 1]


def test_gemini_sse_only_data_lines_crlf(http):
    r = http.post(gem_path(action="streamGenerateContent") + "?alt=sse", headers={"x-goog-api-key": DEFAULT},
                  json=gem_body("Name a colour."))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    blocks = sse_blocks(r.text, "\r\n\r\n")
    for lines in blocks:
        assert len(lines) == 1 and lines[0].startswith("data: {")
        assert json.loads(lines[0][6:])["modelVersion"] == GEM
    assert "event:" not in r.text and "[DONE]" not in r.text
    last = json.loads(blocks[-1][0][6:])
    assert last["candidates"][0]["finishReason"] == "STOP"


def test_gemini_json_array_stream_is_flushed_incrementally(base_url):
    text = " ".join(f"w{i}" for i in range(16))  # 16 tokens
    add_rule(base_url, {"text": text, "pacing": {"first_token_ms": 0, "tokens_per_second": 40}}, contains="paced-array")
    host, port = base_url.removeprefix("http://").split(":")
    body = json.dumps(gem_body("paced-array")).encode()
    request = (f"POST {gem_path(action='streamGenerateContent')} HTTP/1.1\r\nHost: {host}\r\n"
               f"x-goog-api-key: {DEFAULT}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
               "Connection: close\r\n\r\n").encode() + body
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as s:
        started = time.monotonic()
        s.sendall(request)
        raw = b""
        while b"\r\n\r\n" not in raw:
            raw += s.recv(65536)
        head, rest = raw.split(b"\r\n\r\n", 1)
        while b"[{" not in rest:
            rest += s.recv(65536)
        first_at = time.monotonic() - started
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        total = time.monotonic() - started
    assert b"200 OK" in head.split(b"\r\n")[0]
    assert b"transfer-encoding: chunked" in head.lower() and b"application/json" in head.lower()
    # The paced stream takes ~0.4 s; the first element is there long before the end.
    assert total > 0.3 and first_at < total / 2, (first_at, total)
    payload = _dechunk(rest)
    assert payload.startswith(b"[{") and payload.rstrip().endswith(b"]")
    items = json.loads(payload)
    assert isinstance(items, list) and len(items) == 16
    assert "".join(i["candidates"][0]["content"]["parts"][0]["text"] for i in items) == text
    assert items[-1]["candidates"][0]["finishReason"] == "STOP"
    assert items[-1]["usageMetadata"]["candidatesTokenCount"] == 16


def _dechunk(data: bytes) -> bytes:
    out, i = b"", 0
    while True:
        j = data.index(b"\r\n", i)
        size = int(data[i:j].split(b";")[0], 16)
        if size == 0:
            return out
        out += data[j + 2:j + 2 + size]
        i = j + 2 + size + 2


def test_gemini_json_array_in_band_error_is_last_element(http):
    r = http.post(gem_path(action="streamGenerateContent") + "?alt=json", headers={"x-goog-api-key": DEFAULT},
                  json=gem_body("mock:stream-error"))
    items = json.loads(r.text)
    assert r.status_code == 200 and len(items) == 5
    assert items[-1] == {"error": {"code": 500, "message": "The server had an error while streaming", "status": "INTERNAL"}}
    sent = "".join(i["candidates"][0]["content"]["parts"][0]["text"] for i in items[:-1])
    assert sent == "This answer breaks off" and STREAM_ERROR_TEXT.startswith(sent)


# ---------------------------------------------------------------------------------------------
# credentials
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("style", ["x-api-key", "bearer"])
def test_messages_auth_styles(http, style):
    def headers(key):
        if style == "x-api-key":
            return {"x-api-key": key, "anthropic-version": "2023-06-01"}
        return bearer(key)

    r = http.post("/v1/messages", headers=headers(DEFAULT), json=msg_body())
    assert r.status_code == 200 and r.json()["type"] == "message"
    r = http.post("/v1/messages", headers=headers(BAD), json=msg_body())
    assert r.status_code == 401
    assert r.json() == {"type": "error", "error": {"type": "authentication_error", "message": r.json()["error"]["message"]},
                        "request_id": r.headers["request-id"]}


@pytest.mark.parametrize("style", ["x-goog-api-key", "query", "bearer"])
def test_gemini_auth_styles(http, style):
    def call(key):
        if style == "x-goog-api-key":
            return http.post(gem_path(), headers={"x-goog-api-key": key}, json=gem_body())
        if style == "query":
            return http.post(gem_path() + f"?key={key}", json=gem_body())
        return http.post(gem_path(), headers=bearer(key), json=gem_body())

    r = call(DEFAULT)
    assert r.status_code == 200 and r.json()["candidates"][0]["finishReason"] == "STOP"
    r = call(BAD)
    assert r.status_code == 401 and r.json()["error"]["code"] == 401 and r.json()["error"]["status"] == "UNAUTHENTICATED"


def test_missing_key_on_every_surface(http):
    assert http.post("/v1/messages", json=msg_body()).json()["error"]["type"] == "authentication_error"
    assert http.post("/v1/chat/completions", json=chat_body()).json()["error"]["code"] == "invalid_api_key"
    assert http.post(gem_path(), json=gem_body()).json()["error"]["status"] == "UNAUTHENTICATED"


# ---------------------------------------------------------------------------------------------
# Gemini snake_case
# ---------------------------------------------------------------------------------------------

def test_gemini_snake_case_body(http, base_url):
    add_rule(base_url, {"text": "one two three four five"}, contains="snake-text")
    system = "Reply in English."
    body = {
        "contents": [{"role": "user", "parts": [{"text": "snake-text please"}]}],
        "system_instruction": {"parts": [{"text": system}]},
        "generation_config": {"max_output_tokens": 3, "stop_sequences": ["nothing"], "thinking_config": {"thinking_budget": 0}},
    }
    r = http.post(gem_path(), headers={"x-goog-api-key": DEFAULT}, json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["candidates"][0]["content"]["parts"][0]["text"] == "one two three"
    assert out["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert out["usageMetadata"]["promptTokenCount"] == prompt_tokens("snake-text please", system=system)

    tools = {
        "contents": [{"role": "user", "parts": [{"text": "What is the weather in Turin?"}]}],
        "tools": [{"function_declarations": [{"name": "get_weather", "parameters_json_schema": {
            "type": "object", "properties": {"city": {"type": "string"}}}}]}],
        "tool_config": {"function_calling_config": {"mode": "ANY"}},
    }
    r = http.post(gem_path(), headers={"x-goog-api-key": DEFAULT}, json=tools)
    assert r.status_code == 200, r.text
    part = r.json()["candidates"][0]["content"]["parts"][0]
    assert part["functionCall"] == {"name": "get_weather", "args": {"city": "Turin"}}
    camel = http.post(gem_path(), headers={"x-goog-api-key": DEFAULT}, json={
        "contents": tools["contents"],
        "tools": [{"functionDeclarations": [{"name": "get_weather", "parametersJsonSchema": {
            "type": "object", "properties": {"city": {"type": "string"}}}}]}],
        "toolConfig": {"functionCallingConfig": {"mode": "ANY"}}})
    assert camel.json()["candidates"][0]["content"]["parts"] == [part]
    assert camel.json()["usageMetadata"] == r.json()["usageMetadata"]


# ---------------------------------------------------------------------------------------------
# malformed bodies: each protocol's 400 envelope, never a 500, and the connection keeps serving
# ---------------------------------------------------------------------------------------------

SURFACES = {
    "messages": ("/v1/messages", msg_body),
    "chat": ("/v1/chat/completions", chat_body),
    "responses": ("/v1/responses", resp_body),
    "gemini": (gem_path(), gem_body),
    "count_tokens": ("/v1/messages/count_tokens", lambda: {"model": CLAUDE_MODEL, "messages": [{"role": "user", "content": "x"}]}),
    "gemini_count": (gem_path(action="countTokens"), gem_body),
}


def check_400(surface: str, r: httpx.Response) -> dict:
    assert r.status_code == 400, (surface, r.status_code, r.text)
    body = r.json()
    if surface in ("messages", "count_tokens"):
        assert set(body) == {"type", "error", "request_id"} and body["type"] == "error"
        assert body["error"]["type"] == "invalid_request_error" and body["error"]["message"]
    elif surface in ("chat", "responses"):
        assert set(body["error"]) == {"message", "type", "param", "code"}
        assert body["error"]["type"] == "invalid_request_error"
    else:
        assert body["error"]["code"] == 400 and body["error"]["status"] == "INVALID_ARGUMENT"
    return body


BROKEN = [b'{"model": "x",', b"[1, 2]", b"not json", b"", b'{"a": 1} trailing', b'"just a string"', b"\xff\xfe{}"]


@pytest.mark.parametrize("surface", list(SURFACES))
def test_malformed_json_is_400_and_connection_keeps_serving(http, surface):
    path, make = SURFACES[surface]
    for raw in BROKEN:
        r = http.post(path, headers={**bearer(), "Content-Type": "application/json"}, content=raw)
        check_400(surface, r)
    ok = http.post(path, headers=bearer(), json=make())
    assert ok.status_code == 200, ok.text


WRONG_TYPES = {
    "messages": [({"max_tokens": "9"}, "max_tokens"), ({"messages": {"role": "user"}}, "messages"),
                 ({"model": 7}, "model"), ({"system": 3}, "system"), ({"stream": "yes"}, "stream"),
                 ({"tools": [{"name": "t"}]}, "input_schema"), ({"messages": [{"role": "user", "content": [{"type": "video"}]}]}, "video")],
    "chat": [({"messages": "hi"}, "messages"), ({"max_tokens": 1.5}, "max_tokens"), ({"stream": 1}, "stream"),
             ({"tools": [{"type": "function"}]}, "tools[0].function"), ({"n": "1"}, "n"), ({"model": None}, "model"),
             ({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, "messages[0].content[0].image_url")],
    "responses": [({"input": 1}, "input"), ({"max_output_tokens": "2"}, "max_output_tokens"),
                  ({"store": "no"}, "store"), ({"input": [{"role": "user"}]}, "input[0].content"),
                  ({"metadata": []}, "metadata"), ({"previous_response_id": 5}, "previous_response_id")],
    "gemini": [({"contents": "hi"}, "contents"), ({"contents": []}, "contents"),
               ({"generationConfig": {"maxOutputTokens": "x"}}, "maxOutputTokens"),
               ({"contents": [{"parts": [{"text": 5}]}]}, "text"), ({"contents": [{"parts": [{}]}]}, "part"),
               ({"tools": [{"functionDeclarations": [{"description": "no name"}]}]}, "name")],
}


@pytest.mark.parametrize("surface,patch,needle", [(s, p, n) for s, cases in WRONG_TYPES.items() for p, n in cases],
                         ids=[f"{s}-{n}" for s, cases in WRONG_TYPES.items() for _, n in cases])
def test_wrong_types_are_400_naming_the_field(http, base_url, surface, patch, needle):
    path, make = SURFACES[surface]
    r = http.post(path, headers=bearer(), json={**make(), **patch})
    body = check_400(surface, r)
    if surface in ("chat", "responses"):
        assert body["error"]["param"] == needle, body
    else:
        assert needle in body["error"]["message"], body
    assert usage_rows(base_url) == []


# ---------------------------------------------------------------------------------------------
# models: unknown, retired, protocol-restricted, capabilities
# ---------------------------------------------------------------------------------------------

def test_unknown_model_per_protocol(http):
    r = http.post("/v1/messages", headers=bearer(), json=msg_body(model="claude-x"))
    assert r.status_code == 404 and r.json()["error"] == {"type": "not_found_error", "message": "model: claude-x"}
    for path, body in [("/v1/chat/completions", chat_body(model="gpt-x")), ("/v1/responses", resp_body(model="gpt-x"))]:
        r = http.post(path, headers=bearer(), json=body)
        assert r.status_code == 404
        assert r.json()["error"] == {"message": "The model `gpt-x` does not exist or you do not have access to it.",
                                     "type": "not_found_error", "param": "model", "code": "model_not_found"}
    for version in ("v1", "v1beta"):
        r = http.post(gem_path("gemini-x", version=version), headers={"x-goog-api-key": DEFAULT}, json=gem_body())
        assert r.status_code == 404
        assert r.json()["error"]["code"] == 404 and r.json()["error"]["status"] == "NOT_FOUND"
        assert r.json()["error"]["message"].startswith("models/gemini-x is not found")


@pytest.mark.parametrize("surface,retired", [("messages", "claude-3-5-haiku-20241022"), ("chat", "gpt-4o-mini"),
                                             ("responses", "o1-preview"), ("gemini", "gpt-5-nano")])
def test_retired_slug_is_400_unsupported_model(http, fixtures, surface, retired):
    path, make = SURFACES[surface]
    replacement = next(r["replacement"] for r in fixtures.retired if r["id"] == retired)
    if surface == "gemini":
        r = http.post(gem_path(retired), headers=bearer(), json=make())
    else:
        r = http.post(path, headers=bearer(), json={**make(), "model": retired})
    body = check_400(surface, r)
    message = body["error"]["message"]
    assert "retired" in message and replacement in message
    if surface in ("chat", "responses"):
        assert body["error"]["code"] == "unsupported_model" and body["error"]["param"] == "model"


PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
CAPABILITY_CASES = [
    # (surface, model, body patch, param (OpenAI shapes) or message fragment)
    ("messages", "deepseek-v3-2", {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "what is this"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}]}]}, "image input"),
    ("chat", "deepseek-v3-2", {"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}]}]}, "messages"),
    ("responses", "deepseek-v3-2", {"input": [{"role": "user", "content": [
        {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"}]}]}, "input"),
    ("gemini", "deepseek-v3-2", {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": PNG}}]}]},
     "image input"),
    ("messages", "deepseek-r1", {"tools": [{"name": "t", "input_schema": {"type": "object"}}]}, "tools"),
    ("chat", "deepseek-r1", {"tools": [{"type": "function", "function": {"name": "t"}}]}, "tools"),
    ("responses", "deepseek-r1", {"tools": [{"type": "function", "name": "t", "parameters": {}}]}, "tools"),
    ("gemini", "deepseek-r1", {"tools": [{"functionDeclarations": [{"name": "t"}]}]}, "tools"),
    ("chat", "deepseek-v3-2", {"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}},
     "response_format"),
    ("responses", "kimi-k2-5", {"text": {"format": {"type": "json_schema", "name": "x", "schema": {}}}}, None),
    ("responses", "deepseek-v3-2", {"text": {"format": {"type": "json_schema", "name": "x", "schema": {}}}}, "text.format"),
    ("gemini", "deepseek-v3-2", {"generationConfig": {"responseSchema": {"type": "object"}}}, "JSON schema"),
    ("chat", "glm-5", {"logprobs": True}, "logprobs"),
    ("gemini", "gemini-3-flash", {"generationConfig": {"responseLogprobs": True}}, "logprobs"),
    ("chat", "doubao-seed-1.5-pro", {"stream": True}, "stream"),
    ("messages", "doubao-seed-1.5-pro", {"stream": True}, "streaming"),
    ("responses", "doubao-seed-1.5-pro", {"stream": True}, "stream"),
]


@pytest.mark.parametrize("surface,model,patch,expect", CAPABILITY_CASES,
                         ids=[f"{c[0]}-{c[1]}-{next(iter(c[2]))}" for c in CAPABILITY_CASES])
def test_capability_errors(http, surface, model, patch, expect):
    path, make = SURFACES[surface]
    if surface == "gemini":
        r = http.post(gem_path(model), headers=bearer(), json={**make(), **patch})
    else:
        r = http.post(path, headers=bearer(), json={**make(), "model": model, **patch})
    if expect is None:  # kimi-k2-5 has json_schema: served
        assert r.status_code == 200, r.text
        return
    body = check_400(surface, r)
    if surface in ("chat", "responses"):
        assert body["error"]["param"] == expect and body["error"]["code"].startswith("unsupported_")
    else:
        assert expect in body["error"]["message"], body


def test_gemini_stream_to_a_model_without_streaming(http):
    r = http.post(gem_path("doubao-seed-1.5-pro", "streamGenerateContent") + "?alt=sse", headers=bearer(), json=gem_body())
    body = check_400("gemini", r)
    assert "streaming" in body["error"]["message"]
    assert http.post(gem_path("doubao-seed-1.5-pro"), headers=bearer(), json=gem_body()).status_code == 200


def test_deepseek_anthropic_only_on_messages(http):
    r = http.post("/v1/messages", headers=bearer(CLAUDE), json=msg_body(model="deepseek-v3-anthropic"))
    assert r.status_code == 200 and r.json()["model"] == "deepseek-v3-anthropic"
    r = http.post("/v1/chat/completions", headers=bearer(CLAUDE), json=chat_body(model="deepseek-v3-anthropic"))
    body = check_400("chat", r)
    assert body["error"]["code"] == "unsupported_model" and body["error"]["param"] == "model"
    r = http.post(gem_path("deepseek-v3-anthropic"), headers=bearer(), json=gem_body())
    check_400("gemini", r)


def test_image_model_on_a_text_surface(http):
    body = check_400("chat", http.post("/v1/chat/completions", headers=bearer(), json=chat_body(model="gpt-image-2")))
    assert body["error"]["code"] == "unsupported_model" and "/v1/images/generations" in body["error"]["message"]


def test_bad_pacing_header(http):
    r = http.post("/v1/chat/completions", headers={**bearer(), "X-Mock-Pacing": "ttft=abc"}, json=chat_body())
    body = check_400("chat", r)
    assert body["error"]["param"] == "X-Mock-Pacing"


# ---------------------------------------------------------------------------------------------
# billing of streams
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("surface", ["messages", "chat", "responses", "gemini"])
def test_completed_stream_bills_once_and_in_band_error_bills_nothing(http, base_url, surface):
    path, make = SURFACES[surface]
    if surface == "gemini":
        path = gem_path(action="streamGenerateContent") + "?alt=sse"
        ok_body, err_body = make("Bill this."), make("mock:stream-error")
    else:
        ok_body, err_body = make("Bill this.", stream=True), make("mock:stream-error", stream=True)
    r = http.post(path, headers=bearer(), json=err_body)
    assert r.status_code == 200 and "The server had an error while streaming" in r.text
    r = http.post(path, headers=bearer(), json=ok_body)
    assert r.status_code == 200
    rows = wait_for_rows(base_url, 1)
    time.sleep(0.05)
    rows = usage_rows(base_url)
    assert [row["request_id"] for row in rows] == [r.headers["x-request-id"]]
    assert rows[0]["surface"] == surface
    assert rows[0]["prompt_tokens"] == prompt_tokens("Bill this.")
    assert rows[0]["completion_tokens"] > 0


@pytest.mark.parametrize("surface", ["messages", "chat", "responses", "gemini"])
def test_client_abort_bills_input_and_partial_output(http, base_url, surface):
    text = " ".join(["word"] * 40)  # 40 tokens
    add_rule(base_url, {"text": text, "pacing": {"tokens_per_second": 50}}, contains="abort-me")
    path, make = SURFACES[surface]
    body = make("abort-me") if surface == "gemini" else make("abort-me", stream=True)
    if surface == "gemini":
        path = gem_path(action="streamGenerateContent") + "?alt=sse"
    lines = 0
    with http.stream("POST", path, headers=bearer(), json=body) as r:
        assert r.status_code == 200
        request_id = r.headers["x-request-id"]
        for line in r.iter_lines():
            if line.startswith("data: "):
                lines += 1
            if lines >= 6:
                break
    rows = wait_for_rows(base_url, 1)
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["request_id"] == request_id and row["surface"] == surface
    assert row["prompt_tokens"] == prompt_tokens("abort-me")
    assert 1 <= row["completion_tokens"] < 40, row
    assert row["credits"] > 0
    deadline = time.monotonic() + 2
    while in_flight(base_url) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert in_flight(base_url) == 0


def test_paced_stream_timing_header(http):
    """`X-Mock-Pacing: ttft=…` delays the first event by about that much."""
    started = time.monotonic()
    with http.stream("POST", "/v1/chat/completions", headers={**bearer(), "X-Mock-Pacing": "ttft=150, tps=0"},
                     json=chat_body("hi", stream=True)) as r:
        lines = r.iter_lines()
        first = next(lines)
        first_at = time.monotonic() - started
        rest = list(lines)
    assert first.startswith("data: {") and 0.14 <= first_at < 2
    assert "data: [DONE]" in rest


# ---------------------------------------------------------------------------------------------
# concurrency
# ---------------------------------------------------------------------------------------------

def test_concurrency_limit_while_streams_hold_every_slot(base_url, fixtures):
    account = fixtures.keys["key_default"]["account"]
    limit = {"free": 5, "pro": 25, "max": 100, "enterprise": 500}[fixtures.accounts[account]["tier"]]
    balance = httpx.get(base_url + "/v1/balance", headers=bearer(), timeout=TIMEOUT).json()
    assert balance["concurrency_limit"] == limit
    held: list[tuple[httpx.Client, httpx.Response]] = []
    try:
        for i in range(limit):
            c = httpx.Client(base_url=base_url, timeout=TIMEOUT)
            # 10 tokens/s: each stream lasts several seconds, and a closed one is noticed at its next event.
            req = c.build_request("POST", "/v1/chat/completions", headers={**bearer(), "X-Mock-Pacing": "tps=10"},
                                  json=chat_body(f"hold {i}", stream=True))
            resp = c.send(req, stream=True)
            assert resp.status_code == 200
            held.append((c, resp))
        assert in_flight(base_url) == limit
        # Every surface of every key of the account is refused while the slots are held.
        with httpx.Client(base_url=base_url, timeout=TIMEOUT) as c:
            r = c.post("/v1/chat/completions", headers=bearer(), json=chat_body())
            assert r.status_code == 429 and r.json()["error"]["code"] == "concurrency_limit"
            assert r.headers["retry-after"] == "1"
            r = c.post("/v1/messages", headers=bearer(CLAUDE), json=msg_body())
            assert r.status_code == 429 and r.json()["error"]["type"] == "rate_limit_error"
            r = c.post(gem_path(), headers={"x-goog-api-key": DEFAULT}, json=gem_body())
            assert r.status_code == 429 and r.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
            # Another account is not affected; free endpoints still answer.
            r = c.post("/v1/chat/completions", headers=bearer("sk-byts-org-test-key-0001"), json=chat_body())
            assert r.status_code == 200
            assert c.get("/v1/models", headers=bearer()).status_code == 200
    finally:
        for c, resp in held:
            resp.close()
            c.close()
    deadline = time.monotonic() + 3
    while in_flight(base_url) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert in_flight(base_url) == 0
    r = httpx.post(base_url + "/v1/chat/completions", headers=bearer(), json=chat_body(), timeout=TIMEOUT)
    assert r.status_code == 200
    # Each aborted hold billed its input and the output it had sent.
    rows = [row for row in usage_rows(base_url) if row["request_id"] != r.headers["x-request-id"]]
    assert len(rows) == limit
    assert sorted(row["prompt_tokens"] for row in rows) == sorted(prompt_tokens(f"hold {i}") for i in range(limit))
    assert all(row["surface"] == "chat" for row in rows), [r["completion_tokens"] for r in rows]


# ---------------------------------------------------------------------------------------------
# server bugs found by this suite (see each test's docstring)
# ---------------------------------------------------------------------------------------------

def test_abort_while_waiting_for_the_first_token_releases_the_slot_at_once(http, base_url):
    """A client that goes away before the first event (here during a 1.5 s time-to-first-token)
    must release its concurrency slot and be billed at once: its input and no output, since
    nothing was sent. The mock only notices the disconnect at its next scheduled write, so the
    slot stays held until the first token is due, and the write that discovers the disconnect is
    billed as output the client never received."""
    try:
        with http.stream("POST", "/v1/chat/completions", headers={**bearer(), "X-Mock-Pacing": "ttft=1500"},
                         json=chat_body("leave early", stream=True)) as r:
            assert r.status_code == 200
            request_id = r.headers["x-request-id"]
        closed = time.monotonic()
        while in_flight(base_url) and time.monotonic() - closed < 0.5:
            time.sleep(0.02)
        assert in_flight(base_url) == 0, "the slot is still held 0.5 s after the client closed the stream"
        rows = usage_rows(base_url)
        assert [row["request_id"] for row in rows] == [request_id]
        assert rows[0]["prompt_tokens"] == prompt_tokens("leave early")
        assert rows[0]["completion_tokens"] == 0
    finally:
        deadline = time.monotonic() + 3  # never leave a live stream to bill into the next test
        while in_flight(base_url) and time.monotonic() < deadline:
            time.sleep(0.02)


def test_stream_open_across_a_reset_does_not_bill_into_the_reset_state(http, base_url):
    """POST /__mock/reset puts the ledger and in-flight counts back to the fixture state. A stream
    admitted before the reset must not bill into the fresh ledger when it ends afterwards, nor
    release a slot that a request admitted after the reset holds."""
    headers = {**bearer(), "X-Mock-Pacing": "tps=100"}  # ~0.6 s of output
    with http.stream("POST", "/v1/chat/completions", headers=headers, json=chat_body("before", stream=True)) as old:
        old_lines = old.iter_lines()
        next(old_lines)
        r = httpx.post(base_url + "/__mock/reset", timeout=TIMEOUT)
        assert r.json() == {"status": "reset"}
        with http.stream("POST", "/v1/chat/completions", headers={**bearer(), "X-Mock-Pacing": "ttft=1000"},
                         json=chat_body("after", stream=True)) as new:
            try:
                assert new.status_code == 200
                list(old_lines)  # the old stream runs to completion while the new one waits
                time.sleep(0.05)
                assert in_flight(base_url) == 1, "the old stream's release freed the new stream's slot"
                assert usage_rows(base_url) == [], "the stream admitted before the reset billed into the new ledger"
            finally:
                list(new.iter_lines())  # let it end (and bill) inside this test
