"""The anthropic SDK (2.12.0) against /v1/messages, /v1/messages/count_tokens and /v1/models.

Covers create and the `.stream()` helper (same text, tokens and stop reason either way), thinking
blocks with signatures, single and parallel tool use and a tool-result turn, refusals, stop
sequences and max_tokens truncation, count_tokens, the model list, every error status the mock
produces mapped to the SDK's exception class, the SDK's retry policy (counted with an httpx2 event
hook) and billing through /v1/usage.
"""

from __future__ import annotations

import time

import anthropic
import pytest

from sdk_helpers import (  # noqa: F401  (reset_mock is an autouse fixture)
    BAD, BROKE, CLAUDE, DEFAULT, PARALLEL_CALLS, REFUSAL, STREAM_ERROR_TEXT, THINK, TIME_SCHEMA, TINY, WEATHER_CALL,
    WEATHER_SCHEMA, Traffic, add_rule, anthropic_client, count_tokens, exhaust_tiny_quota, prompt_tokens, reset_mock,
    scripted_error, usage_rows, wait_for_rows,
)

MODEL = "claude-sonnet-4-6"
TOOLS = [
    {"name": "get_weather", "description": "Current weather for a city", "input_schema": WEATHER_SCHEMA},
    {"name": "get_time", "description": "Current time in a timezone", "input_schema": TIME_SCHEMA},
]


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def text_of(message) -> str:
    return "".join(b.text for b in message.content if b.type == "text")


# ---------------------------------------------------------------------------------------------
# create and stream
# ---------------------------------------------------------------------------------------------

def test_create_scripted_text_usage_and_request_id(base_url):
    reply = "Hello, world! The mock answers exactly this."
    add_rule(base_url, {"text": reply}, contains="anthropic-basic")
    traffic = Traffic()
    client = anthropic_client(base_url, traffic=traffic)
    prompt = "anthropic-basic: say hello"
    msg = client.messages.create(model=MODEL, max_tokens=256, messages=user(prompt))

    assert msg.type == "message" and msg.role == "assistant" and msg.model == MODEL
    assert msg.id.startswith("msg_")
    assert [b.type for b in msg.content] == ["text"]
    assert msg.content[0].text == reply
    assert msg.stop_reason == "end_turn" and msg.stop_sequence is None
    assert msg.usage.input_tokens == prompt_tokens(prompt)
    assert msg.usage.output_tokens == count_tokens(reply) == 12  # "answers" and "exactly" are 2 each
    assert msg.usage.cache_creation_input_tokens == 0 and msg.usage.cache_read_input_tokens == 0
    assert traffic.attempts == 1
    assert msg._request_id == traffic.last_header("request-id") == traffic.last_header("x-request-id")
    assert msg._request_id.startswith("req_")


def test_system_prompt_counts_as_input(base_url):
    client = anthropic_client(base_url)
    system = "You are a terse assistant that answers in one line."
    msg = client.messages.create(model=MODEL, max_tokens=256, system=system, messages=user("Hi there"))
    assert msg.usage.input_tokens == prompt_tokens("Hi there", system=system)
    blocks = client.messages.create(model=MODEL, max_tokens=256, messages=user("Hi there"),
                                    system=[{"type": "text", "text": system}])
    assert blocks.usage.input_tokens == msg.usage.input_tokens


def test_stream_helper_matches_create(base_url):
    """The default generator, streamed and not: same text, same usage, same stop reason."""
    traffic = Traffic()
    client = anthropic_client(base_url, traffic=traffic)
    kwargs = dict(model=MODEL, max_tokens=512, messages=user("Tell me something about Lisbon in spring."))
    created = client.messages.create(**kwargs)
    assert text_of(created).startswith(("Sure.", "Certainly.", "Here is", "Good question.", "Happy to help."))
    assert text_of(created).endswith(f"({MODEL})")

    deltas: list[str] = []
    with client.messages.stream(**kwargs) as stream:
        for text in stream.text_stream:
            deltas.append(text)
        final = stream.get_final_message()
        assert stream.request_id == traffic.last_header("request-id")
    assert traffic.requests[-1].headers["x-stainless-helper-method"] == "stream"

    assert "".join(deltas) == text_of(final) == text_of(created)
    assert len(deltas) == created.usage.output_tokens  # one token per text delta
    assert final.usage.input_tokens == created.usage.input_tokens
    assert final.usage.output_tokens == created.usage.output_tokens
    assert final.stop_reason == created.stop_reason == "end_turn"
    assert final.model == MODEL and final.id.startswith("msg_") and final.id != created.id


