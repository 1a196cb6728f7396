"""Strict request fields (docs/request-fields.md): an unknown field is the provider's 400 in its
own envelope and words, on every text endpoint, sent raw or through an official SDK's
`extra_body`; the SDKs' own requests (with the optional fields they add) still pass; the switch
that relaxes the check (header and flag); and the docs' tables cover every field the installed
SDKs define.
"""

from __future__ import annotations

import re

import anthropic
import openai
import pytest
import requests
from google.genai import errors as gerrors
from google.genai import types as gt

from conftest import ROOT
from mockproc import run_cli, running_mock
from sdk_helpers import (  # noqa: F401  (reset_mock is an autouse fixture)
    DEFAULT, HTTP_TIMEOUT, WEATHER_SCHEMA, anthropic_client, genai_client, openai_client, reset_mock,
)

CLAUDE, GPT, GEMINI = "claude-sonnet-4-6", "gpt-5-4", "gemini-3-flash"
HI = [{"role": "user", "content": "hi"}]
DOC = ROOT / "docs" / "request-fields.md"
GEMINI_UNKNOWN = 'Invalid JSON payload received. Unknown name "bogus_field": Cannot find field.'
GEMINI_ERROR = {"error": {"code": 400, "message": GEMINI_UNKNOWN, "status": "INVALID_ARGUMENT", "details": [
    {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [{"description": GEMINI_UNKNOWN}]}]}}

# (path, auth header, body, expected status-400 body minus volatile members)
RAW = [
    pytest.param("/v1/messages", {"x-api-key": DEFAULT}, {"model": CLAUDE, "max_tokens": 8, "messages": HI},
                 {"type": "error", "error": {"type": "invalid_request_error",
                                             "message": "bogus_field: Extra inputs are not permitted"}},
                 id="anthropic-messages"),
    pytest.param("/v1/messages/count_tokens", {"x-api-key": DEFAULT}, {"model": CLAUDE, "messages": HI},
                 {"type": "error", "error": {"type": "invalid_request_error",
                                             "message": "bogus_field: Extra inputs are not permitted"}},
                 id="anthropic-count-tokens"),
    pytest.param("/v1/chat/completions", {"Authorization": f"Bearer {DEFAULT}"}, {"model": GPT, "messages": HI},
                 {"error": {"message": "Unrecognized request argument supplied: bogus_field",
                            "type": "invalid_request_error", "param": None, "code": None}},
                 id="openai-chat"),
    pytest.param("/v1/responses", {"Authorization": f"Bearer {DEFAULT}"}, {"model": GPT, "input": "hi"},
                 {"error": {"message": "Unknown parameter: 'bogus_field'.", "type": "invalid_request_error",
                            "param": "bogus_field", "code": "unknown_parameter"}},
                 id="openai-responses"),
    pytest.param("/v1/images/generations", {"Authorization": f"Bearer {DEFAULT}"},
                 {"model": "gpt-image-2", "prompt": "a lighthouse", "size": "1024x1024"},
                 {"error": {"message": "Unrecognized request argument supplied: bogus_field",
                            "type": "invalid_request_error", "param": None, "code": None}},
                 id="images"),
    pytest.param(f"/v1beta/models/{GEMINI}:generateContent", {"x-goog-api-key": DEFAULT},
                 {"contents": [{"parts": [{"text": "hi"}]}]},
                 GEMINI_ERROR, id="gemini"),
    pytest.param(f"/v1beta/models/{GEMINI}:streamGenerateContent?alt=sse", {"x-goog-api-key": DEFAULT},
                 {"contents": [{"parts": [{"text": "hi"}]}]},
                 GEMINI_ERROR, id="gemini-stream"),
    pytest.param(f"/v1beta/models/{GEMINI}:countTokens", {"x-goog-api-key": DEFAULT},
                 {"contents": [{"parts": [{"text": "hi"}]}]},
                 GEMINI_ERROR, id="gemini-count"),
]


def post(base_url: str, path: str, headers: dict, body: dict) -> requests.Response:
    return requests.post(base_url + path, json=body, headers=headers, timeout=HTTP_TIMEOUT)


@pytest.mark.parametrize("path, headers, body, want", RAW)
def test_bogus_field_is_the_providers_400_on_every_text_endpoint(base_url, path, headers, body, want):
    r = post(base_url, path, headers, {**body, "bogus_field": 1})
    assert r.status_code == 400, r.text
    got = r.json()
    got.pop("request_id", None)
    assert got == want
    # The same body without the typo is fine: the 400 is the field's, nothing else's.
    assert post(base_url, path, headers, body).status_code == 200


