"""The openai SDK (3.54.0) against /v1/chat/completions and /v1/models.

Covers create, `stream=True` iteration and the `chat.completions.stream()` helper (same text and
token counts as the non-streamed answer), tool calls (single, parallel, a tool-result turn),
`reasoning_content`, refusals, stop and max_tokens (`length`), logprobs, structured output through
`chat.completions.parse`, the model list, every error status mapped to the SDK's exception class
(with `param`/`code`), the retry policy (counted with an httpx2 event hook) and billing.
"""

from __future__ import annotations

import json
import time

import openai
import pydantic
import pytest

from sdk_helpers import (  # noqa: F401  (reset_mock is an autouse fixture)
    BAD, BROKE, CLAUDE, PARALLEL_CALLS, REFUSAL, STREAM_ERROR_TEXT, THINK, TIME_SCHEMA, TINY, WEATHER_CALL,
    WEATHER_SCHEMA, Traffic, add_rule, count_tokens, exhaust_tiny_quota, openai_client, prompt_tokens, reset_mock,
    scripted_error, usage_rows, wait_for_rows,
)

MODEL = "gpt-5-4"
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city", "parameters": WEATHER_SCHEMA}},
    {"type": "function", "function": {"name": "get_time", "description": "Time in a timezone", "parameters": TIME_SCHEMA}},
]


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def calls_of(message) -> list[tuple[str, dict]]:
    return [(c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls or []]


# ---------------------------------------------------------------------------------------------
# create and stream
# ---------------------------------------------------------------------------------------------

def test_create_scripted_text_usage_and_request_id(base_url):
    reply = "Hello from the chat surface."
    add_rule(base_url, {"text": reply}, contains="chat-basic", surface="chat")
    traffic = Traffic()
    client = openai_client(base_url, traffic=traffic)
    prompt = "chat-basic please"
    c = client.chat.completions.create(model=MODEL, messages=[{"role": "system", "content": "Be kind."}] + user(prompt))
    assert c.object == "chat.completion" and c.model == MODEL and c.id.startswith("chatcmpl-")
    assert c.created > 1_600_000_000
    choice = c.choices[0]
    assert choice.index == 0 and choice.finish_reason == "stop"
    assert choice.message.role == "assistant" and choice.message.content == reply
    assert choice.message.refusal is None and choice.message.tool_calls is None
    assert c.usage.prompt_tokens == prompt_tokens(prompt, system="Be kind.")
    assert c.usage.completion_tokens == count_tokens(reply) == 7  # "surface" is 2
    assert c.usage.total_tokens == c.usage.prompt_tokens + c.usage.completion_tokens
    assert c.usage.completion_tokens_details.reasoning_tokens == 0
    assert c.usage.prompt_tokens_details.cached_tokens == 0
    assert c._request_id == traffic.last_header("x-request-id")
    assert traffic.attempts == 1


def test_stream_iteration_matches_create(base_url):
    traffic = Traffic()
    client = openai_client(base_url, traffic=traffic)
    kwargs = dict(model=MODEL, messages=user("Describe a quiet harbour town in the north."))
    created = client.chat.completions.create(**kwargs)
    assert created.choices[0].message.content.endswith(f"({MODEL})")

    stream = client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **kwargs)
    chunks = list(stream)
    assert stream.response.headers["x-request-id"] == traffic.last_header("x-request-id")
    assert {c.id for c in chunks} == {chunks[0].id} and chunks[0].id.startswith("chatcmpl-")
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    assert {c.model for c in chunks} == {MODEL}
    assert chunks[0].choices[0].delta.role == "assistant"
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == created.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert all(c.usage is None for c in chunks[:-1])
    assert chunks[-1].usage.prompt_tokens == created.usage.prompt_tokens
    assert chunks[-1].usage.completion_tokens == created.usage.completion_tokens
    assert chunks[-1].usage.total_tokens == created.usage.total_tokens