def test_raw_stream_event_order(base_url):
    add_rule(base_url, {"text": "One two three."}, contains="event-order")
    client = anthropic_client(base_url)
    events = list(client.messages.create(model=MODEL, max_tokens=64, messages=user("event-order"), stream=True))
    types = [e.type for e in events]
    assert types[0] == "message_start" and types[-2:] == ["message_delta", "message_stop"]
    assert types[1] == "content_block_start" and types[-3] == "content_block_stop"
    deltas = [e for e in events if e.type == "content_block_delta"]
    assert "".join(d.delta.text for d in deltas) == "One two three."
    assert all(d.index == 0 and d.delta.type == "text_delta" for d in deltas)
    start = events[0].message
    assert start.usage.input_tokens == prompt_tokens("event-order") and start.content == []
    assert events[-2].delta.stop_reason == "end_turn"
    assert events[-2].usage.output_tokens == count_tokens("One two three.") == 4


# ---------------------------------------------------------------------------------------------
# thinking, tools, refusal
# ---------------------------------------------------------------------------------------------

def test_scripted_thinking_block_with_signature(base_url):
    client = anthropic_client(base_url)
    kwargs = dict(model=MODEL, max_tokens=2048, messages=user("mock:think what is 2+2?"),
                  thinking={"type": "enabled", "budget_tokens": 1024})
    msg = client.messages.create(**kwargs)
    assert [b.type for b in msg.content] == ["thinking", "text"]
    thinking, text = msg.content
    assert (thinking.thinking, text.text) == THINK
    assert thinking.signature.startswith("Eq") and thinking.signature.endswith("==") and len(thinking.signature) > 40
    assert msg.usage.input_tokens == prompt_tokens("mock:think what is 2+2?")

    with client.messages.stream(**kwargs) as stream:
        kinds = [e.type for e in stream]
        final = stream.get_final_message()
    assert "thinking" in kinds and "signature" in kinds
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert final.content[0].thinking == thinking.thinking
    assert final.content[0].signature == thinking.signature
    assert final.content[1].text == text.text
    assert final.usage.output_tokens == msg.usage.output_tokens


def test_thinking_tokens_are_reported_apart_from_output(base_url):
    """The gateway documents Anthropic usage as `output_tokens` (visible output) plus a separate
    `thinking_tokens` (its own example: output 1248, thinking 4032), and bills thinking at the
    input rate; the mock follows the gateway, in the body and in the final `message_delta`."""
    client = anthropic_client(base_url)
    kwargs = dict(model=MODEL, max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 1024},
                  messages=user("mock:think"))
    thinking, text = count_tokens(THINK[0]), count_tokens(THINK[1])
    msg = client.messages.create(**kwargs)
    assert msg.usage.output_tokens == text
    assert msg.usage.model_dump()["thinking_tokens"] == thinking
    events = list(client.messages.create(stream=True, **kwargs))
    assert events[-2].type == "message_delta"
    assert events[-2].usage.output_tokens == text
    assert events[-2].usage.model_dump()["thinking_tokens"] == thinking


def test_default_thinking_only_on_thinking_models(base_url):
    client = anthropic_client(base_url)
    thinking = {"type": "enabled", "budget_tokens": 1024}
    msg = client.messages.create(model=MODEL, max_tokens=4096, thinking=thinking, messages=user("Why is the sky blue?"))
    assert [b.type for b in msg.content] == ["thinking", "text"]
    assert "Why is the sky blue?" in msg.content[0].thinking
    assert msg.content[0].signature
    # claude-haiku-4-5 has no `thinking` capability: the reply is text only.
    haiku = client.messages.create(model="claude-haiku-4-5", max_tokens=4096, thinking=thinking,
                                   messages=user("Why is the sky blue?"))
    assert [b.type for b in haiku.content] == ["text"]


