"""Prompt caching through the official SDKs (docs/caching.md).

Per protocol: a second call with the same prefix reports the cache counts in the body and the stream,
its ledger row carries them, and X-Quota-Remaining-Credits drops by the price at the cache rates;
advancing the virtual clock past the lifetime makes the next call write (or miss) again; a read
refreshes the lifetime; /__mock/reset and sessions keep caches apart; the per-scope budget evicts the
least recently used prefix. Expected token counts come from the mock's documented approximation
(sdk_helpers.count_tokens), so every number is asserted exactly.
"""

from __future__ import annotations

import json

import anthropic
import pytest
import requests

from sdk_helpers import (  # noqa: F401  (reset_mock is an autouse fixture)
    DEFAULT,
    HTTP_TIMEOUT,
    anthropic_client,
    control,
    count_tokens,
    genai_client,
    openai_client,
    reset_mock,
    usage_rows,
    wait_for_rows,
)
from test_accounting import cost, micros

CLAUDE_MODEL = "claude-sonnet-4-6"   # has cache_control: explicit breakpoints on Messages
GPT_MODEL = "gpt-5-4"                # no cache_control: implicit caching on Chat and Responses
GEMINI_MODEL = "gemini-3-flash"      # no cache_control: implicit caching on Gemini
T0 = 1_780_000_000

# A long, deterministic reference text: about 1,500 tokens.
LONG = " ".join(f"clause{i} of the handbook" for i in range(400))
OTHER = " ".join(f"appendix{i} lists parts" for i in range(400))


def freeze(base_url: str, t: int = T0) -> None:
    r = control(base_url, "POST", "clock", {"action": "set", "time": t})
    assert r.status_code == 200 and r.json()["now"] == t, r.text


def advance(base_url: str, seconds: int) -> None:
    r = control(base_url, "POST", "clock", {"action": "advance", "seconds": seconds})
    assert r.status_code == 200, r.text


def quota(headers) -> int:
    return micros(headers["X-Quota-Remaining-Credits"])