def test_stream_without_include_usage_has_no_usage_chunk(base_url):
    client = openai_client(base_url)
    chunks = list(client.chat.completions.create(model=MODEL, messages=user("Hi"), stream=True))
    assert all(c.choices for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(getattr(c, "usage", None) is None for c in chunks)


def test_stream_helper_get_final_completion(base_url):
    client = openai_client(base_url)
    kwargs = dict(model=MODEL, messages=user("Name three rivers of Europe."))
    created = client.chat.completions.create(**kwargs)
    deltas: list[str] = []
    with client.chat.completions.stream(stream_options={"include_usage": True}, **kwargs) as stream:
        for event in stream:
            if event.type == "content.delta" and event.delta:
                deltas.append(event.delta)
            if event.type == "content.done":
                assert event.content == created.choices[0].message.content
        final = stream.get_final_completion()
    assert "".join(deltas) == final.choices[0].message.content == created.choices[0].message.content
    assert len(deltas) == created.usage.completion_tokens
    assert final.choices[0].finish_reason == "stop"
    assert final.usage.prompt_tokens == created.usage.prompt_tokens
    assert final.usage.completion_tokens == created.usage.completion_tokens


# ---------------------------------------------------------------------------------------------
# tools, reasoning, refusal
# ---------------------------------------------------------------------------------------------

def test_single_tool_call(base_url):
    client = openai_client(base_url)
    kwargs = dict(model=MODEL, tools=TOOLS, messages=user("mock:weather in Paris"))
    c = client.chat.completions.create(**kwargs)
    msg = c.choices[0].message
    assert c.choices[0].finish_reason == "tool_calls"
    assert msg.content is None
    assert calls_of(msg) == [WEATHER_CALL]
    assert msg.tool_calls[0].id.startswith("call_") and msg.tool_calls[0].type == "function"
    assert c.usage.completion_tokens == count_tokens(msg.tool_calls[0].function.arguments)

    args_done = []
    with client.chat.completions.stream(**kwargs) as stream:
        for event in stream:
            if event.type == "tool_calls.function.arguments.done":
                args_done.append((event.name, event.parsed_arguments if event.parsed_arguments else json.loads(event.arguments)))
        final = stream.get_final_completion()
    assert args_done == [WEATHER_CALL]
    fmsg = final.choices[0].message
    assert final.choices[0].finish_reason == "tool_calls"
    assert calls_of(fmsg) == [WEATHER_CALL]
    assert fmsg.tool_calls[0].id == msg.tool_calls[0].id
    assert not fmsg.content  # None non-streamed; the stream's first delta carries content ""


def test_parallel_tool_calls_streamed_by_index(base_url):
    client = openai_client(base_url)
    kwargs = dict(model=MODEL, tools=TOOLS, messages=user("mock:parallel"))
    c = client.chat.completions.create(**kwargs)
    assert calls_of(c.choices[0].message) == PARALLEL_CALLS
    chunks = list(client.chat.completions.create(stream=True, **kwargs))
    fragments: dict[int, dict] = {}
    for chunk in chunks:
        for tc in chunk.choices[0].delta.tool_calls or []:
            f = fragments.setdefault(tc.index, {"id": None, "name": None, "arguments": ""})
            if tc.id:
                f["id"] = tc.id
            if tc.function.name:
                f["name"] = tc.function.name
            f["arguments"] += tc.function.arguments or ""
    assert sorted(fragments) == [0, 1]
    assert [(fragments[i]["name"], json.loads(fragments[i]["arguments"])) for i in (0, 1)] == PARALLEL_CALLS
    assert [fragments[i]["id"] for i in (0, 1)] == [t.id for t in c.choices[0].message.tool_calls]


def test_default_tool_call_and_tool_result_turn(base_url):
    client = openai_client(base_url)
    question = "What's the weather in Oslo today?"
    first = client.chat.completions.create(model=MODEL, tools=TOOLS, messages=user(question))
    msg = first.choices[0].message
    assert calls_of(msg) == [("get_weather", {"city": "Oslo", "unit": "celsius"})]
    history = user(question) + [
        msg.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": msg.tool_calls[0].id, "content": "-3 C, snow"},
    ]
    second = client.chat.completions.create(model=MODEL, tools=TOOLS, messages=history)
    assert second.choices[0].finish_reason == "stop"
    assert "-3 C, snow" in second.choices[0].message.content
    forced = client.chat.completions.create(model=MODEL, tools=TOOLS, messages=user("hello"),
                                            tool_choice={"type": "function", "function": {"name": "get_time"}})
    assert [n for n, _ in calls_of(forced.choices[0].message)] == ["get_time"]
    required = client.chat.completions.create(model=MODEL, tools=TOOLS, messages=user("hello"), tool_choice="required")
    assert [n for n, _ in calls_of(required.choices[0].message)] == ["get_weather"]
    none = client.chat.completions.create(model=MODEL, tools=TOOLS, messages=user("weather in Oslo?"), tool_choice="none")
    assert none.choices[0].message.tool_calls is None and none.choices[0].finish_reason == "stop"


def test_reasoning_content(base_url):
    client = openai_client(base_url)
    kwargs = dict(model="deepseek-r1", reasoning_effort="high", messages=user("mock:think"))
    c = client.chat.completions.create(**kwargs)
    msg = c.choices[0].message
    assert msg.reasoning_content == THINK[0] and msg.content == THINK[1]
    assert c.usage.completion_tokens_details.reasoning_tokens == count_tokens(THINK[0])
    assert c.usage.completion_tokens == count_tokens(THINK[0]) + count_tokens(THINK[1])

    chunks = list(client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **kwargs))
    reasoning = "".join(getattr(ch.choices[0].delta, "reasoning_content", None) or "" for ch in chunks if ch.choices)
    content = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert (reasoning, content) == THINK
    assert chunks[-1].usage.completion_tokens_details.reasoning_tokens == c.usage.completion_tokens_details.reasoning_tokens
    with client.chat.completions.stream(**kwargs) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.reasoning_content == THINK[0]
    assert final.choices[0].message.content == THINK[1]