def test_thinking_block_round_trips_in_history(base_url):
    """A thinking block echoed back (as Claude Code does) is accepted and counts as input."""
    client = anthropic_client(base_url)
    first = client.messages.create(model=MODEL, max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 1024},
                                   messages=user("mock:think"))
    history = user("mock:think") + [{"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
                                    {"role": "user", "content": "thanks"}]
    again = client.messages.create(model=MODEL, max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 1024},
                                   messages=history)
    expected = 1 + (3 + count_tokens("mock:think")) + (3 + count_tokens(THINK[0]) + count_tokens(THINK[1])) \
        + (3 + count_tokens("thanks"))
    assert again.usage.input_tokens == expected


def test_single_tool_call(base_url):
    client = anthropic_client(base_url)
    kwargs = dict(model=MODEL, max_tokens=512, tools=TOOLS, messages=user("mock:weather in Paris?"))
    msg = client.messages.create(**kwargs)
    assert msg.stop_reason == "tool_use"
    assert [b.type for b in msg.content] == ["tool_use"]
    call = msg.content[0]
    assert (call.name, call.input) == WEATHER_CALL
    assert call.id.startswith("toolu_")

    with client.messages.stream(**kwargs) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert [(b.name, b.input, b.id) for b in final.content] == [(call.name, call.input, call.id)]
    assert final.usage.output_tokens == msg.usage.output_tokens
    assert final.usage.input_tokens == msg.usage.input_tokens


def test_parallel_tool_calls(base_url):
    client = anthropic_client(base_url)
    kwargs = dict(model=MODEL, max_tokens=512, tools=TOOLS, messages=user("mock:parallel please"))
    msg = client.messages.create(**kwargs)
    assert msg.stop_reason == "tool_use"
    assert [(b.name, b.input) for b in msg.content] == PARALLEL_CALLS
    assert len({b.id for b in msg.content}) == 2
    with client.messages.stream(**kwargs) as stream:
        final = stream.get_final_message()
    assert [(b.name, b.input, b.id) for b in final.content] == [(b.name, b.input, b.id) for b in msg.content]


def test_default_tool_call_then_tool_result(base_url):
    """Without a rule: the tool the prompt mentions is called with arguments from its schema; the
    tool result turn is answered with text quoting it."""
    client = anthropic_client(base_url)
    question = "What is the weather like in Berlin?"
    first = client.messages.create(model=MODEL, max_tokens=512, tools=TOOLS[:1], messages=user(question))
    assert first.stop_reason == "tool_use"
    call = first.content[-1]
    assert call.name == "get_weather" and call.input == {"city": "Berlin", "unit": "celsius"}

    history = user(question) + [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "12 C and cloudy"}]},
    ]
    second = client.messages.create(model=MODEL, max_tokens=512, tools=TOOLS[:1], messages=history)
    assert second.stop_reason == "end_turn"
    assert "12 C and cloudy" in text_of(second)
    assert second.usage.input_tokens > first.usage.input_tokens


def test_tool_choice_none_and_forced(base_url):
    client = anthropic_client(base_url)
    none = client.messages.create(model=MODEL, max_tokens=512, tools=TOOLS, tool_choice={"type": "none"},
                                  messages=user("What is the weather in Rome?"))
    assert [b.type for b in none.content] == ["text"]
    forced = client.messages.create(model=MODEL, max_tokens=512, tools=TOOLS,
                                    tool_choice={"type": "tool", "name": "get_time"}, messages=user("Hello"))
    assert [(b.type, b.name) for b in forced.content] == [("tool_use", "get_time")]
    assert set(forced.content[0].input) == {"timezone"}


def test_refusal(base_url):
    client = anthropic_client(base_url)
    msg = client.messages.create(model=MODEL, max_tokens=256, messages=user("mock:refuse this"))
    assert msg.stop_reason == "refusal"
    assert text_of(msg) == REFUSAL
    with client.messages.stream(model=MODEL, max_tokens=256, messages=user("mock:refuse this")) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "refusal" and text_of(final) == REFUSAL


