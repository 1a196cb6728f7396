"""Structured outputs through the official SDKs, on all four protocols, streamed and not.

Each protocol in its provider's current request shape: Anthropic `output_config.format` (and the
beta top-level `output_format` with `anthropic-beta: structured-outputs-…`), Chat `response_format`
json_schema / json_object, Responses `text.format`, Gemini `responseSchema` / `responseJsonSchema`
with `responseMimeType`. The reply is a JSON document that validates against the schema with
`jsonschema` (Draft 2020-12, formats checked) and that the SDKs' own parse helpers turn into nested
pydantic models: `anthropic` messages.parse / messages.stream / beta.messages.parse, `openai`
chat.completions.parse / chat.completions.stream / responses.parse / responses.stream,
`google-genai` response_schema. A model without the `json_schema` capability gets the catalog's
400 naming the field.
"""

from __future__ import annotations

import enum
import json
from typing import List, Literal, Optional

import anthropic
import httpx
import jsonschema
import pytest
from google.genai import types as gt
from pydantic import BaseModel, Field

from sdk_helpers import (  # noqa: F401  (reset_mock is an autouse fixture)
    DEFAULT, WEATHER_SCHEMA, anthropic_client, genai_client, openai_client, reset_mock,
)

ANTHROPIC_MODEL = "kimi-k2-6"          # served on /v1/messages, has json_schema
NO_SCHEMA_ANTHROPIC = "deepseek-v3-anthropic"  # /v1/messages only, no json_schema
GPT = "gpt-5-4"
GEM = "gemini-3-flash"
PROMPT = "Describe the team that maintains Lisbon"
STREAMS = [pytest.param(False, id="plain"), pytest.param(True, id="stream")]
TIMEOUT = 10.0


class Address(BaseModel):
    street: str
    city: str
    postcode: Optional[str] = None


class Role(str, enum.Enum):
    lead = "lead"
    member = "member"


class Person(BaseModel):
    name: str
    age: int = Field(ge=18, le=99)
    role: Role
    home: Address
    email: Optional[str] = None


class Team(BaseModel):
    name: str
    kind: Literal["engineering", "support"]
    members: List[Person]
    lead: Person
    tags: List[str] = []