def test_default_reasoning_on_a_thinking_model_only(base_url):
    client = openai_client(base_url)
    r1 = client.chat.completions.create(model="deepseek-r1", reasoning_effort="low", messages=user("Is 7 prime?"))
    assert "Is 7 prime?" in r1.choices[0].message.reasoning_content
    assert r1.usage.completion_tokens_details.reasoning_tokens == count_tokens(r1.choices[0].message.reasoning_content)
    gpt = client.chat.completions.create(model=MODEL, reasoning_effort="low", messages=user("Is 7 prime?"))
    assert getattr(gpt.choices[0].message, "reasoning_content", None) is None
    assert gpt.usage.completion_tokens_details.reasoning_tokens == 0


def test_refusal(base_url):
    client = openai_client(base_url)
    c = client.chat.completions.create(model=MODEL, messages=user("mock:refuse"))
    msg = c.choices[0].message
    assert msg.refusal == REFUSAL and msg.content is None
    assert c.choices[0].finish_reason == "stop"
    chunks = list(client.chat.completions.create(model=MODEL, messages=user("mock:refuse"), stream=True))
    assert "".join(ch.choices[0].delta.refusal or "" for ch in chunks) == REFUSAL
    with client.chat.completions.stream(model=MODEL, messages=user("mock:refuse")) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.refusal == REFUSAL


# ---------------------------------------------------------------------------------------------
# stop, max_tokens, logprobs, structured output
# ---------------------------------------------------------------------------------------------

SCRIPT = "alpha beta gamma delta epsilon zeta"


@pytest.mark.parametrize("streamed", [False, True], ids=["create", "stream"])
def test_stop_and_length(base_url, streamed):
    add_rule(base_url, {"text": SCRIPT}, contains="greek")
    client = openai_client(base_url)

    def run(**kw):
        if not streamed:
            c = client.chat.completions.create(model=MODEL, messages=user("greek"), **kw)
            return c.choices[0].message.content, c.choices[0].finish_reason, c.usage.completion_tokens
        chunks = list(client.chat.completions.create(model=MODEL, messages=user("greek"), stream=True,
                                                     stream_options={"include_usage": True}, **kw))
        text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
        finish = [ch.choices[0].finish_reason for ch in chunks if ch.choices and ch.choices[0].finish_reason]
        return text, finish[0], chunks[-1].usage.completion_tokens

    assert run(stop=["delta", "nothing"]) == ("alpha beta gamma ", "stop", 4)
    assert run(stop="beta") == ("alpha ", "stop", 2)
    assert run(max_tokens=2) == ("alpha beta", "length", 2)
    assert run(max_completion_tokens=5) == ("alpha beta gamma delta epsilo", "length", 5)  # 6-byte tokens