@pytest.mark.parametrize("path, headers, body, want", RAW)
def test_header_ignore_lets_an_unknown_field_through_for_one_request(base_url, path, headers, body, want):
    r = post(base_url, path, {**headers, "X-Mock-Unknown-Fields": "ignore"}, {**body, "bogus_field": 1})
    assert r.status_code == 200, r.text
    assert post(base_url, path, {**headers, "X-Mock-Unknown-Fields": "reject"}, {**body, "bogus_field": 1}).status_code == 400


def test_header_with_another_value_is_a_400_naming_it(base_url):
    r = post(base_url, "/v1/chat/completions", {"Authorization": f"Bearer {DEFAULT}", "X-Mock-Unknown-Fields": "off"},
             {"model": GPT, "messages": HI})
    assert r.status_code == 400 and r.json()["error"]["param"] == "X-Mock-Unknown-Fields", r.text


def test_flag_ignore_relaxes_the_check_and_a_bad_value_stops_start_up():
    with running_mock("--unknown-fields", "ignore") as mock:
        body = {"model": GPT, "messages": HI, "top_k": 3}
        assert post(mock.url, "/v1/chat/completions", {"Authorization": f"Bearer {DEFAULT}"}, body).status_code == 200
        r = post(mock.url, "/v1/chat/completions",
                 {"Authorization": f"Bearer {DEFAULT}", "X-Mock-Unknown-Fields": "reject"}, body)
        assert r.status_code == 400 and r.json()["error"]["message"] == "Unrecognized request argument supplied: top_k"
    bad = run_cli("--unknown-fields", "lenient")
    assert bad.returncode == 2 and "--unknown-fields expects reject or ignore" in bad.stderr


def test_nested_unknown_fields_name_their_path(base_url):
    r = post(base_url, "/v1/messages", {"x-api-key": DEFAULT},
             {"model": CLAUDE, "max_tokens": 8, "messages": HI, "metadata": {"user_id": "u", "session": "s"}})
    assert r.json()["error"]["message"] == "metadata.session: Extra inputs are not permitted"
    r = post(base_url, "/v1/chat/completions", {"Authorization": f"Bearer {DEFAULT}"},
             {"model": GPT, "messages": HI, "stream": True, "stream_options": {"include_usage": True, "usage": True}})
    assert r.json()["error"] == {"message": "Unknown parameter: 'stream_options.usage'.", "type": "invalid_request_error",
                                 "param": "stream_options.usage", "code": "unknown_parameter"}
    r = post(base_url, f"/v1beta/models/{GEMINI}:generateContent", {"x-goog-api-key": DEFAULT},
             {"contents": [{"parts": [{"text": "hi"}]}], "generationConfig": {"max_tokens": 5}})
    message = 'Invalid JSON payload received. Unknown name "max_tokens" at \'generation_config\': Cannot find field.'
    assert r.json()["error"]["message"] == message
    assert r.json()["error"]["details"][0]["fieldViolations"] == [{"field": "generation_config", "description": message}]


# ---------------------------------------------------------------------------------------------
# through the official SDKs
# ---------------------------------------------------------------------------------------------

def test_anthropic_extra_body_bogus_field_is_a_bad_request(base_url):
    client = anthropic_client(base_url)
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model=CLAUDE, max_tokens=8, messages=HI, extra_body={"bogus_field": 1})
    assert info.value.body["error"] == {"type": "invalid_request_error", "message": "bogus_field: Extra inputs are not permitted"}
    with pytest.raises(anthropic.BadRequestError):
        client.messages.count_tokens(model=CLAUDE, messages=HI, extra_body={"bogus_field": 1})


@pytest.mark.parametrize("endpoint", ["chat", "responses", "images"])
def test_openai_extra_body_bogus_field_is_a_bad_request(base_url, endpoint):
    client = openai_client(base_url)
    with pytest.raises(openai.BadRequestError) as info:
        if endpoint == "chat":
            client.chat.completions.create(model=GPT, messages=HI, extra_body={"bogus_field": 1})
        elif endpoint == "responses":
            client.responses.create(model=GPT, input="hi", extra_body={"bogus_field": 1})
        else:
            client.images.generate(model="gpt-image-2", prompt="a lighthouse", extra_body={"bogus_field": 1})
    # Responses names the parameter; Chat and images name it only in the message, as OpenAI does.
    assert info.value.param == ("bogus_field" if endpoint == "responses" else None)
    assert info.value.code == ("unknown_parameter" if endpoint == "responses" else None)
    assert "bogus_field" in info.value.message