def validate(document, model=Team):
    """The document validates against the model's JSON Schema (formats asserted) and parses into the model."""
    jsonschema.validate(document, model.model_json_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return model.model_validate(document)


def assert_team(team):
    assert isinstance(team, Team)
    assert team.members and all(isinstance(p, Person) and isinstance(p.home, Address) for p in team.members)
    assert isinstance(team.lead, Person) and 18 <= team.lead.age <= 99


# ---------------------------------------------------------------------------------------------
# Anthropic Messages
# ---------------------------------------------------------------------------------------------

def anthropic_text(client, stream, **kw):
    if stream:
        with client.messages.stream(**kw) as s:
            deltas = [e.delta.text for e in s if e.type == "content_block_delta" and e.delta.type == "text_delta"]
            final = s.get_final_message()
        assert len(deltas) > 1, "the document arrives as several text deltas"
        assert "".join(deltas) == final.content[0].text
        return final
    return client.messages.create(**kw)


@pytest.mark.parametrize("stream", STREAMS)
def test_anthropic_output_config_format_reply_is_a_document_valid_against_the_schema(base_url, stream):
    client = anthropic_client(base_url)
    msg = anthropic_text(client, stream, model=ANTHROPIC_MODEL, max_tokens=2048, messages=[{"role": "user", "content": PROMPT}],
                         output_config={"format": {"type": "json_schema", "schema": Team.model_json_schema()}})
    assert msg.stop_reason == "end_turn" and [b.type for b in msg.content] == ["text"]
    assert_team(validate(json.loads(msg.content[0].text)))


@pytest.mark.parametrize("model", [ANTHROPIC_MODEL, "claude-sonnet-4-6", "claude-haiku-4-5"])
def test_anthropic_messages_parse_returns_nested_pydantic_models(base_url, model):
    client = anthropic_client(base_url)
    msg = client.messages.parse(model=model, max_tokens=2048, output_format=Team,
                                messages=[{"role": "user", "content": PROMPT}])
    assert_team(msg.parsed_output)


def test_anthropic_messages_stream_with_output_format_parses_the_final_message(base_url):
    client = anthropic_client(base_url)
    with client.messages.stream(model=ANTHROPIC_MODEL, max_tokens=2048, output_format=Team,
                                messages=[{"role": "user", "content": PROMPT}]) as s:
        final = s.get_final_message()
    assert_team(final.parsed_output)


def test_anthropic_beta_messages_parse_with_the_structured_outputs_beta(base_url):
    client = anthropic_client(base_url)
    msg = client.beta.messages.parse(model=ANTHROPIC_MODEL, max_tokens=2048, output_format=Team,
                                     betas=["structured-outputs-2025-11-13"], messages=[{"role": "user", "content": PROMPT}])
    assert_team(msg.parsed_output)


@pytest.mark.parametrize("stream", STREAMS)
def test_anthropic_beta_top_level_output_format_is_honoured(base_url, stream):
    """The beta shape as older clients (and litellm) send it: `output_format` at the top level."""
    client = anthropic_client(base_url, default_headers={"anthropic-beta": "structured-outputs-2025-11-13"})
    msg = anthropic_text(client, stream, model=ANTHROPIC_MODEL, max_tokens=2048, messages=[{"role": "user", "content": PROMPT}],
                         extra_body={"output_format": {"type": "json_schema", "schema": Team.model_json_schema()}})
    assert_team(validate(json.loads(msg.content[0].text)))


def test_anthropic_structured_output_after_a_tool_result_is_still_a_document(base_url):
    client = anthropic_client(base_url)
    tools = [{"name": "get_weather", "description": "weather", "input_schema": WEATHER_SCHEMA}]
    history = [{"role": "user", "content": "What is the weather in Lisbon?"}]
    first = client.messages.create(model=ANTHROPIC_MODEL, max_tokens=1024, tools=tools, messages=history)
    call = next(b for b in first.content if b.type == "tool_use")
    history += [{"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "21 C"}]}]
    msg = client.messages.parse(model=ANTHROPIC_MODEL, max_tokens=2048, tools=tools, messages=history, output_format=Team)
    assert_team(msg.parsed_output)


def test_anthropic_structured_output_on_a_model_without_json_schema_is_the_capability_error(base_url):
    client = anthropic_client(base_url)
    with pytest.raises(anthropic.BadRequestError) as e:
        client.messages.parse(model=NO_SCHEMA_ANTHROPIC, max_tokens=256, output_format=Team,
                              messages=[{"role": "user", "content": PROMPT}])
    assert e.value.status_code == 400
    body = e.value.body
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert "structured output" in body["error"]["message"] and NO_SCHEMA_ANTHROPIC in body["error"]["message"]


@pytest.mark.parametrize("payload, field", [
    ({"output_config": {"format": {"type": "xml", "schema": {}}}}, "output_config.format.type"),
    ({"output_config": {"format": {"type": "json_schema"}}}, "output_config.format.schema"),
    ({"output_config": {"format": {"type": "json_schema", "schema": "object"}}}, "output_config.format.schema"),
    ({"output_config": {"effort": "extreme"}}, "output_config.effort"),
    ({"output_format": {"type": "json_schema", "schema": []}}, "output_format.schema"),
])
def test_anthropic_malformed_output_format_is_a_400_naming_the_field(base_url, payload, field):
    body = {"model": ANTHROPIC_MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}], **payload}
    r = httpx.post(base_url + "/v1/messages", json=body, timeout=TIMEOUT,
                   headers={"x-api-key": DEFAULT, "anthropic-version": "2023-06-01"})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error" and field in error["message"], error


# ---------------------------------------------------------------------------------------------
# OpenAI Chat Completions
# ---------------------------------------------------------------------------------------------

def test_chat_completions_parse_returns_nested_pydantic_models(base_url):
    client = openai_client(base_url)
    done = client.chat.completions.parse(model=GPT, response_format=Team, messages=[{"role": "user", "content": PROMPT}])
    msg = done.choices[0].message
    assert done.choices[0].finish_reason == "stop" and msg.refusal is None
    assert_team(msg.parsed)
    assert_team(validate(json.loads(msg.content)))


def test_chat_completions_stream_with_response_format_parses_the_final_completion(base_url):
    client = openai_client(base_url)
    with client.chat.completions.stream(model=GPT, response_format=Team, messages=[{"role": "user", "content": PROMPT}]) as s:
        deltas = [e.delta for e in s if e.type == "content.delta"]
        done = s.get_final_completion()
    assert len(deltas) > 1
    assert_team(done.choices[0].message.parsed)


@pytest.mark.parametrize("stream", STREAMS)
def test_chat_json_object_reply_is_a_json_object(base_url, stream):
    client = openai_client(base_url)
    kw = dict(model=GPT, response_format={"type": "json_object"}, messages=[{"role": "user", "content": "Reply in JSON"}])
    if stream:
        text = "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(stream=True, **kw) if c.choices)
    else:
        text = client.chat.completions.create(**kw).choices[0].message.content
    assert isinstance(json.loads(text), dict)


# ---------------------------------------------------------------------------------------------
# OpenAI Responses
# ---------------------------------------------------------------------------------------------

def test_responses_parse_returns_nested_pydantic_models(base_url):
    client = openai_client(base_url)
    r = client.responses.parse(model=GPT, text_format=Team, input=PROMPT)
    assert r.status == "completed"
    assert_team(r.output_parsed)
    assert r.text.format.type == "json_schema"


def test_responses_stream_with_text_format_parses_the_final_response(base_url):
    client = openai_client(base_url)
    with client.responses.stream(model=GPT, text_format=Team, input=PROMPT) as s:
        deltas = [e.delta for e in s if e.type == "response.output_text.delta"]
        r = s.get_final_response()
    assert len(deltas) > 1
    assert_team(r.output_parsed)


@pytest.mark.parametrize("stream", STREAMS)
def test_responses_json_object_reply_is_a_json_object(base_url, stream):
    client = openai_client(base_url)
    kw = dict(model=GPT, text={"format": {"type": "json_object"}}, input="Reply in JSON")
    if stream:
        text = "".join(e.delta for e in client.responses.create(stream=True, **kw) if e.type == "response.output_text.delta")
    else:
        text = client.responses.create(**kw).output_text
    assert isinstance(json.loads(text), dict)


# ---------------------------------------------------------------------------------------------
# Gemini
# ---------------------------------------------------------------------------------------------

def gemini_text(client, stream, config):
    if stream:
        chunks = list(client.models.generate_content_stream(model=GEM, contents=PROMPT, config=config))
        return "".join(c.text or "" for c in chunks), None
    r = client.models.generate_content(model=GEM, contents=PROMPT, config=config)
    return r.text, r


@pytest.mark.parametrize("stream", STREAMS)
@pytest.mark.parametrize("api_version", [None, "v1beta"])
def test_gemini_response_schema_pydantic_model_parses_into_nested_models(base_url, api_version, stream):
    client = genai_client(base_url, api_version=api_version)
    config = gt.GenerateContentConfig(response_mime_type="application/json", response_schema=Team)
    text, r = gemini_text(client, stream, config)
    assert_team(validate(json.loads(text)))
    if r is not None:
        assert_team(r.parsed)


@pytest.mark.parametrize("stream", STREAMS)
def test_gemini_response_json_schema_reply_validates(base_url, stream):
    client = genai_client(base_url, api_version="v1beta")
    config = gt.GenerateContentConfig(response_mime_type="application/json", response_json_schema=Team.model_json_schema())
    text, _ = gemini_text(client, stream, config)
    assert_team(validate(json.loads(text)))


def test_gemini_response_schema_list_of_models_parses_into_a_list(base_url):
    client = genai_client(base_url, api_version="v1beta")
    r = client.models.generate_content(model=GEM, contents=PROMPT,
                                       config=gt.GenerateContentConfig(response_mime_type="application/json",
                                                                       response_schema=list[Person]))
    assert isinstance(r.parsed, list) and r.parsed and all(isinstance(p, Person) for p in r.parsed)


def test_gemini_enum_response_schema_with_text_x_enum_answers_a_bare_member(base_url):
    client = genai_client(base_url, api_version="v1beta")
    r = client.models.generate_content(model=GEM, contents="Which role?",
                                       config=gt.GenerateContentConfig(response_mime_type="text/x.enum", response_schema=Role))
    assert r.text in {"lead", "member"}
    assert r.parsed in (Role.lead, Role.member)


@pytest.mark.parametrize("stream", STREAMS)
def test_gemini_json_mime_type_without_schema_is_a_json_document(base_url, stream):
    client = genai_client(base_url, api_version="v1beta")
    text, _ = gemini_text(client, stream, gt.GenerateContentConfig(response_mime_type="application/json"))
    assert isinstance(json.loads(text), dict)


# ---------------------------------------------------------------------------------------------
# strict function tools whose arguments are a nested model (instructor's and the Agents SDK's way)
# ---------------------------------------------------------------------------------------------

def test_chat_parse_with_a_strict_pydantic_tool_forced_returns_parsed_arguments(base_url):
    import openai
    client = openai_client(base_url)
    done = client.chat.completions.parse(model=GPT, messages=[{"role": "user", "content": PROMPT}],
                                         tools=[openai.pydantic_function_tool(Team)],
                                         tool_choice={"type": "function", "function": {"name": "Team"}})
    call = done.choices[0].message.tool_calls[0]
    assert done.choices[0].finish_reason == "tool_calls" and call.function.name == "Team"
    assert_team(call.function.parsed_arguments)


def test_responses_parse_with_a_strict_pydantic_tool_required_returns_parsed_arguments(base_url):
    import openai
    client = openai_client(base_url)
    r = client.responses.parse(model=GPT, input=PROMPT, tools=[openai.pydantic_function_tool(Team)], tool_choice="required")
    calls = [o for o in r.output if o.type == "function_call"]
    assert [c.name for c in calls] == ["Team"]
    assert_team(calls[0].parsed_arguments)