def test_logprobs(base_url):
    add_rule(base_url, {"text": "Hello, world!"}, contains="lp")
    client = openai_client(base_url)
    c = client.chat.completions.create(model=MODEL, messages=user("lp"), logprobs=True, top_logprobs=3)
    entries = c.choices[0].logprobs.content
    assert [e.token for e in entries] == ["Hello", ",", " world", "!"]
    for e in entries:
        assert -0.2 <= e.logprob < 0 and e.bytes == list(e.token.encode())
        assert len(e.top_logprobs) == 3 and e.top_logprobs[0].token == e.token
        assert [t.logprob for t in e.top_logprobs] == sorted((t.logprob for t in e.top_logprobs), reverse=True)
    chunks = list(client.chat.completions.create(model=MODEL, messages=user("lp"), logprobs=True, top_logprobs=3,
                                                 stream=True))
    streamed = [e for ch in chunks if ch.choices[0].logprobs for e in ch.choices[0].logprobs.content]
    assert [(e.token, e.logprob) for e in streamed] == [(e.token, e.logprob) for e in entries]
    plain = client.chat.completions.create(model=MODEL, messages=user("lp"))
    assert plain.choices[0].logprobs is None


class CityReport(pydantic.BaseModel):
    city: str
    population: int
    coastal: bool


def test_structured_output_parse(base_url):
    client = openai_client(base_url)
    c = client.chat.completions.parse(model=MODEL, messages=user("Report on Marseille"), response_format=CityReport)
    parsed = c.choices[0].message.parsed
    assert isinstance(parsed, CityReport)
    assert parsed == CityReport(city="Marseille", population=1, coastal=True)
    obj = client.chat.completions.create(model=MODEL, messages=user("json please"), response_format={"type": "json_object"})
    assert json.loads(obj.choices[0].message.content) == {"answer": "You asked: json please"}


# ---------------------------------------------------------------------------------------------
# models
# ---------------------------------------------------------------------------------------------

def test_models_list_is_the_key_group(base_url, fixtures):
    models = list(openai_client(base_url, CLAUDE).models.list())
    assert [m.id for m in models] == fixtures.group_ids("claude-default")
    assert all(m.object == "model" for m in models)


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------

def _error(client, expected: type, **kwargs) -> openai.APIStatusError:
    kwargs.setdefault("model", MODEL)
    kwargs.setdefault("messages", user("hello"))
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(**kwargs)
    assert type(info.value) is expected, repr(info.value)
    return info.value


def _check(e: openai.APIStatusError, status: int, traffic: Traffic, *, type_: str, code: str | None,
           param: str | None) -> None:
    assert e.status_code == status
    assert e.type == type_ and e.code == code and e.param == param
    assert set(e.body) == {"message", "type", "param", "code"}  # the SDK unwraps body["error"]
    assert e.request_id == traffic.last_header("x-request-id")
    assert str(e) == f"Error code: {status} - {e.body['message']}"


