"""The google-genai SDK (3.4.0) against the Gemini native surface, on its default api_version
(`v1`) and on `v1beta`.

Covers generate_content, generate_content_stream (same text and usage as non-streamed),
count_tokens (equal to the prompt tokens generate_content reports), models.list (the pager across
small pages) and models.get, function calls (single and parallel), thought parts, SAFETY refusals,
stop sequences and MAX_TOKENS, every error status mapped to ClientError/ServerError, the retry
policy (none by default; `HttpRetryOptions` opt-in) and the in-band stream error.
"""

from __future__ import annotations

import time

import pytest
from google.genai import errors
from google.genai import types as gt

from sdk_helpers import (  # noqa: F401  (reset_mock is an autouse fixture)
    BAD, BROKE, CLAUDE, DEFAULT, GEMINI, PARALLEL_CALLS, REFUSAL, STREAM_ERROR_TEXT, THINK, TIME_SCHEMA, TINY,
    WEATHER_CALL, WEATHER_SCHEMA, Traffic, add_rule, count_tokens, exhaust_tiny_quota, genai_client, prompt_tokens,
    reset_mock, scripted_error, usage_rows, wait_for_rows,
)

MODEL = "gemini-3-flash"
THINKING_MODEL = "gemini-3-1-pro"
VERSIONS = [pytest.param(None, id="default-v1"), pytest.param("v1beta", id="v1beta")]
NO_AFC = gt.AutomaticFunctionCallingConfig(disable=True)
TOOLS = [gt.Tool(function_declarations=[
    gt.FunctionDeclaration(name="get_weather", description="Weather for a city", parameters_json_schema=WEATHER_SCHEMA),
    gt.FunctionDeclaration(name="get_time", description="Time in a timezone", parameters_json_schema=TIME_SCHEMA),
])]
FAST_RETRY = gt.HttpRetryOptions(attempts=3, initial_delay=0.01, max_delay=0.02, exp_base=2, jitter=0)


def config(**kw) -> gt.GenerateContentConfig:
    return gt.GenerateContentConfig(**kw)


def expected_prefix(api_version: str | None) -> str:
    return f"/{api_version or 'v1'}/models/"


# ---------------------------------------------------------------------------------------------
# generate, stream, count
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("api_version", VERSIONS)
def test_generate_content_scripted_text_and_usage(base_url, api_version):
    reply = "Gemini says hello back."
    add_rule(base_url, {"text": reply}, contains="gem-basic", surface="gemini")
    traffic = Traffic()
    client = genai_client(base_url, api_version=api_version, traffic=traffic)
    r = client.models.generate_content(model=MODEL, contents="gem-basic: greet me",
                                       config=config(system_instruction="Be cheerful."))
    assert traffic.paths() == [expected_prefix(api_version) + f"{MODEL}:generateContent"]
    assert r.text == reply
    cand = r.candidates[0]
    assert cand.finish_reason == gt.FinishReason.STOP and cand.index == 0 and cand.content.role == "model"
    u = r.usage_metadata
    assert u.prompt_token_count == prompt_tokens("gem-basic: greet me", system="Be cheerful.")
    assert u.candidates_token_count == count_tokens(reply) == 5
    assert u.total_token_count == u.prompt_token_count + u.candidates_token_count
    assert u.thoughts_token_count is None
    assert r.model_version == MODEL and r.response_id
    assert r.sdk_http_response.headers["x-request-id"] == traffic.last_header("x-request-id")


@pytest.mark.parametrize("api_version", VERSIONS)
def test_stream_matches_generate_content(base_url, api_version):
    traffic = Traffic()
    client = genai_client(base_url, api_version=api_version, traffic=traffic)
    contents = "Tell me a fact about the Danube."
    whole = client.models.generate_content(model=MODEL, contents=contents)
    chunks = list(client.models.generate_content_stream(model=MODEL, contents=contents))
    assert traffic.requests[-1].url.path == expected_prefix(api_version) + f"{MODEL}:streamGenerateContent"
    assert traffic.requests[-1].url.params["alt"] == "sse"
    assert len(chunks) == whole.usage_metadata.candidates_token_count  # one text piece per chunk
    assert "".join(c.text for c in chunks) == whole.text
    assert whole.text.endswith(f"({MODEL})")
    assert len({c.response_id for c in chunks}) == 1
    assert all(c.candidates[0].finish_reason is None for c in chunks[:-1])
    last = chunks[-1]
    assert last.candidates[0].finish_reason == gt.FinishReason.STOP
    assert last.usage_metadata.prompt_token_count == whole.usage_metadata.prompt_token_count
    assert last.usage_metadata.candidates_token_count == whole.usage_metadata.candidates_token_count
    assert last.usage_metadata.total_token_count == whole.usage_metadata.total_token_count