# ---------------------------------------------------------------------------------------------
# stop sequences and max_tokens
# ---------------------------------------------------------------------------------------------

SCRIPT = "alpha beta gamma delta epsilon zeta"


@pytest.mark.parametrize("streamed", [False, True], ids=["create", "stream"])
def test_stop_sequence(base_url, streamed):
    add_rule(base_url, {"text": SCRIPT}, contains="greek")
    client = anthropic_client(base_url)
    kwargs = dict(model=MODEL, max_tokens=256, stop_sequences=["zzz", "delta"], messages=user("greek letters"))
    if streamed:
        with client.messages.stream(**kwargs) as stream:
            msg = stream.get_final_message()
    else:
        msg = client.messages.create(**kwargs)
    assert text_of(msg) == "alpha beta gamma "
    assert msg.stop_reason == "stop_sequence" and msg.stop_sequence == "delta"
    assert msg.usage.output_tokens == count_tokens("alpha beta gamma ") == 4


@pytest.mark.parametrize("streamed", [False, True], ids=["create", "stream"])
def test_max_tokens_truncation(base_url, streamed):
    add_rule(base_url, {"text": SCRIPT}, contains="greek")
    client = anthropic_client(base_url)
    kwargs = dict(model=MODEL, max_tokens=3, messages=user("greek letters"))
    if streamed:
        with client.messages.stream(**kwargs) as stream:
            msg = stream.get_final_message()
    else:
        msg = client.messages.create(**kwargs)
    assert text_of(msg) == "alpha beta gamma"
    assert msg.stop_reason == "max_tokens" and msg.stop_sequence is None
    assert msg.usage.output_tokens == 3


def test_max_tokens_caps_output_tokens_with_accented_words(base_url):
    """`fianc` is 5 bytes, so Tokens.count starts a new token at the 2-byte `é` ("fianc" + "é"),
    while Tokens.pieces (used to cut text and to stream it) keeps `é` in the same piece. The cut
    to 2 tokens then keeps "Your fiancé", which counts 3: more output tokens than max_tokens, and
    a stream whose number of text deltas differs from output_tokens."""
    reply = "Your fiancé called."
    assert count_tokens(reply) == 5 and count_tokens("Your fiancé") == 3
    add_rule(base_url, {"text": reply}, contains="accented")
    client = anthropic_client(base_url)
    capped = client.messages.create(model=MODEL, max_tokens=2, messages=user("accented"))
    assert capped.stop_reason == "max_tokens"
    assert capped.usage.output_tokens <= 2, (text_of(capped), capped.usage.output_tokens)
    full = list(client.messages.create(model=MODEL, max_tokens=64, messages=user("accented"), stream=True))
    deltas = [e.delta.text for e in full if e.type == "content_block_delta"]
    assert "".join(deltas) == reply
    assert len(deltas) == full[-2].usage.output_tokens == 5  # one token per streamed piece


def test_max_tokens_above_model_limit_is_bad_request(base_url):
    client = anthropic_client(base_url)
    with pytest.raises(anthropic.BadRequestError) as e:
        client.messages.create(model="claude-haiku-4-5", max_tokens=8193, messages=user("hi"))
    assert e.value.status_code == 400 and e.value.type == "invalid_request_error"
    assert "8192" in e.value.api_message


# ---------------------------------------------------------------------------------------------
# count_tokens and models
# ---------------------------------------------------------------------------------------------

def test_count_tokens_equals_input_tokens_of_create(base_url):
    client = anthropic_client(base_url)
    kwargs = dict(
        model=MODEL, system="Be brief.", tools=TOOLS,
        messages=[{"role": "user", "content": "Plan a trip"}, {"role": "assistant", "content": "Where to?"},
                  {"role": "user", "content": [{"type": "text", "text": "Somewhere warm, maybe Seville."}]}],
    )
    counted = client.messages.count_tokens(**kwargs)
    created = client.messages.create(max_tokens=512, **kwargs)
    assert counted.input_tokens == created.usage.input_tokens
    plain = client.messages.count_tokens(model=MODEL, messages=user("Hello, world!"))
    assert plain.input_tokens == prompt_tokens("Hello, world!") == 8
    assert len(usage_rows(base_url)) == 1  # count_tokens is free; only the create billed


