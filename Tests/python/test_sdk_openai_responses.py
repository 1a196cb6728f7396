"""The openai SDK (3.54.0) against /v1/responses and GET/DELETE /v1/responses/{id}.

Covers create, `stream=True` (gap-free sequence numbers, one response id, the terminal event
equal to the non-streamed body), the `responses.stream()` helper, retrieve and delete of stored
responses (streamed ones too), `previous_response_id` continuity (text and a tool round trip),
reasoning items, function calls, refusals, `max_output_tokens` (`incomplete`), errors, retries and
the in-band `response.failed` event.
"""

from __future__ import annotations

import json
import time

import openai
import pytest

from sdk_helpers import (  # noqa: F401  (reset_mock is an autouse fixture)
    BAD, CLAUDE, DEFAULT, PARALLEL_CALLS, REFUSAL, THINK, TIME_SCHEMA, WEATHER_CALL, WEATHER_SCHEMA, Traffic, add_rule,
    count_tokens, openai_client, prompt_tokens, reset_mock, scripted_error, usage_rows, wait_for_rows,
)

MODEL = "gpt-5-4"
TOOLS = [
    {"type": "function", "name": "get_weather", "description": "Weather for a city", "parameters": WEATHER_SCHEMA},
    {"type": "function", "name": "get_time", "description": "Time in a timezone", "parameters": TIME_SCHEMA},
]
ORG = "sk-byts-org-test-key-0001"  # another account: must not see acct_ada's stored responses


def calls_of(response) -> list[tuple[str, dict]]:
    return [(i.name, json.loads(i.arguments)) for i in response.output if i.type == "function_call"]


# ---------------------------------------------------------------------------------------------
# create, stream, retrieve
# ---------------------------------------------------------------------------------------------

def test_create_scripted_text_usage_and_request_id(base_url):
    reply = "Responses surface says hi."
    add_rule(base_url, {"text": reply}, contains="resp-basic", surface="responses")
    traffic = Traffic()
    client = openai_client(base_url, traffic=traffic)
    r = client.responses.create(model=MODEL, input="resp-basic now", instructions="Answer briefly.",
                                metadata={"ticket": "T-1"}, temperature=0.3)
    assert r.object == "response" and r.status == "completed" and r.model == MODEL
    assert r.id.startswith("resp_") and r.error is None and r.incomplete_details is None
    assert r.output_text == reply
    assert [i.type for i in r.output] == ["message"]
    msg = r.output[0]
    assert msg.role == "assistant" and msg.status == "completed" and msg.id.startswith("msg_")
    assert [(c.type, c.text) for c in msg.content] == [("output_text", reply)]
    assert r.usage.input_tokens == prompt_tokens("resp-basic now", system="Answer briefly.")
    assert r.usage.output_tokens == count_tokens(reply) == 7
    assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens
    assert r.usage.output_tokens_details.reasoning_tokens == 0
    assert r.instructions == "Answer briefly." and r.metadata == {"ticket": "T-1"} and r.temperature == 0.3
    assert r.previous_response_id is None and r.store is True
    assert r._request_id == traffic.last_header("x-request-id")


