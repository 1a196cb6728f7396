"""Credentials and their 401s, over plain HTTP and through the official SDKs.

- An `Authorization` header must use the Bearer scheme, as the gateway and OpenAI require: a bare
  key (`Authorization: sk-byts-…`), another scheme (`Basic …`) or `Bearer` with no token is a 401
  on every surface, in that surface's envelope, even when the bare key exists.
- A 401 for an unknown key names the credential the client sent: `x-api-key`, the bearer token,
  `x-goog-api-key` or `?key=` (Gemini clients no longer read "invalid x-api-key").
- A missing key's hint lists the credentials the surface's clients send, native first.
"""

from __future__ import annotations

import base64

import anthropic
import httpx
import openai
import pytest
from google.genai import errors as genai_errors

from sdk_helpers import (  # noqa: F401  (reset_mock is an autouse fixture)
    BAD, DEFAULT, anthropic_client, genai_client, openai_client, reset_mock,
)

TIMEOUT = 10
GPT = "gpt-5-4-mini"
CLAUDE_MODEL = "claude-sonnet-4-6"
GEM = "gemini-2.5-flash"

BEARER_MESSAGE = "invalid bearer token in Authorization"
UNKNOWN_MESSAGES = {
    "x-api-key": "invalid x-api-key",
    "bearer": BEARER_MESSAGE,
    "x-goog-api-key": "invalid x-goog-api-key",
    "query": "invalid key= query parameter",
}


@pytest.fixture
def http(base_url):
    with httpx.Client(base_url=base_url, timeout=TIMEOUT) as client:
        yield client


# Each surface: a request (method, path, JSON body) and how its envelope reports a 401.
SURFACES = {
    "chat": ("POST", "/v1/chat/completions", {"model": GPT, "messages": [{"role": "user", "content": "hi"}]}),
    "responses": ("POST", "/v1/responses", {"model": GPT, "input": "hi"}),
    "messages": ("POST", "/v1/messages",
                 {"model": CLAUDE_MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}),
    "gemini": ("POST", f"/v1beta/models/{GEM}:generateContent", {"contents": [{"parts": [{"text": "hi"}]}]}),
    "models": ("GET", "/v1/models", None),
    "account": ("GET", "/api/v1/me/account", None),
}


def call(http: httpx.Client, surface: str, headers: dict, query: str = "") -> httpx.Response:
    method, path, body = SURFACES[surface]
    return http.request(method, path + query, headers=headers, json=body)


def message_of(surface: str, r: httpx.Response) -> str:
    """The 401's message, after checking the surface's envelope around it."""
    assert r.status_code == 401, r.text
    body = r.json()
    if surface == "messages":
        assert body["type"] == "error" and body["error"]["type"] == "authentication_error"
        assert body["request_id"] == r.headers["request-id"]
    elif surface == "gemini":
        assert body["error"]["code"] == 401 and body["error"]["status"] == "UNAUTHENTICATED"
    else:
        assert body["error"]["type"] == "authentication_error" and body["error"]["code"] == "invalid_api_key"
    return body["error"]["message"]


NOT_BEARER = {
    "bare-known-key": DEFAULT,
    "basic": "Basic " + base64.b64encode(b"user:" + DEFAULT.encode()).decode(),
    "token-scheme": f"Token {DEFAULT}",
    "bearer-without-token": "Bearer",
    "bearer-no-space": f"Bearer{DEFAULT}",
}


@pytest.mark.parametrize("surface", list(SURFACES))
@pytest.mark.parametrize("value", list(NOT_BEARER.values()), ids=list(NOT_BEARER))
def test_authorization_without_bearer_scheme_is_401_in_the_surface_envelope(http, surface, value):
    r = call(http, surface, {"Authorization": value})
    message = message_of(surface, r)
    assert message.startswith("the Authorization header must read 'Bearer <key>'"), message
    assert DEFAULT not in message  # the credential is never echoed


def test_bare_key_that_works_as_bearer_is_refused_without_it(http):
    assert call(http, "chat", {"Authorization": f"Bearer {DEFAULT}"}).status_code == 200
    assert call(http, "chat", {"Authorization": DEFAULT}).status_code == 401


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_bearer_scheme_is_case_insensitive(http, scheme):
    assert call(http, "chat", {"Authorization": f"{scheme} {DEFAULT}"}).status_code == 200