def test_count_tokens_unknown_model_and_out_of_group(base_url):
    with pytest.raises(anthropic.NotFoundError):
        anthropic_client(base_url).messages.count_tokens(model="claude-nope", messages=user("hi"))
    with pytest.raises(anthropic.PermissionDeniedError):
        anthropic_client(base_url, CLAUDE).messages.count_tokens(model="gpt-5-4", messages=user("hi"))


def test_models_list_pages_through_the_group(base_url, fixtures):
    traffic = Traffic()
    client = anthropic_client(base_url, CLAUDE, traffic=traffic)
    first = client.models.list(limit=3)
    expected = fixtures.group_ids("claude-default")
    assert [m.id for m in first.data] == expected[:3]
    assert first.has_more is True and first.first_id == expected[0] and first.last_id == expected[2]
    models = list(client.models.list(limit=3))
    assert [m.id for m in models] == expected
    assert all(m.type == "model" and m.display_name and m.created_at.year >= 2024 for m in models)
    assert traffic.attempts == 1 + -(-len(expected) // 3)
    assert all(r.headers.get("anthropic-version") for r in traffic.requests)
    one = client.models.retrieve(MODEL)
    assert one.id == MODEL and one.display_name == "Claude Sonnet 4.6" and one.type == "model"


def test_deepseek_anthropic_model_on_messages(base_url):
    msg = anthropic_client(base_url, CLAUDE).messages.create(model="deepseek-v3-anthropic", max_tokens=128,
                                                              messages=user("Hello"))
    assert msg.model == "deepseek-v3-anthropic" and text_of(msg)


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------

def _error(client, expected: type, **kwargs) -> anthropic.APIStatusError:
    kwargs.setdefault("model", MODEL)
    kwargs.setdefault("max_tokens", 64)
    kwargs.setdefault("messages", user("hello"))
    with pytest.raises(anthropic.APIStatusError) as info:
        client.messages.create(**kwargs)
    assert type(info.value) is expected, repr(info.value)
    return info.value


def _check(e: anthropic.APIStatusError, status: int, type_: str, traffic: Traffic) -> None:
    assert e.status_code == status
    assert e.type == type_
    assert e.body["type"] == "error" and e.body["error"]["type"] == type_
    assert e.api_message and e.body["error"]["message"] == e.api_message
    assert e.request_id == traffic.last_header("request-id") == e.body["request_id"]
    assert str(e).startswith(f"Error code: {status}")


@pytest.mark.parametrize("kwargs,fragment", [
    (dict(max_tokens=0), "max_tokens"),
    (dict(messages=[]), "messages"),
    (dict(messages=[{"role": "robot", "content": "hi"}]), "role"),
    (dict(messages=[{"role": "user", "content": 42}]), "content"),
    (dict(extra_body={"stop_sequences": "STOP"}), "stop_sequences"),
    (dict(thinking={"type": "enabled", "budget_tokens": 100}), "budget_tokens"),
], ids=["max_tokens-0", "empty-messages", "bad-role", "content-number", "stop-not-list", "small-budget"])
def test_bad_request(base_url, kwargs, fragment):
    traffic = Traffic()
    e = _error(anthropic_client(base_url, traffic=traffic), anthropic.BadRequestError, **kwargs)
    _check(e, 400, "invalid_request_error", traffic)
    assert fragment in e.api_message


def test_authentication_error(base_url):
    traffic = Traffic()
    e = _error(anthropic_client(base_url, BAD, traffic=traffic), anthropic.AuthenticationError)
    _check(e, 401, "authentication_error", traffic)


@pytest.mark.parametrize("key", [BROKE, TINY], ids=["broke-wallet", "tiny-quota"])
def test_payment_required(base_url, key):
    exhaust_tiny_quota(base_url)
    traffic = Traffic()
    e = _error(anthropic_client(base_url, key, traffic=traffic), anthropic.PaymentRequiredError)
    _check(e, 402, "billing_error", traffic)
    assert ("wallet" if key == BROKE else "quota") in e.api_message


def test_permission_denied_outside_group(base_url):
    traffic = Traffic()
    e = _error(anthropic_client(base_url, CLAUDE, traffic=traffic), anthropic.PermissionDeniedError, model="gpt-5-4")
    _check(e, 403, "permission_error", traffic)
    assert "claude-default" in e.api_message


def test_not_found_unknown_model(base_url):
    traffic = Traffic()
    e = _error(anthropic_client(base_url, traffic=traffic), anthropic.NotFoundError, model="claude-9-ultra")
    _check(e, 404, "not_found_error", traffic)
    assert e.api_message == "model: claude-9-ultra"


def test_retired_model_is_bad_request(base_url):
    traffic = Traffic()
    e = _error(anthropic_client(base_url, traffic=traffic), anthropic.BadRequestError,
               model="claude-3-5-sonnet-20241022")
    _check(e, 400, "invalid_request_error", traffic)
    assert "retired" in e.api_message and "claude-sonnet-4-6" in e.api_message


@pytest.mark.parametrize("status,cls,type_", [
    (409, anthropic.ConflictError, "invalid_request_error"),
    (413, anthropic.ContentTooLargeError, "request_too_large"),
    (429, anthropic.RateLimitError, "rate_limit_error"),
    (500, anthropic.InternalServerError, "api_error"),
    (503, anthropic.ServiceUnavailableError, "overloaded_error"),
    (504, anthropic.GatewayTimeoutError, "api_error"),
    (529, anthropic.OverloadedError, "overloaded_error"),
])
def test_scripted_status_maps_to_exception_class(base_url, status, cls, type_):
    add_rule(base_url, scripted_error(status, f"scripted {status}", headers={"x-should-retry": "false"}),
             contains="fail-now")
    traffic = Traffic()
    e = _error(anthropic_client(base_url, traffic=traffic, max_retries=2), cls, messages=user("fail-now"))
    _check(e, status, type_, traffic)
    assert e.api_message == f"scripted {status}"
    assert traffic.attempts == 1  # x-should-retry: false wins over the status


def test_fixture_overloaded_rule(base_url):
    traffic = Traffic()
    e = _error(anthropic_client(base_url, traffic=traffic), anthropic.OverloadedError, messages=user("mock:overloaded"))
    _check(e, 529, "overloaded_error", traffic)
    assert e.response.headers["retry-after"] == "1"


def test_errors_are_not_billed(base_url):
    exhaust_tiny_quota(base_url)
    add_rule(base_url, scripted_error(500), contains="fail-now")
    for key, kw in [(BAD, {}), (BROKE, {}), (TINY, {}), (CLAUDE, {"model": "gpt-5-4"}), (DEFAULT, {"model": "nope"}),
                    (DEFAULT, {"messages": user("fail-now")}), (DEFAULT, {"max_tokens": 0})]:
        with pytest.raises(anthropic.APIStatusError):
            anthropic_client(base_url, key).messages.create(**{"model": MODEL, "max_tokens": 16,
                                                               "messages": user("x"), **kw})
    rows = usage_rows(base_url)
    assert len(rows) == 1 and rows[0]["surface"] != "messages"  # only the /__mock/spend that used up key_tiny


# ---------------------------------------------------------------------------------------------
# retries
# ---------------------------------------------------------------------------------------------

def test_rate_limit_is_retried_max_retries_times(base_url):
    add_rule(base_url, scripted_error(429, "slow down", headers={"retry-after-ms": "20"}), contains="rl")
    traffic = Traffic()
    client = anthropic_client(base_url, traffic=traffic, max_retries=2)
    started = time.monotonic()
    e = _error(client, anthropic.RateLimitError, messages=user("rl"))
    assert time.monotonic() - started < 2
    assert traffic.attempts == 3
    assert traffic.retry_counts() == ["0", "1", "2"]
    assert e.response.headers["retry-after-ms"] == "20"
    assert e.request_id == traffic.last_header("request-id")
    assert len({r.headers["request-id"] for r in traffic.responses}) == 3


def test_max_retries_per_call(base_url):
    add_rule(base_url, scripted_error(429, headers={"retry-after-ms": "5"}), contains="rl")
    traffic = Traffic()
    client = anthropic_client(base_url, traffic=traffic, max_retries=2)
    with pytest.raises(anthropic.RateLimitError):
        client.with_options(max_retries=4).messages.create(model=MODEL, max_tokens=16, messages=user("rl"))
    assert traffic.attempts == 5


def test_transient_503_succeeds_on_retry_and_bills_once(base_url):
    add_rule(base_url, scripted_error(503, "busy", headers={"retry-after-ms": "10"}), contains="flaky", times=1)
    add_rule(base_url, {"text": "Recovered."}, contains="flaky")
    traffic = Traffic()
    msg = anthropic_client(base_url, traffic=traffic, max_retries=2).messages.create(
        model=MODEL, max_tokens=64, messages=user("flaky"))
    assert text_of(msg) == "Recovered."
    assert traffic.attempts == 2 and traffic.retry_counts() == ["0", "1"]
    assert [r.status_code for r in traffic.responses] == [503, 200]
    rows = usage_rows(base_url)
    assert len(rows) == 1 and rows[0]["request_id"] == msg._request_id
    assert rows[0]["prompt_tokens"] == msg.usage.input_tokens and rows[0]["completion_tokens"] == count_tokens("Recovered.")


def test_x_should_retry_false_stops_retries(base_url):
    add_rule(base_url, scripted_error(500, headers={"x-should-retry": "false"}), contains="no-retry")
    traffic = Traffic()
    _error(anthropic_client(base_url, traffic=traffic, max_retries=2), anthropic.InternalServerError,
           messages=user("no-retry"))
    assert traffic.attempts == 1


def test_x_should_retry_true_retries_a_400(base_url):
    add_rule(base_url, scripted_error(400, headers={"x-should-retry": "true", "retry-after-ms": "5"}), contains="retry-400")
    traffic = Traffic()
    _error(anthropic_client(base_url, traffic=traffic, max_retries=2), anthropic.BadRequestError,
           messages=user("retry-400"))
    assert traffic.attempts == 3


def test_in_band_stream_error_raises_and_is_not_retried(base_url):
    traffic = Traffic()
    client = anthropic_client(base_url, traffic=traffic, max_retries=2)
    received: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as info:
        with client.messages.stream(model=MODEL, max_tokens=256, messages=user("mock:stream-error")) as stream:
            for text in stream.text_stream:
                received.append(text)
    e = info.value
    assert type(e) is anthropic.APIStatusError
    assert e.status_code == 200 and e.type == "api_error"
    assert e.api_message == "The server had an error while streaming"
    assert traffic.attempts == 1
    assert received and STREAM_ERROR_TEXT.startswith("".join(received))
    assert "".join(received) != STREAM_ERROR_TEXT


# ---------------------------------------------------------------------------------------------
# billing
# ---------------------------------------------------------------------------------------------

def test_create_and_stream_bill_once_with_the_reported_tokens(base_url, fixtures):
    client = anthropic_client(base_url)
    kwargs = dict(model=MODEL, max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 1024},
                  messages=user("mock:think"))
    created = client.messages.create(**kwargs)
    with client.messages.stream(**kwargs) as stream:
        streamed = stream.get_final_message()
        stream_id = stream.request_id
    rows = wait_for_rows(base_url, 2)
    assert len(rows) == 2
    by_id = {r["request_id"]: r for r in rows}
    assert set(by_id) == {created._request_id, stream_id}
    for msg, rid in ((created, created._request_id), (streamed, stream_id)):
        row = by_id[rid]
        assert row["model"] == MODEL and row["surface"] == "messages" and row["api_key_id"] == "key_default"
        assert row["prompt_tokens"] == msg.usage.input_tokens == prompt_tokens("mock:think")
        # The ledger keeps thinking apart (billed at the input rate, the gateway's pricing rule).
        assert row["completion_tokens"] == count_tokens(THINK[1])
        assert row["thinking_tokens"] == count_tokens(THINK[0])
        assert row["credits"] > 0
    assert by_id[created._request_id]["credits"] == by_id[stream_id]["credits"]
    time.sleep(0.05)
    assert len(usage_rows(base_url)) == 2  # nothing billed twice