def test_raw_stream_matches_create(base_url):
    client = openai_client(base_url)
    kwargs = dict(model=MODEL, input="Write a line about the sea at night.")
    created = client.responses.create(**kwargs)
    events = list(client.responses.create(stream=True, **kwargs))
    types = [e.type for e in events]
    assert types[:2] == ["response.created", "response.in_progress"]
    assert types[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    lifecycle = [e.response for e in events if e.type.startswith("response.") and hasattr(e, "response")]
    assert len({r.id for r in lifecycle}) == 1
    assert events[0].response.status == "in_progress" and events[0].response.output == []
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    done = events[-1].response
    assert "".join(deltas) == done.output_text == created.output_text
    assert len(deltas) == created.usage.output_tokens
    assert done.usage.input_tokens == created.usage.input_tokens
    assert done.usage.output_tokens == created.usage.output_tokens
    assert done.status == "completed"


def test_stream_helper_and_retrieve_of_a_streamed_response(base_url):
    client = openai_client(base_url)
    text_deltas: list[str] = []
    with client.responses.stream(model=MODEL, input="Say something about mountains.") as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                text_deltas.append(event.delta)
        final = stream.get_final_response()
    assert "".join(text_deltas) == final.output_text and final.output_text.endswith(f"({MODEL})")
    stored = client.responses.retrieve(final.id)
    assert stored.id == final.id and stored.output_text == final.output_text
    assert stored.usage.model_dump() == final.usage.model_dump()


def test_retrieve_delete_and_scoping(base_url):
    client = openai_client(base_url)
    r = client.responses.create(model=MODEL, input="Remember this.")
    got = client.responses.retrieve(r.id)
    assert got.model_dump() == r.model_dump()
    assert openai_client(base_url, CLAUDE).responses.retrieve(r.id).id == r.id  # same account, other key
    with pytest.raises(openai.NotFoundError) as e:
        openai_client(base_url, ORG).responses.retrieve(r.id)
    assert e.value.code == "response_not_found"
    client.responses.delete(r.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(r.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(r.id)


def test_store_false_is_not_retrievable(base_url):
    client = openai_client(base_url)
    r = client.responses.create(model=MODEL, input="Ephemeral", store=False)
    assert r.store is False
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(r.id)
    with pytest.raises(openai.BadRequestError) as e:
        client.responses.create(model=MODEL, input="and then?", previous_response_id=r.id)
    assert e.value.param == "previous_response_id" and e.value.code == "previous_response_not_found"


def test_previous_response_id_carries_the_conversation(base_url):
    add_rule(base_url, {"text": "Nice to meet you, Ada."}, contains="My name is Ada")
    client = openai_client(base_url)
    first = client.responses.create(model=MODEL, input="My name is Ada.")
    second = client.responses.create(model=MODEL, input="What is my name?", previous_response_id=first.id)
    assert second.previous_response_id == first.id
    # The stored turn (user + assistant) is prepended: input grows by exactly its tokens.
    assert first.usage.input_tokens == prompt_tokens("My name is Ada.")
    assert second.usage.input_tokens == prompt_tokens("My name is Ada.", "Nice to meet you, Ada.", "What is my name?")
    third = client.responses.create(model=MODEL, input="And again?", previous_response_id=second.id)
    assert third.usage.input_tokens == prompt_tokens("My name is Ada.", "Nice to meet you, Ada.", "What is my name?",
                                                     second.output_text, "And again?")
    with pytest.raises(openai.BadRequestError) as e:
        client.responses.create(model=MODEL, input="x", previous_response_id="resp_doesnotexist")
    assert e.value.param == "previous_response_id" and e.value.status_code == 400


def test_tool_round_trip_through_previous_response_id(base_url):
    client = openai_client(base_url)
    first = client.responses.create(model=MODEL, input="mock:weather for the trip", tools=TOOLS)
    assert calls_of(first) == [WEATHER_CALL]
    call = first.output[0]
    assert call.call_id.startswith("call_") and call.id.startswith("fc_") and call.status == "completed"
    second = client.responses.create(model=MODEL, previous_response_id=first.id, tools=TOOLS,
                                     input=[{"type": "function_call_output", "call_id": call.call_id, "output": "22 C, sunny"}])
    assert second.status == "completed" and calls_of(second) == []
    assert "22 C, sunny" in second.output_text


# ---------------------------------------------------------------------------------------------
# reasoning, tools, refusal, truncation
# ---------------------------------------------------------------------------------------------

def test_reasoning_item(base_url):
    client = openai_client(base_url)
    kwargs = dict(model="deepseek-r1", input="mock:think", reasoning={"effort": "low"})
    r = client.responses.create(**kwargs)
    assert [i.type for i in r.output] == ["reasoning", "message"]
    reasoning = r.output[0]
    assert reasoning.id.startswith("rs_") and [s.text for s in reasoning.summary] == [THINK[0]]
    assert r.output_text == THINK[1]
    assert r.usage.output_tokens_details.reasoning_tokens == count_tokens(THINK[0])
    assert r.usage.output_tokens == count_tokens(THINK[0]) + count_tokens(THINK[1])

    events = list(client.responses.create(stream=True, **kwargs))
    summary = "".join(e.delta for e in events if e.type == "response.reasoning_summary_text.delta")
    assert summary == THINK[0]
    assert [i.type for i in events[-1].response.output] == ["reasoning", "message"]
    with client.responses.stream(**kwargs) as stream:
        final = stream.get_final_response()
    assert final.output[0].summary[0].text == THINK[0] and final.output_text == THINK[1]
    assert final.usage.output_tokens == r.usage.output_tokens


def test_default_reasoning_only_on_thinking_models(base_url):
    client = openai_client(base_url)
    r1 = client.responses.create(model="deepseek-r1", input="Is 9 prime?", reasoning={"effort": "high"})
    assert r1.output[0].type == "reasoning" and "Is 9 prime?" in r1.output[0].summary[0].text
    gpt = client.responses.create(model=MODEL, input="Is 9 prime?", reasoning={"effort": "high"})
    assert [i.type for i in gpt.output] == ["message"]
    assert gpt.reasoning.effort == "high"


def test_function_calls_single_and_parallel(base_url):
    client = openai_client(base_url)
    single = client.responses.create(model=MODEL, input="mock:weather", tools=TOOLS)
    assert calls_of(single) == [WEATHER_CALL]
    assert single.output_text == ""
    parallel = client.responses.create(model=MODEL, input="mock:parallel", tools=TOOLS)
    assert calls_of(parallel) == PARALLEL_CALLS
    assert len({i.call_id for i in parallel.output}) == 2

    with client.responses.stream(model=MODEL, input="mock:parallel", tools=TOOLS) as stream:
        done_args = [e.arguments for e in stream if e.type == "response.function_call_arguments.done"]
        final = stream.get_final_response()
    assert [json.loads(a) for a in done_args] == [args for _, args in PARALLEL_CALLS]
    assert calls_of(final) == PARALLEL_CALLS
    assert final.usage.output_tokens == parallel.usage.output_tokens


def test_refusal(base_url):
    client = openai_client(base_url)
    r = client.responses.create(model=MODEL, input="mock:refuse")
    parts = r.output[0].content
    assert [(p.type, p.refusal) for p in parts] == [("refusal", REFUSAL)]
    events = list(client.responses.create(model=MODEL, input="mock:refuse", stream=True))
    assert "".join(e.delta for e in events if e.type == "response.refusal.delta") == REFUSAL
    assert [e.refusal for e in events if e.type == "response.refusal.done"] == [REFUSAL]


def test_max_output_tokens_is_incomplete(base_url):
    add_rule(base_url, {"text": "alpha beta gamma delta"}, contains="greek")
    client = openai_client(base_url)
    r = client.responses.create(model=MODEL, input="greek", max_output_tokens=2)
    assert r.status == "incomplete" and r.incomplete_details.reason == "max_output_tokens"
    assert r.output_text == "alpha beta" and r.usage.output_tokens == 2 and r.max_output_tokens == 2
    assert r.output[0].status == "incomplete"
    events = list(client.responses.create(model=MODEL, input="greek", max_output_tokens=2, stream=True))
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.status == "incomplete" and events[-1].response.output_text == "alpha beta"
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_json_schema_text_format(base_url):
    client = openai_client(base_url)
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "rank": {"type": "integer"}},
              "required": ["city", "rank"], "additionalProperties": False}
    r = client.responses.create(model=MODEL, input="Best city, maybe Porto",
                                text={"format": {"type": "json_schema", "name": "pick", "schema": schema, "strict": True}})
    assert json.loads(r.output_text) == {"city": "Porto", "rank": 1}
    assert r.text.format.type == "json_schema"


# ---------------------------------------------------------------------------------------------
# errors and retries
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,param", [
    (dict(input=42), "input"),
    (dict(input=[{"role": "user", "content": [{"type": "input_video", "url": "x"}]}]), "input[0].content[0].type"),
    (dict(max_output_tokens=0), "max_output_tokens"),
    (dict(tool_choice="whenever"), "tool_choice"),
    (dict(text={"format": {"type": "xml"}}), "text.format.type"),
    (dict(temperature="hot"), "temperature"),
], ids=["input-number", "content-type", "max-0", "tool-choice", "format", "temperature-string"])
def test_bad_request_names_the_param(base_url, kwargs, param):
    traffic = Traffic()
    with pytest.raises(openai.BadRequestError) as info:
        openai_client(base_url, traffic=traffic).responses.create(model=MODEL, **{"input": "hi", **kwargs})
    e = info.value
    assert e.status_code == 400 and e.param == param and e.type == "invalid_request_error"
    assert e.request_id == traffic.last_header("x-request-id")