@pytest.mark.parametrize("kwargs,param", [
    (dict(messages=[]), "messages"),
    (dict(messages="hello"), "messages"),
    (dict(messages=[{"role": "robot", "content": "x"}]), "messages[0].role"),
    (dict(messages=[{"role": "user"}]), "messages[0].content"),
    (dict(max_tokens="lots"), "max_tokens"),
    (dict(max_tokens=0), "max_tokens"),
    (dict(max_tokens=16385), "max_tokens"),
    (dict(n=2), "n"),
    (dict(temperature=0.5, stream_options={"include_usage": True}), "stream_options"),
    (dict(stop=["a", "b", "c", "d", "e"]), "stop"),
    (dict(tool_choice="sometimes"), "tool_choice"),
    (dict(response_format={"type": "yaml"}), "response_format.type"),
    (dict(top_logprobs=21, logprobs=True), "top_logprobs"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_request_names_the_param(base_url, kwargs, param):
    traffic = Traffic()
    e = _error(openai_client(base_url, traffic=traffic), openai.BadRequestError, **kwargs)
    assert e.param == param
    _check(e, 400, traffic, type_="invalid_request_error", code=e.code, param=param)
    assert e.code in ("invalid_request_error", "invalid_value")


def test_authentication_error(base_url):
    traffic = Traffic()
    e = _error(openai_client(base_url, BAD, traffic=traffic), openai.AuthenticationError)
    _check(e, 401, traffic, type_="authentication_error", code="invalid_api_key", param=None)


@pytest.mark.parametrize("key,code", [(BROKE, "insufficient_balance"), (TINY, "quota_exceeded")])
def test_payment_required_is_a_plain_api_status_error(base_url, key, code):
    exhaust_tiny_quota(base_url)
    traffic = Traffic()
    e = _error(openai_client(base_url, key, traffic=traffic), openai.APIStatusError)
    _check(e, 402, traffic, type_="billing_error", code=code, param=None)


def test_permission_denied_outside_group(base_url):
    traffic = Traffic()
    e = _error(openai_client(base_url, CLAUDE, traffic=traffic), openai.PermissionDeniedError)
    _check(e, 403, traffic, type_="permission_error", code="model_not_in_group", param=None)


def test_not_found_unknown_model(base_url):
    traffic = Traffic()
    e = _error(openai_client(base_url, traffic=traffic), openai.NotFoundError, model="gpt-99")
    _check(e, 404, traffic, type_="not_found_error", code="model_not_found", param="model")
    assert e.body["message"] == "The model `gpt-99` does not exist or you do not have access to it."


@pytest.mark.parametrize("model,param,code", [
    ("gpt-4o", "model", "unsupported_model"),                  # retired
    ("deepseek-v3-anthropic", "model", "unsupported_model"),   # Anthropic protocol only
    ("gpt-image-2", "model", "unsupported_model"),             # an image model
])
def test_unsupported_models(base_url, model, param, code):
    traffic = Traffic()
    e = _error(openai_client(base_url, traffic=traffic), openai.BadRequestError, model=model)
    _check(e, 400, traffic, type_="invalid_request_error", code=code, param=param)


@pytest.mark.parametrize("model,kwargs,param,code", [
    ("deepseek-v3-2", dict(messages=[{"role": "user", "content": [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]), "messages", "unsupported_vision"),
    ("deepseek-r1", dict(tools=TOOLS), "tools", "unsupported_tool_use"),
    ("deepseek-v3-2", dict(response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}),
     "response_format", "unsupported_json_schema"),
    ("claude-sonnet-4-6", dict(logprobs=True), "logprobs", "unsupported_logprobs"),
    ("doubao-seed-1.5-pro", dict(stream=True), "stream", "unsupported_streaming"),
])
def test_capability_errors(base_url, model, kwargs, param, code):
    traffic = Traffic()
    e = _error(openai_client(base_url, traffic=traffic), openai.BadRequestError, model=model, **kwargs)
    _check(e, 400, traffic, type_="invalid_request_error", code=code, param=param)


@pytest.mark.parametrize("status,cls", [
    (409, openai.ConflictError), (422, openai.UnprocessableEntityError), (429, openai.RateLimitError),
    (500, openai.InternalServerError), (503, openai.InternalServerError), (529, openai.InternalServerError),
])
def test_scripted_status_maps_to_exception_class(base_url, status, cls):
    add_rule(base_url, scripted_error(status, f"scripted {status}", type_="scripted_code",
                                      headers={"x-should-retry": "false"}), contains="fail-now")
    traffic = Traffic()
    e = _error(openai_client(base_url, traffic=traffic, max_retries=2), cls, messages=user("fail-now"))
    assert e.status_code == status and e.code == "scripted_code" and e.body["message"] == f"scripted {status}"
    assert e.request_id == traffic.last_header("x-request-id")
    assert traffic.attempts == 1


# ---------------------------------------------------------------------------------------------
# retries
# ---------------------------------------------------------------------------------------------

def test_rate_limit_is_retried_max_retries_times(base_url):
    add_rule(base_url, scripted_error(429, "slow down", headers={"retry-after-ms": "20"}), contains="rl")
    traffic = Traffic()
    started = time.monotonic()
    e = _error(openai_client(base_url, traffic=traffic, max_retries=2), openai.RateLimitError, messages=user("rl"))
    assert time.monotonic() - started < 2
    assert traffic.attempts == 3 and traffic.retry_counts() == ["0", "1", "2"]
    assert e.response.headers["retry-after-ms"] == "20"
    assert e.request_id == traffic.last_header("x-request-id")


def test_transient_503_succeeds_on_retry(base_url):
    add_rule(base_url, scripted_error(503, "busy", headers={"retry-after-ms": "10"}), contains="flaky", times=1)
    traffic = Traffic()
    c = openai_client(base_url, traffic=traffic, max_retries=2).chat.completions.create(model=MODEL, messages=user("flaky"))
    assert "flaky" in c.choices[0].message.content  # the default generator answered the retry
    assert [r.status_code for r in traffic.responses] == [503, 200]
    assert traffic.retry_counts() == ["0", "1"]
    rows = usage_rows(base_url)
    assert [r["request_id"] for r in rows] == [c._request_id]
    assert rows[0]["completion_tokens"] == c.usage.completion_tokens


def test_x_should_retry_false(base_url):
    add_rule(base_url, scripted_error(429, headers={"x-should-retry": "false"}), contains="rl")
    traffic = Traffic()
    _error(openai_client(base_url, traffic=traffic, max_retries=2), openai.RateLimitError, messages=user("rl"))
    assert traffic.attempts == 1


def test_retry_after_above_120_s_is_not_retried(base_url):
    add_rule(base_url, scripted_error(429, headers={"retry-after": "121"}), contains="rl")
    traffic = Traffic()
    _error(openai_client(base_url, traffic=traffic, max_retries=2), openai.RateLimitError, messages=user("rl"))
    assert traffic.attempts == 1


def test_in_band_stream_error_raises_api_error_and_is_not_retried(base_url):
    traffic = Traffic()
    client = openai_client(base_url, traffic=traffic, max_retries=2)
    received: list[str] = []
    with pytest.raises(openai.APIError) as info:
        for chunk in client.chat.completions.create(model=MODEL, messages=user("mock:stream-error"), stream=True):
            received.append(chunk.choices[0].delta.content or "")
    e = info.value
    assert not isinstance(e, openai.APIStatusError)
    assert e.message == "The server had an error while streaming" and e.type == "api_error"
    assert traffic.attempts == 1
    assert "".join(received) and STREAM_ERROR_TEXT.startswith("".join(received))
    assert "".join(received) != STREAM_ERROR_TEXT
    with pytest.raises(openai.APIError):
        with client.chat.completions.stream(model=MODEL, messages=user("mock:stream-error")) as stream:
            stream.get_final_completion()
    assert traffic.attempts == 2
    time.sleep(0.05)
    assert usage_rows(base_url) == []


# ---------------------------------------------------------------------------------------------
# billing
# ---------------------------------------------------------------------------------------------

def test_create_and_stream_bill_once_with_the_reported_tokens(base_url):
    client = openai_client(base_url)
    kwargs = dict(model="deepseek-r1", reasoning_effort="medium", messages=user("mock:think"))
    created = client.chat.completions.create(**kwargs)
    stream = client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **kwargs)
    chunks = list(stream)
    stream_id = stream.response.headers["x-request-id"]
    rows = {r["request_id"]: r for r in wait_for_rows(base_url, 2)}
    assert set(rows) == {created._request_id, stream_id}
    for rid, usage in ((created._request_id, created.usage), (stream_id, chunks[-1].usage)):
        row = rows[rid]
        assert row["surface"] == "chat" and row["model"] == "deepseek-r1"
        assert row["prompt_tokens"] == usage.prompt_tokens
        assert row["thinking_tokens"] == usage.completion_tokens_details.reasoning_tokens
        assert row["completion_tokens"] + row["thinking_tokens"] == usage.completion_tokens
    assert rows[created._request_id]["credits"] == rows[stream_id]["credits"] > 0