def test_x_api_key_wins_over_a_non_bearer_authorization(http):
    r = call(http, "messages", {"x-api-key": DEFAULT, "Authorization": "Basic Zm9vOmJhcg==",
                                "anthropic-version": "2023-06-01"})
    assert r.status_code == 200 and r.json()["type"] == "message"


@pytest.mark.parametrize("surface, style", [
    ("chat", "bearer"), ("chat", "x-api-key"),
    ("responses", "bearer"), ("responses", "x-api-key"),
    ("messages", "x-api-key"), ("messages", "bearer"),
    ("gemini", "x-goog-api-key"), ("gemini", "query"), ("gemini", "bearer"),
    ("models", "bearer"), ("models", "x-goog-api-key"), ("models", "query"),
    ("account", "bearer"), ("account", "x-api-key"),
])
def test_unknown_key_message_names_the_credential_used(http, surface, style):
    headers, query = {}, ""
    if style == "bearer":
        headers["Authorization"] = f"Bearer {BAD}"
    elif style == "query":
        query = f"?key={BAD}"
    else:
        headers[style] = BAD
    r = call(http, surface, headers, query)
    # /v1/models answers Gemini clients (x-goog-api-key, ?key=) in Gemini's envelope.
    shape = "gemini" if surface == "models" and style in ("x-goog-api-key", "query") else surface
    assert message_of(shape, r) == UNKNOWN_MESSAGES[style]


@pytest.mark.parametrize("surface, hint", [
    ("chat", "send Authorization: Bearer sk-byts-… or x-api-key: sk-byts-…"),
    ("messages", "send x-api-key: sk-byts-… or Authorization: Bearer sk-byts-…"),
    ("gemini", "send x-goog-api-key: sk-byts-…, ?key=sk-byts-… or Authorization: Bearer sk-byts-…"),
])
def test_missing_key_hint_lists_the_surface_credentials(http, surface, hint):
    assert message_of(surface, call(http, surface, {})) == "missing API key: " + hint


# --- the official SDKs -----------------------------------------------------------------------

def test_openai_sdk_unknown_key_names_the_bearer_token(base_url):
    with pytest.raises(openai.AuthenticationError) as info:
        openai_client(base_url, BAD).chat.completions.create(model=GPT, messages=[{"role": "user", "content": "hi"}])
    e = info.value
    assert e.status_code == 401 and e.code == "invalid_api_key"
    assert e.response.request.headers["authorization"] == f"Bearer {BAD}"
    assert e.response.json()["error"]["message"] == BEARER_MESSAGE


def test_anthropic_sdk_unknown_key_names_the_header_it_sent(base_url):
    with pytest.raises(anthropic.AuthenticationError) as info:
        anthropic_client(base_url, BAD).messages.create(model=CLAUDE_MODEL, max_tokens=64,
                                                        messages=[{"role": "user", "content": "hi"}])
    e = info.value
    sent = e.response.request.headers
    expected = UNKNOWN_MESSAGES["x-api-key"] if "x-api-key" in sent else BEARER_MESSAGE
    assert ("x-api-key" in sent) or sent.get("authorization") == f"Bearer {BAD}"
    assert e.body["error"]["type"] == "authentication_error"
    assert e.body["error"]["message"] == expected


def test_anthropic_sdk_with_x_api_key_header_reads_invalid_x_api_key(base_url):
    client = anthropic.Anthropic(base_url=base_url, api_key=None, auth_token=None, max_retries=0, timeout=TIMEOUT,
                                 default_headers={"x-api-key": BAD})
    with pytest.raises(anthropic.AuthenticationError) as info:
        client.messages.create(model=CLAUDE_MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}])
    assert info.value.response.request.headers["x-api-key"] == BAD
    assert info.value.body["error"]["message"] == "invalid x-api-key"


@pytest.mark.parametrize("api_version", ["v1beta", None], ids=["v1beta", "sdk-default"])
def test_genai_sdk_unknown_key_names_x_goog_api_key(base_url, api_version):
    client = genai_client(base_url, BAD, api_version=api_version)
    with pytest.raises(genai_errors.ClientError) as info:
        client.models.generate_content(model=GEM, contents="hi")
    e = info.value
    assert e.code == 401 and e.status == "UNAUTHENTICATED"
    assert e.message == "invalid x-goog-api-key"
    assert "x-api-key" not in e.message.replace("x-goog-api-key", "")