def balance_quota(base_url: str) -> int:
    r = requests.get(base_url + "/v1/balance", headers={"Authorization": f"Bearer {DEFAULT}"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return quota(r.headers)


def openai_rounded(tokens: int) -> int:
    """OpenAI's cached count: 1,024 plus whole 128-token steps of the matched prefix, 0 below 1,024."""
    return 0 if tokens < 1024 else 1024 + (tokens - 1024) // 128 * 128


# ---------------------------------------------------------------------------------------------
# Anthropic Messages: explicit breakpoints
# ---------------------------------------------------------------------------------------------

def system_block(text: str, ttl: str | None = None) -> list[dict]:
    cc: dict = {"type": "ephemeral"}
    if ttl:
        cc["ttl"] = ttl
    return [{"type": "text", "text": text, "cache_control": cc}]


def ask_claude(client, question: str, system=None, **kw):
    """One Messages call through the SDK's raw-response API: (parsed message, response headers)."""
    raw = client.messages.with_raw_response.create(
        model=kw.pop("model", CLAUDE_MODEL), max_tokens=64, system=system if system is not None else system_block(LONG),
        messages=[{"role": "user", "content": question}], **kw)
    return raw.parse(), raw.headers


def test_anthropic_second_call_reads_the_cached_prefix_and_bills_the_cache_rates(base_url, fixtures):
    freeze(base_url)
    client = anthropic_client(base_url)
    model = fixtures.model(CLAUDE_MODEL)
    prefix = 1 + count_tokens(LONG)        # the prompt up to the system breakpoint
    before = balance_quota(base_url)

    first, h1 = ask_claude(client, "Summarise the handbook.")
    u = first.usage
    assert (u.cache_creation_input_tokens, u.cache_read_input_tokens) == (prefix, 0)
    assert (u.cache_creation.ephemeral_5m_input_tokens, u.cache_creation.ephemeral_1h_input_tokens) == (prefix, 0)
    assert u.input_tokens == 3 + count_tokens("Summarise the handbook.")
    write_cost = cost(model, input_tokens=u.input_tokens, output_tokens=u.output_tokens, cache_write_tokens=prefix)
    assert before - quota(h1) == write_cost

    second, h2 = ask_claude(client, "List its chapters.")
    u2 = second.usage
    assert (u2.cache_creation_input_tokens, u2.cache_read_input_tokens) == (0, prefix)
    assert (u2.cache_creation.ephemeral_5m_input_tokens, u2.cache_creation.ephemeral_1h_input_tokens) == (0, 0)
    assert u2.input_tokens == 3 + count_tokens("List its chapters.")
    read_cost = cost(model, input_tokens=u2.input_tokens, output_tokens=u2.output_tokens, cache_read_tokens=prefix)
    assert quota(h1) - quota(h2) == read_cost
    # The same prompt without caching would cost the input rate on every token: the read is cheaper.
    assert read_cost < cost(model, input_tokens=u2.input_tokens + prefix, output_tokens=u2.output_tokens) < write_cost

    rows = usage_rows(base_url)
    assert [(r["prompt_tokens"], r["cache_read_tokens"], r["cache_write_tokens"], r["credits"]) for r in rows] == [
        (u2.input_tokens, prefix, 0, read_cost), (u.input_tokens, 0, prefix, write_cost)]


def test_anthropic_stream_reports_the_same_cache_counts(base_url):
    freeze(base_url)
    client = anthropic_client(base_url)
    plain, _ = ask_claude(client, "First question.")
    with client.messages.stream(model=CLAUDE_MODEL, max_tokens=64, system=system_block(LONG),
                                messages=[{"role": "user", "content": "First question."}]) as stream:
        events = list(stream)
        final = stream.get_final_message()
    start = next(e for e in events if e.type == "message_start").message.usage
    assert (start.cache_read_input_tokens, start.cache_creation_input_tokens) == (plain.usage.cache_creation_input_tokens, 0)
    delta = next(e for e in events if e.type == "message_delta").usage
    assert (delta.cache_read_input_tokens, delta.input_tokens) == (start.cache_read_input_tokens, plain.usage.input_tokens)
    assert final.usage.cache_read_input_tokens == plain.usage.cache_creation_input_tokens
    assert final.usage.input_tokens == plain.usage.input_tokens
    rows = wait_for_rows(base_url, 2)
    assert rows[0]["cache_read_tokens"] == plain.usage.cache_creation_input_tokens


def test_anthropic_five_minute_entry_expires_and_a_read_refreshes_it(base_url):
    freeze(base_url)
    client = anthropic_client(base_url)
    prefix = 1 + count_tokens(LONG)

    def counts():
        u = ask_claude(client, "Again.")[0].usage
        return u.cache_creation_input_tokens, u.cache_read_input_tokens

    assert counts() == (prefix, 0)
    advance(base_url, 240)
    assert counts() == (0, prefix)          # read at 4 minutes: the lifetime starts again
    advance(base_url, 240)
    assert counts() == (0, prefix)          # 8 minutes after the write, 4 after the read
    advance(base_url, 301)
    assert counts() == (prefix, 0)          # past 5 minutes since the last read: written again


def test_anthropic_one_hour_breakpoint_outlives_five_minutes(base_url):
    freeze(base_url)
    client = anthropic_client(base_url)
    prefix = 1 + count_tokens(LONG)
    u = ask_claude(client, "Q.", system=system_block(LONG, "1h"))[0].usage
    assert (u.cache_creation.ephemeral_5m_input_tokens, u.cache_creation.ephemeral_1h_input_tokens) == (0, prefix)
    advance(base_url, 1800)
    assert ask_claude(client, "Q.", system=system_block(LONG, "1h"))[0].usage.cache_read_input_tokens == prefix
    advance(base_url, 3601)
    u = ask_claude(client, "Q.", system=system_block(LONG, "1h"))[0].usage
    assert (u.cache_read_input_tokens, u.cache_creation.ephemeral_1h_input_tokens) == (0, prefix)


def test_anthropic_tool_breakpoint_is_read_when_only_the_system_changes(base_url):
    """Breakpoints on a tool (1 h) and on the system (5 min): changing the system keeps the tool prefix."""
    freeze(base_url)
    client = anthropic_client(base_url)
    schema = {"type": "object", "properties": {"q": {"type": "string"}}}
    tools = [{"name": "lookup", "description": LONG, "input_schema": schema, "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    tool_tokens = 1 + count_tokens("lookup") + count_tokens(LONG) + count_tokens(json.dumps(schema, separators=(",", ":")))

    def call(system_text):
        return ask_claude(client, "Go.", system=system_block(system_text), tools=tools)[0].usage

    u = call(OTHER)
    assert u.cache_read_input_tokens == 0
    assert u.cache_creation.ephemeral_1h_input_tokens == tool_tokens
    assert u.cache_creation.ephemeral_5m_input_tokens == count_tokens(OTHER)
    u = call(LONG)
    assert u.cache_read_input_tokens == tool_tokens
    assert (u.cache_creation.ephemeral_1h_input_tokens, u.cache_creation.ephemeral_5m_input_tokens) == (0, count_tokens(LONG))


def test_anthropic_top_level_cache_control_follows_a_growing_conversation(base_url):
    """The top-level `cache_control` marks the last block; the next turn finds the previous turn's entry."""
    freeze(base_url)
    client = anthropic_client(base_url)
    turn1 = [{"role": "user", "content": LONG}]
    first = client.messages.create(model=CLAUDE_MODEL, max_tokens=64, messages=turn1, cache_control={"type": "ephemeral"})
    written = 1 + 3 + count_tokens(LONG)
    assert (first.usage.cache_creation_input_tokens, first.usage.input_tokens) == (written, 0)
    answer = first.content[0].text
    turn2 = turn1 + [{"role": "assistant", "content": answer}, {"role": "user", "content": "And then?"}]
    second = client.messages.create(model=CLAUDE_MODEL, max_tokens=64, messages=turn2, cache_control={"type": "ephemeral"})
    total = written + 3 + count_tokens(answer) + 3 + count_tokens("And then?")
    assert second.usage.cache_read_input_tokens == written
    assert second.usage.cache_creation_input_tokens == total - written
    assert second.usage.input_tokens == 0


def test_anthropic_prefix_below_the_minimum_is_not_cached(base_url):
    client = anthropic_client(base_url)
    for _ in range(2):
        u = ask_claude(client, "Hi.", system=system_block("A short system prompt."))[0].usage
        assert (u.cache_creation_input_tokens, u.cache_read_input_tokens) == (0, 0)
        assert u.cache_creation is not None and u.cache_creation.ephemeral_5m_input_tokens == 0


def test_anthropic_model_without_cache_control_ignores_breakpoints(base_url, fixtures):
    assert "cache_control" not in fixtures.model("deepseek-v3-2")["capabilities"]
    client = anthropic_client(base_url)
    for _ in range(2):
        u = ask_claude(client, "Hi.", model="deepseek-v3-2")[0].usage
        assert (u.cache_creation_input_tokens, u.cache_read_input_tokens, u.cache_creation) == (0, 0, None)
        assert u.input_tokens == 1 + count_tokens(LONG) + 3 + count_tokens("Hi.")


@pytest.mark.parametrize("system, problem", [
    ([{"type": "text", "text": f"part {i}", "cache_control": {"type": "ephemeral"}} for i in range(5)],
     "A maximum of 4 blocks with cache_control may be provided. Found 5."),
    ([{"type": "text", "text": "x", "cache_control": {"type": "ephemeral", "ttl": "2h"}}], "system.0.cache_control.ttl"),
    ([{"type": "text", "text": "x", "cache_control": {"type": "persistent"}}], "system.0.cache_control.type"),
    ([{"type": "text", "text": "x", "cache_control": "ephemeral"}], "system.0.cache_control"),
    ([{"type": "text", "text": "a", "cache_control": {"type": "ephemeral"}},
      {"type": "text", "text": "b", "cache_control": {"type": "ephemeral", "ttl": "1h"}}], "must not come after"),
])
def test_anthropic_rejects_malformed_breakpoints(base_url, system, problem):
    client = anthropic_client(base_url)
    with pytest.raises(anthropic.BadRequestError) as e:
        client.messages.create(model=CLAUDE_MODEL, max_tokens=16, system=system, messages=[{"role": "user", "content": "x"}])
    assert problem in e.value.body["error"]["message"]
    assert e.value.body["error"]["type"] == "invalid_request_error"
    assert usage_rows(base_url) == []


# ---------------------------------------------------------------------------------------------
# OpenAI Chat Completions and Responses: implicit caching
# ---------------------------------------------------------------------------------------------

def chat(client, question: str, system: str = LONG, model: str = GPT_MODEL, **kw):
    raw = client.chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "system", "content": system}, {"role": "user", "content": question}], **kw)
    return raw.parse(), raw.headers


def test_chat_repeated_prefix_reports_cached_tokens_in_128_token_steps(base_url, fixtures):
    freeze(base_url)
    client = openai_client(base_url)
    model = fixtures.model(GPT_MODEL)
    prefix = 1 + count_tokens(LONG)
    first, h1 = chat(client, "What is clause 7?")
    assert first.usage.prompt_tokens_details.cached_tokens == 0
    second, h2 = chat(client, "What is clause 9?")
    cached = openai_rounded(prefix)
    assert cached % 128 == 0 and 1024 <= cached <= prefix
    u = second.usage
    assert u.prompt_tokens == prefix + 3 + count_tokens("What is clause 9?")
    assert u.prompt_tokens_details.cached_tokens == cached
    read_cost = cost(model, input_tokens=u.prompt_tokens - cached, output_tokens=u.completion_tokens, cache_read_tokens=cached)
    assert quota(h1) - quota(h2) == read_cost
    assert read_cost < cost(model, input_tokens=u.prompt_tokens, output_tokens=u.completion_tokens)
    row = usage_rows(base_url)[0]
    assert (row["prompt_tokens"], row["cache_read_tokens"], row["cache_write_tokens"], row["credits"]) == (
        u.prompt_tokens - cached, cached, 0, read_cost)


def test_chat_stream_usage_carries_the_cached_tokens(base_url):
    client = openai_client(base_url)
    chat(client, "One.")
    plain = chat(client, "One.")[0].usage
    chunks = list(client.chat.completions.create(
        model=GPT_MODEL, messages=[{"role": "system", "content": LONG}, {"role": "user", "content": "One."}],
        stream=True, stream_options={"include_usage": True}))
    usage = chunks[-1].usage
    assert usage.prompt_tokens_details.cached_tokens == plain.prompt_tokens_details.cached_tokens > 0
    assert usage.prompt_tokens == plain.prompt_tokens


def test_chat_cache_expires_after_five_idle_minutes_unless_retained_for_24h(base_url):
    freeze(base_url)
    client = openai_client(base_url)
    cached = openai_rounded(1 + count_tokens(LONG))
    chat(client, "a")
    advance(base_url, 299)
    assert chat(client, "b")[0].usage.prompt_tokens_details.cached_tokens == cached
    advance(base_url, 301)
    assert chat(client, "c")[0].usage.prompt_tokens_details.cached_tokens == 0
    # Extended retention: the entry written now survives an hour of silence.
    chat(client, "d", system=OTHER, prompt_cache_retention="24h")
    advance(base_url, 3600)
    assert chat(client, "e", system=OTHER, prompt_cache_retention="24h")[0].usage.prompt_tokens_details.cached_tokens == \
        openai_rounded(1 + count_tokens(OTHER))


def test_chat_short_prompts_and_cache_control_models_never_cache(base_url):
    client = openai_client(base_url)
    for _ in range(2):
        assert chat(client, "hi", system="Be brief.")[0].usage.prompt_tokens_details.cached_tokens == 0
    for _ in range(2):  # a Claude model caches only at explicit breakpoints, which Chat cannot carry
        assert chat(client, "hi", model=CLAUDE_MODEL)[0].usage.prompt_tokens_details.cached_tokens == 0


def test_responses_input_tokens_details_cached_tokens_body_and_stream(base_url, fixtures):
    client = openai_client(base_url)
    model = fixtures.model(GPT_MODEL)
    first = client.responses.create(model=GPT_MODEL, instructions=LONG, input="Name a clause.")
    assert first.usage.input_tokens_details.cached_tokens == 0
    before = balance_quota(base_url)
    raw = client.responses.with_raw_response.create(model=GPT_MODEL, instructions=LONG, input="Name another.")
    second = raw.parse()
    cached = openai_rounded(1 + count_tokens(LONG))
    assert second.usage.input_tokens_details.cached_tokens == cached
    read_cost = cost(model, input_tokens=second.usage.input_tokens - cached, output_tokens=second.usage.output_tokens,
                     cache_read_tokens=cached)
    assert before - quota(raw.headers) == read_cost
    row = usage_rows(base_url)[0]
    assert (row["cache_read_tokens"], row["prompt_tokens"], row["credits"]) == (cached, second.usage.input_tokens - cached, read_cost)
    with client.responses.stream(model=GPT_MODEL, instructions=LONG, input="Name another.") as stream:
        final = stream.get_final_response()
    assert final.usage.input_tokens_details.cached_tokens == cached
    assert final.usage.input_tokens == second.usage.input_tokens


# ---------------------------------------------------------------------------------------------
# Gemini: implicit caching
# ---------------------------------------------------------------------------------------------

def test_gemini_cached_content_token_count_body_and_stream(base_url, fixtures):
    from google.genai import types as gtypes

    freeze(base_url)
    client = genai_client(base_url, api_version="v1beta")
    model = fixtures.model(GEMINI_MODEL)
    config = gtypes.GenerateContentConfig(system_instruction=LONG)
    first = client.models.generate_content(model=GEMINI_MODEL, contents="Which clause?", config=config)
    assert not first.usage_metadata.cached_content_token_count
    before = balance_quota(base_url)
    second = client.models.generate_content(model=GEMINI_MODEL, contents="Which appendix?", config=config)
    prefix = 1 + count_tokens(LONG)
    u = second.usage_metadata
    assert u.cached_content_token_count == prefix
    assert u.prompt_token_count == prefix + 3 + count_tokens("Which appendix?")
    read_cost = cost(model, input_tokens=u.prompt_token_count - prefix, output_tokens=u.candidates_token_count,
                     cache_read_tokens=prefix)
    assert before - balance_quota(base_url) == read_cost
    chunks = list(client.models.generate_content_stream(model=GEMINI_MODEL, contents="Which appendix?", config=config))
    # The same prompt as the second call, which cached all of it: the whole prompt is read.
    assert chunks[-1].usage_metadata.cached_content_token_count == u.prompt_token_count
    assert chunks[0].usage_metadata.cached_content_token_count == u.prompt_token_count
    advance(base_url, 301)
    late = client.models.generate_content(model=GEMINI_MODEL, contents="Which appendix?", config=config)
    assert not late.usage_metadata.cached_content_token_count


# ---------------------------------------------------------------------------------------------
# scope, reset, budget
# ---------------------------------------------------------------------------------------------

def test_reset_clears_the_cache_and_sessions_keep_caches_apart(base_url):
    client = anthropic_client(base_url)
    prefix = 1 + count_tokens(LONG)
    assert ask_claude(client, "x")[0].usage.cache_creation_input_tokens == prefix
    other = anthropic_client(base_url, default_headers={"X-Mock-Session": "caching-b"})
    assert ask_claude(other, "x")[0].usage.cache_creation_input_tokens == prefix   # another session: its own cache
    assert ask_claude(other, "x")[0].usage.cache_read_input_tokens == prefix
    r = requests.post(base_url + "/__mock/reset", headers={"X-Mock-Session": "caching-b"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert ask_claude(other, "x")[0].usage.cache_creation_input_tokens == prefix   # that session's cache is gone
    assert ask_claude(client, "x")[0].usage.cache_read_input_tokens == prefix      # the other is not
    assert control(base_url, "POST", "reset").status_code == 200
    assert ask_claude(client, "x")[0].usage.cache_creation_input_tokens == prefix


def test_budget_evicts_the_least_recently_used_prefixes(base_url):
    """512 prefixes per account and session: a Chat request of 17 cuts past 1,024 tokens stores its
    16 longest, so the 33rd distinct prompt pushes the first one out, while the newest stays."""
    client = openai_client(base_url)

    def prompt(i):
        doc = f"Document {i}. " + LONG
        return [{"role": "user", "content": doc}] + [{"role": "user", "content": f"note {k}"} for k in range(16)]

    def cached(i):
        r = client.chat.completions.create(model=GPT_MODEL, messages=prompt(i))
        return r.usage.prompt_tokens_details.cached_tokens

    for i in range(33):
        assert cached(i) == 0
    assert cached(32) > 0       # the newest prompt is still cached
    assert cached(1) > 0        # the second survived (only the first request's 16 entries went)
    assert cached(0) == 0       # the least recently used one was evicted