@pytest.mark.parametrize("api_version", VERSIONS)
def test_count_tokens_equals_prompt_tokens(base_url, api_version):
    client = genai_client(base_url, api_version=api_version)
    contents = [
        gt.Content(role="user", parts=[gt.Part(text="Plan a picnic.")]),
        gt.Content(role="model", parts=[gt.Part(text="Where would you like to go?")]),
        gt.Content(role="user", parts=[gt.Part(text="Somewhere near Lyon, on Saturday.")]),
    ]
    counted = client.models.count_tokens(model=MODEL, contents=contents)
    made = client.models.generate_content(model=MODEL, contents=contents)
    assert counted.total_tokens == made.usage_metadata.prompt_token_count
    assert counted.total_tokens == prompt_tokens("Plan a picnic.", "Where would you like to go?",
                                                 "Somewhere near Lyon, on Saturday.")
    with_tools = client.models.count_tokens(model=MODEL, contents="weather?")
    assert with_tools.total_tokens == prompt_tokens("weather?")
    assert len(usage_rows(base_url)) == 1  # counting is free


# ---------------------------------------------------------------------------------------------
# function calls, thoughts, refusal, truncation
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("api_version", VERSIONS)
def test_function_calls(base_url, api_version):
    client = genai_client(base_url, api_version=api_version)
    cfg = config(tools=TOOLS, automatic_function_calling=NO_AFC)
    single = client.models.generate_content(model=MODEL, contents="mock:weather", config=cfg)
    assert [(c.name, c.args) for c in single.function_calls] == [WEATHER_CALL]
    assert single.candidates[0].finish_reason == gt.FinishReason.STOP
    parallel = client.models.generate_content(model=MODEL, contents="mock:parallel", config=cfg)
    assert [(c.name, c.args) for c in parallel.function_calls] == PARALLEL_CALLS
    streamed = [fc for ch in client.models.generate_content_stream(model=MODEL, contents="mock:parallel", config=cfg)
                for fc in ch.function_calls or []]
    assert [(c.name, c.args) for c in streamed] == PARALLEL_CALLS


def test_default_function_call_and_function_response(base_url):
    client = genai_client(base_url)
    cfg = config(tools=TOOLS, automatic_function_calling=NO_AFC)
    question = gt.Content(role="user", parts=[gt.Part(text="What's the weather in Nice right now?")])
    first = client.models.generate_content(model=MODEL, contents=[question], config=cfg)
    assert [(c.name, c.args) for c in first.function_calls] == [("get_weather", {"city": "Nice", "unit": "celsius"})]
    answer = gt.Content(role="user", parts=[gt.Part.from_function_response(name="get_weather", response={"temp": "19 C"})])
    second = client.models.generate_content(model=MODEL, contents=[question, first.candidates[0].content, answer],
                                            config=cfg)
    assert second.function_calls is None
    assert "19 C" in second.text
    forced = client.models.generate_content(
        model=MODEL, contents="hello", config=config(tools=TOOLS, automatic_function_calling=NO_AFC, tool_config=gt.ToolConfig(
            function_calling_config=gt.FunctionCallingConfig(mode="ANY", allowed_function_names=["get_time"]))))
    assert [c.name for c in forced.function_calls] == ["get_time"]


def test_thought_parts(base_url):
    client = genai_client(base_url, api_version="v1beta")
    cfg = config(thinking_config=gt.ThinkingConfig(include_thoughts=True, thinking_budget=1024))
    r = client.models.generate_content(model=THINKING_MODEL, contents="mock:think", config=cfg)
    parts = r.candidates[0].content.parts
    assert [(bool(p.thought), p.text) for p in parts] == [(True, THINK[0]), (False, THINK[1])]
    assert r.text == THINK[1]  # the SDK leaves thoughts out of .text
    u = r.usage_metadata
    assert u.thoughts_token_count == count_tokens(THINK[0])
    assert u.candidates_token_count == count_tokens(THINK[1])
    assert u.total_token_count == u.prompt_token_count + u.candidates_token_count + u.thoughts_token_count
    chunks = list(client.models.generate_content_stream(model=THINKING_MODEL, contents="mock:think", config=cfg))
    thoughts = "".join(p.text for c in chunks for p in c.candidates[0].content.parts if p.thought)
    text = "".join(p.text for c in chunks for p in c.candidates[0].content.parts if not p.thought)
    assert (thoughts, text) == THINK
    assert chunks[-1].usage_metadata.thoughts_token_count == u.thoughts_token_count
    # Default generator: thoughts only for a thinking model that was asked for them.
    dflt = client.models.generate_content(model=THINKING_MODEL, contents="Why do cats purr?", config=cfg)
    assert dflt.candidates[0].content.parts[0].thought and "Why do cats purr?" in dflt.candidates[0].content.parts[0].text
    plain = client.models.generate_content(model=MODEL, contents="Why do cats purr?", config=cfg)
    assert not any(p.thought for p in plain.candidates[0].content.parts)