def test_genai_extra_body_bogus_field_is_a_client_error(base_url):
    client = genai_client(base_url, api_version="v1beta")
    config = gt.GenerateContentConfig(http_options=gt.HttpOptions(extra_body={"bogus_field": 1}))
    with pytest.raises(gerrors.ClientError) as info:
        client.models.generate_content(model=GEMINI, contents="hi", config=config)
    assert info.value.code == 400 and info.value.status == "INVALID_ARGUMENT"
    assert info.value.message == GEMINI_UNKNOWN
    assert info.value.details == GEMINI_ERROR


def test_sdk_requests_with_many_optional_fields_pass_the_strict_check(base_url):
    """Each SDK with a broad set of its documented options (which it serialises with its own
    spellings and defaults) gets a 200."""
    tools = [{"name": "get_weather", "description": "weather", "input_schema": WEATHER_SCHEMA}]
    m = anthropic_client(base_url).messages.create(
        model=CLAUDE, max_tokens=64, messages=HI, system=[{"type": "text", "text": "be brief"}],
        stop_sequences=["END"], metadata={"user_id": "u-1"}, service_tier="auto", tools=tools,
        tool_choice={"type": "auto", "disable_parallel_tool_use": True})
    assert m.type == "message"
    assert anthropic_client(base_url).messages.count_tokens(
        model=CLAUDE, messages=HI, system="s", tools=tools, tool_choice={"type": "auto"}).input_tokens > 0

    client = openai_client(base_url)
    fn = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA}}]
    chunks = list(client.chat.completions.create(
        model=GPT, messages=HI, stream=True, stream_options={"include_usage": True}, temperature=0.3, top_p=0.9,
        frequency_penalty=0.1, presence_penalty=0.1, seed=7, user="u", metadata={"k": "v"}, store=False,
        logit_bias={"50256": -100}, max_completion_tokens=64, stop=["END"], tools=fn, tool_choice="auto",
        parallel_tool_calls=False, service_tier="auto", prompt_cache_key="pk", safety_identifier="sid"))
    assert chunks[-1].usage is not None
    r = client.responses.create(
        model=GPT, input="hi", instructions="brief", temperature=0.3, top_p=0.9, max_output_tokens=64,
        metadata={"k": "v"}, store=True, truncation="auto", include=["message.output_text.logprobs"],
        parallel_tool_calls=False, user="u", service_tier="auto", prompt_cache_key="pk", safety_identifier="sid",
        text={"format": {"type": "text"}, "verbosity": "low"},
        tools=[{"type": "function", "name": "get_weather", "parameters": WEATHER_SCHEMA, "strict": False}])
    assert r.status in ("completed", "incomplete")

    gclient = genai_client(base_url, api_version="v1beta")
    g = gclient.models.generate_content(
        model=GEMINI, contents="hi",
        config=gt.GenerateContentConfig(
            system_instruction="brief", temperature=0.4, top_p=0.9, top_k=20, max_output_tokens=64,
            stop_sequences=["END"], seed=3, presence_penalty=0.1, frequency_penalty=0.1, candidate_count=1,
            response_mime_type="text/plain",
            safety_settings=[gt.SafetySetting(category="HARM_CATEGORY_HARASSMENT", threshold="BLOCK_NONE")],
            tools=[gt.Tool(function_declarations=[gt.FunctionDeclaration(name="get_weather", parameters_json_schema=WEATHER_SCHEMA)])],
            tool_config=gt.ToolConfig(function_calling_config=gt.FunctionCallingConfig(mode="AUTO")),
            automatic_function_calling=gt.AutomaticFunctionCallingConfig(disable=True)))
    assert g.candidates


# ---------------------------------------------------------------------------------------------
# the docs' tables cover what the SDKs can send
# ---------------------------------------------------------------------------------------------

def documented() -> dict[str, set[str]]:
    """Section title → the field paths its table lists."""
    out: dict[str, set[str]] = {}
    section = None
    for line in DOC.read_text().splitlines():
        if line.startswith("### "):
            section = line[4:].strip()
            out[section] = set()
        elif section and (m := re.match(r"\| `([^`]+)` \| (honoured|ignored) \|", line)):
            out[section].add(m.group(1))
    return out