@pytest.mark.parametrize("key,model,cls,code", [
    (BAD, MODEL, openai.AuthenticationError, "invalid_api_key"),
    (CLAUDE, MODEL, openai.PermissionDeniedError, "model_not_in_group"),
    (DEFAULT, "gpt-77", openai.NotFoundError, "model_not_found"),
    (DEFAULT, "o1", openai.BadRequestError, "unsupported_model"),
])
def test_error_classes(base_url, key, model, cls, code):
    with pytest.raises(openai.APIStatusError) as info:
        openai_client(base_url, key).responses.create(model=model, input="hi")
    assert type(info.value) is cls and info.value.code == code


def test_capability_error_names_the_param(base_url):
    with pytest.raises(openai.BadRequestError) as info:
        openai_client(base_url).responses.create(model="deepseek-r1", input="hi", tools=TOOLS)
    assert info.value.param == "tools" and info.value.code == "unsupported_tool_use"
    with pytest.raises(openai.BadRequestError) as info:
        openai_client(base_url).responses.create(
            model="deepseek-v3-2", input=[{"role": "user", "content": [
                {"type": "input_image", "image_url": "https://example.com/cat.png"}]}])
    assert info.value.code == "unsupported_vision"


def test_rate_limit_retried_then_raised(base_url):
    add_rule(base_url, scripted_error(429, "slow", headers={"retry-after-ms": "20"}), contains="rl", surface="responses")
    traffic = Traffic()
    with pytest.raises(openai.RateLimitError):
        openai_client(base_url, traffic=traffic, max_retries=2).responses.create(model=MODEL, input="rl")
    assert traffic.attempts == 3 and traffic.retry_counts() == ["0", "1", "2"]