def test_refusal_is_safety(base_url):
    client = genai_client(base_url)
    r = client.models.generate_content(model=MODEL, contents="mock:refuse")
    assert r.candidates[0].finish_reason == gt.FinishReason.SAFETY
    assert r.text == REFUSAL


@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
def test_stop_sequences_and_max_tokens(base_url, streamed):
    add_rule(base_url, {"text": "alpha beta gamma delta epsilon"}, contains="greek")
    client = genai_client(base_url)

    def run(cfg):
        if not streamed:
            r = client.models.generate_content(model=MODEL, contents="greek", config=cfg)
            return r.text, r.candidates[0].finish_reason, r.usage_metadata.candidates_token_count
        chunks = list(client.models.generate_content_stream(model=MODEL, contents="greek", config=cfg))
        return ("".join(c.text or "" for c in chunks), chunks[-1].candidates[0].finish_reason,
                chunks[-1].usage_metadata.candidates_token_count)

    assert run(config(stop_sequences=["gamma"])) == ("alpha beta ", gt.FinishReason.STOP, 3)
    assert run(config(max_output_tokens=2)) == ("alpha beta", gt.FinishReason.MAX_TOKENS, 2)


# ---------------------------------------------------------------------------------------------
# models
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("api_version", VERSIONS)
def test_models_list_pager_and_get(base_url, fixtures, api_version):
    traffic = Traffic()
    client = genai_client(base_url, GEMINI, api_version=api_version, traffic=traffic)
    expected = fixtures.group_ids("gemini-default")
    pager = client.models.list(config={"page_size": 3})
    assert len(pager.page) == 3
    names = [m.name for m in pager]
    assert names == [f"models/{m}" for m in expected]
    assert len(traffic.requests) == -(-len(expected) // 3)
    assert all(r.url.path == f"/{api_version or 'v1'}/models" for r in traffic.requests)
    assert [r.url.params.get("pageToken") for r in traffic.requests][0] is None
    assert all(r.url.params.get("pageToken") for r in traffic.requests[1:])
    m = client.models.get(model=THINKING_MODEL)
    cat = fixtures.model(THINKING_MODEL)
    assert m.name == f"models/{THINKING_MODEL}" and m.display_name == "Gemini 3.1 Pro"
    assert m.input_token_limit == cat["context_window"] and m.output_token_limit == cat["max_output_tokens"]
    assert m.supported_actions == ["generateContent", "streamGenerateContent", "countTokens"]
    assert m.thinking is True
    with pytest.raises(errors.ClientError) as e:
        client.models.get(model="gpt-5-4")  # outside gemini-default
    assert e.value.code == 404


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------

def _error(client, expected: type, model: str = MODEL, contents="hello", cfg=None) -> errors.APIError:
    with pytest.raises(errors.APIError) as info:
        client.models.generate_content(model=model, contents=contents, config=cfg)
    assert type(info.value) is expected, repr(info.value)
    return info.value


@pytest.mark.parametrize("cfg,fragment", [
    (config(candidate_count=2), "candidateCount"),
    (config(max_output_tokens=32769), "maxOutputTokens"),
    (config(response_mime_type="text/csv"), "responseMimeType"),
], ids=["candidates", "max-output", "mime"])
def test_bad_request(base_url, cfg, fragment):
    e = _error(genai_client(base_url), errors.ClientError, cfg=cfg)
    assert e.code == 400 and e.status == "INVALID_ARGUMENT" and fragment in e.message
    assert e.details["error"]["code"] == 400


@pytest.mark.parametrize("key,model,code,status", [
    (BAD, MODEL, 401, "UNAUTHENTICATED"),
    (BROKE, MODEL, 402, "RESOURCE_EXHAUSTED"),
    (TINY, MODEL, 402, "RESOURCE_EXHAUSTED"),
    (CLAUDE, MODEL, 403, "PERMISSION_DENIED"),
    (DEFAULT, "gemini-0-nano", 404, "NOT_FOUND"),
])
def test_client_errors(base_url, key, model, code, status):
    exhaust_tiny_quota(base_url)
    e = _error(genai_client(base_url, key), errors.ClientError, model=model)
    assert e.code == code and e.status == status and e.message
    assert str(e).startswith(f"{code} {status}")


def test_unknown_model_message(base_url):
    e = _error(genai_client(base_url, api_version="v1beta"), errors.ClientError, model="gemini-0-nano")
    assert "models/gemini-0-nano is not found" in e.message


def test_retired_and_non_gemini_protocol_models(base_url):
    e = _error(genai_client(base_url), errors.ClientError, model="gpt-4o")
    assert e.code == 400 and "retired" in e.message
    e = _error(genai_client(base_url), errors.ClientError, model="deepseek-v3-anthropic")
    assert e.code == 400 and "Anthropic Messages" in e.message


@pytest.mark.parametrize("status,cls,name", [
    (429, errors.ClientError, "RESOURCE_EXHAUSTED"),
    (500, errors.ServerError, "INTERNAL"),
    (503, errors.ServerError, "UNAVAILABLE"),
    (504, errors.ServerError, "DEADLINE_EXCEEDED"),
])
def test_scripted_status_and_no_retry_by_default(base_url, status, cls, name):
    add_rule(base_url, scripted_error(status, f"scripted {status}"), contains="fail-now")
    traffic = Traffic()
    e = _error(genai_client(base_url, traffic=traffic), cls, contents="fail-now")
    assert e.code == status and e.status == name and e.message == f"scripted {status}"
    assert traffic.attempts == 1  # google-genai does not retry unless asked


def test_retry_options_make_three_attempts(base_url):
    add_rule(base_url, scripted_error(429, "quota"), contains="rl")
    traffic = Traffic()
    started = time.monotonic()
    _error(genai_client(base_url, traffic=traffic, retry=FAST_RETRY), errors.ClientError, contents="rl")
    assert traffic.attempts == 3
    assert time.monotonic() - started < 2
    assert all("x-stainless-retry-count" not in r.headers for r in traffic.requests)


def test_retry_options_recover_from_a_transient_503(base_url):
    add_rule(base_url, scripted_error(503, "busy"), contains="flaky", times=1)
    traffic = Traffic()
    client = genai_client(base_url, traffic=traffic, retry=FAST_RETRY)  # keep a reference: a dropped Client closes
    r = client.models.generate_content(model=MODEL, contents="flaky")
    assert "flaky" in r.text
    assert [x.status_code for x in traffic.responses] == [503, 200]
    rows = usage_rows(base_url)
    assert len(rows) == 1 and rows[0]["surface"] == "gemini"
    assert rows[0]["prompt_tokens"] == r.usage_metadata.prompt_token_count
    assert rows[0]["completion_tokens"] == r.usage_metadata.candidates_token_count


def test_retry_options_do_not_retry_a_400(base_url):
    traffic = Traffic()
    _error(genai_client(base_url, traffic=traffic, retry=FAST_RETRY), errors.ClientError, cfg=config(candidate_count=3))
    assert traffic.attempts == 1


@pytest.mark.parametrize("retry", [None, FAST_RETRY], ids=["default", "with-retry-options"])
def test_in_band_stream_error_is_server_error_and_not_retried(base_url, retry):
    traffic = Traffic()
    client = genai_client(base_url, traffic=traffic, retry=retry)
    received: list[str] = []
    with pytest.raises(errors.ServerError) as info:
        for chunk in client.models.generate_content_stream(model=MODEL, contents="mock:stream-error"):
            received.append(chunk.text)
    assert info.value.code == 500 and info.value.status == "INTERNAL"
    assert info.value.message == "The server had an error while streaming"
    assert len(received) == 4 and STREAM_ERROR_TEXT.startswith("".join(received))
    assert traffic.attempts == 1
    time.sleep(0.05)
    assert usage_rows(base_url) == []


def test_stream_bills_once_with_the_reported_tokens(base_url):
    client = genai_client(base_url)
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="Bill this stream."))
    rows = wait_for_rows(base_url, 1)
    time.sleep(0.05)
    rows = usage_rows(base_url)
    assert len(rows) == 1
    u = chunks[-1].usage_metadata
    assert rows[0]["prompt_tokens"] == u.prompt_token_count and rows[0]["completion_tokens"] == u.candidates_token_count
    assert rows[0]["model"] == MODEL and rows[0]["surface"] == "gemini"