def sdk_keys(*types) -> set[str]:
    keys: set[str] = set()
    for t in types:
        for k in t.__mro__:
            keys |= set(getattr(k, "__annotations__", {}))
    return keys


def test_docs_tables_list_every_top_level_field_the_sdks_define():
    from anthropic.types import message_count_tokens_params as act, message_create_params as amc
    from anthropic.types.beta import message_count_tokens_params as bct, message_create_params as bmc
    from openai.types import image_generate_params as ig
    from openai.types.chat import completion_create_params as cc
    from openai.types.responses import response_create_params as rc

    docs = documented()
    assert set(docs) >= {"Anthropic Messages", "Anthropic count_tokens", "OpenAI Chat Completions",
                         "OpenAI Responses", "Gemini generateContent", "Gemini countTokens", "Image generation"}
    header_only = {"betas"}  # the SDK sends it as the anthropic-beta header
    wants = {
        "Anthropic Messages": sdk_keys(amc.MessageCreateParamsStreaming, amc.MessageCreateParamsNonStreaming,
                                       bmc.MessageCreateParamsStreaming, bmc.MessageCreateParamsNonStreaming) - header_only,
        "Anthropic count_tokens": sdk_keys(act.MessageCountTokensParams, bct.MessageCountTokensParams) - header_only,
        "OpenAI Chat Completions": sdk_keys(cc.CompletionCreateParamsStreaming, cc.CompletionCreateParamsNonStreaming),
        "OpenAI Responses": sdk_keys(rc.ResponseCreateParamsStreaming, rc.ResponseCreateParamsNonStreaming),
        "Image generation": sdk_keys(ig.ImageGenerateParamsStreaming, ig.ImageGenerateParamsNonStreaming),
    }
    for title, want in wants.items():
        assert want, title
        top = {f for f in docs[title] if "." not in f}
        assert want <= top, f"{title}: not in docs/request-fields.md: {sorted(want - top)}"


def test_docs_tables_list_the_members_of_the_checked_sdk_objects():
    from anthropic.types import metadata_param, thinking_config_enabled_param, tool_choice_tool_param
    from openai.types.chat import chat_completion_stream_options_param as cso
    from openai.types.responses import response_create_params as rc, response_text_config_param
    from openai.types.shared_params import reasoning

    docs = documented()
    pairs = [
        ("Anthropic Messages", "metadata", metadata_param.MetadataParam),
        ("Anthropic Messages", "thinking", thinking_config_enabled_param.ThinkingConfigEnabledParam),
        ("Anthropic Messages", "tool_choice", tool_choice_tool_param.ToolChoiceToolParam),
        ("OpenAI Chat Completions", "stream_options", cso.ChatCompletionStreamOptionsParam),
        ("OpenAI Responses", "stream_options", rc.StreamOptions),
        ("OpenAI Responses", "reasoning", reasoning.Reasoning),
        ("OpenAI Responses", "text", response_text_config_param.ResponseTextConfigParam),
    ]
    for title, obj, t in pairs:
        want = {f"{obj}.{k}" for k in sdk_keys(t)}
        assert want and want <= docs[title], f"{title} {obj}: {sorted(want - docs[title])}"


def test_docs_tables_list_every_generation_config_field_google_genai_sends(base_url):
    """google-genai's GenerateContentConfig → the REST `generationConfig` members it writes: the
    SDK's own converter on a config that sets each field the Gemini API takes."""
    from google.genai import models

    config = gt.GenerateContentConfig(
        temperature=0.1, top_p=0.5, top_k=3, candidate_count=1, max_output_tokens=9, stop_sequences=["x"],
        response_logprobs=True, logprobs=2, presence_penalty=0.1, frequency_penalty=0.1, seed=1,
        response_mime_type="application/json", response_json_schema={"type": "object"},
        response_modalities=["TEXT"], media_resolution="MEDIA_RESOLUTION_LOW",
        speech_config=gt.SpeechConfig(language_code="en-US"), thinking_config=gt.ThinkingConfig(thinking_budget=0),
        image_config=gt.ImageConfig(aspect_ratio="1:1"), enable_enhanced_civic_answers=True)
    client = genai_client(base_url, api_version="v1beta")
    parent: dict = {}
    body = models._GenerateContentConfig_to_mldev(client._api_client, config.model_dump(exclude_none=True), parent)
    sent = {f"generationConfig.{k}" for k in body}
    docs = documented()["Gemini generateContent"]
    assert len(sent) >= 15 and sent <= docs, sorted(sent - docs)
    assert {k for k in parent} <= docs