def test_transient_500_then_success(base_url):
    add_rule(base_url, scripted_error(500, headers={"retry-after-ms": "10"}), contains="flaky", times=1)
    traffic = Traffic()
    r = openai_client(base_url, traffic=traffic, max_retries=2).responses.create(model=MODEL, input="flaky")
    assert r.status == "completed" and [x.status_code for x in traffic.responses] == [500, 200]
    assert [row["request_id"] for row in usage_rows(base_url)] == [r._request_id]


def test_in_band_failure_is_a_response_failed_event(base_url):
    traffic = Traffic()
    client = openai_client(base_url, traffic=traffic, max_retries=2)
    events = list(client.responses.create(model=MODEL, input="mock:stream-error", stream=True))
    assert events[-1].type == "response.failed"
    failed = events[-1].response
    assert failed.status == "failed" and failed.error.message == "The server had an error while streaming"
    assert len({e.response.id for e in events if hasattr(e, "response")}) == 1
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert traffic.attempts == 1
    with pytest.raises(RuntimeError, match="response.completed"):
        with client.responses.stream(model=MODEL, input="mock:stream-error") as stream:
            stream.get_final_response()
    assert traffic.attempts == 2
    time.sleep(0.05)
    assert usage_rows(base_url) == []
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(failed.id)


def test_stream_bills_once(base_url):
    client = openai_client(base_url)
    with client.responses.stream(model=MODEL, input="Bill me once.") as stream:
        final = stream.get_final_response()
    rows = wait_for_rows(base_url, 1)
    time.sleep(0.05)
    rows = usage_rows(base_url)
    assert len(rows) == 1
    assert rows[0]["surface"] == "responses" and rows[0]["prompt_tokens"] == final.usage.input_tokens
    assert rows[0]["completion_tokens"] == final.usage.output_tokens
