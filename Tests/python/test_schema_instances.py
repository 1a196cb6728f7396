"""The default reply's JSON Schema instances, checked against the schemas with a real validator.

Every schema of a corpus (pydantic models with `$defs`, recursive models, unions, enums, formats,
constrained fields, hand-written anyOf/allOf/nullable schemas, Gemini's upper-case OpenAPI schemas)
is sent to the running binary as tool parameters and as a structured-output schema on each protocol
that has the field, and the arguments or document that come back must validate with `jsonschema`
(Draft 2020-12, formats asserted). Gemini's upper-case schemas are validated against their
lower-cased JSON Schema equivalent. The issue's reproducers are tested by name at the end.
"""

from __future__ import annotations

import datetime
import enum
import json
import uuid
from typing import Dict, List, Literal, Optional, Tuple, Union

import httpx
import jsonschema
import pytest
from pydantic import BaseModel, Field

from google.genai import types as gtypes

from sdk_helpers import DEFAULT, genai_client, openai_client, reset_mock  # noqa: F401  (reset_mock is an autouse fixture)

TIMEOUT = 10.0
CLAUDE_MODEL = "claude-sonnet-4-6"
GPT = "gpt-5-4"
GEM = "gemini-3-flash"
PROMPT = "Please call fill_form about Paris"


class Person(BaseModel):
    name: str
    age: int = Field(ge=0, le=150)
    email: Optional[str] = Field(default=None, json_schema_extra={"format": "email"})


class People(BaseModel):
    people: List[Person]


class Color(str, enum.Enum):
    red = "red"
    green = "green"


class Tree(BaseModel):
    value: int
    children: List["Tree"] = []
    parent: Optional["Tree"] = None


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int = Field(ge=1, le=9)


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


class Kitchen(BaseModel):
    color: Color
    when: datetime.date
    at: datetime.datetime
    id: uuid.UUID
    pet: Union[Cat, Dog] = Field(discriminator="kind")
    scores: Dict[str, float]
    pair: Tuple[int, str]
    code: str = Field(pattern=r"^[A-Z]{2}-\d{3}$")
    short: str = Field(min_length=6, max_length=8)
    ratio: float = Field(gt=0, lt=1)
    step: int = Field(multiple_of=7, ge=10)
    maybe: Optional[List[Person]] = None


HAND_WRITTEN = [
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    {"type": "object", "properties": {"v": {"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 3}]},
                                      "u": {"type": ["null", "string"], "format": "uuid"},
                                      "w": {"type": "string", "format": "uri"}}, "required": ["v", "u", "w"]},
    {"type": "object", "allOf": [{"properties": {"a": {"type": "integer", "exclusiveMinimum": 5}}, "required": ["a"]},
                                 {"properties": {"b": {"enum": ["x", "y"]}}, "required": ["b"]}]},
    {"type": "object", "definitions": {"Tag": {"type": "string", "minLength": 2}},
     "properties": {"tags": {"type": "array", "items": {"$ref": "#/definitions/Tag"}, "minItems": 3, "uniqueItems": True}},
     "required": ["tags"], "additionalProperties": False},
    {"type": "object", "properties": {"t": {"oneOf": [{"type": "string", "format": "date-time"}, {"type": "integer"}]},
                                      "c": {"const": 42}}, "required": ["t", "c"]},
]

# Gemini's OpenAPI subset: upper-case types, `nullable`, `format: enum`.
GEMINI_UPPER = [
    {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}},
    {"type": "OBJECT", "properties": {
        "city": {"type": "STRING"}, "days": {"type": "INTEGER", "minimum": 1, "maximum": 10},
        "unit": {"type": "STRING", "format": "enum", "enum": ["C", "F"]}, "hot": {"type": "BOOLEAN"},
        "temp": {"type": "NUMBER", "nullable": True},
        "stops": {"type": "ARRAY", "items": {"type": "OBJECT", "properties": {"name": {"type": "STRING"}},
                                             "required": ["name"]}, "minItems": 2}},
     "required": ["city", "days", "unit", "stops"], "propertyOrdering": ["city", "days"]},
]

PYDANTIC = [m.model_json_schema() for m in (Person, People, Tree, Kitchen)]
CORPUS = PYDANTIC + HAND_WRITTEN
CHECKER = jsonschema.Draft202012Validator.FORMAT_CHECKER


def lower(schema):
    """A Gemini OpenAPI schema as JSON Schema: types lower-cased, `nullable` as a `null` type."""
    if isinstance(schema, list):
        return [lower(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: lower(v) for k, v in schema.items() if k not in ("nullable", "propertyOrdering", "format")}
    if isinstance(schema.get("format"), str) and schema["format"] != "enum":
        out["format"] = schema["format"]
    if isinstance(schema.get("type"), str):
        out["type"] = schema["type"].lower()
        if schema.get("nullable") is True:
            out["type"] = [out["type"], "null"]
    if "properties" in schema:
        out["properties"] = {k: lower(v) for k, v in schema["properties"].items()}
    return out


def validate(instance, schema) -> None:
    jsonschema.Draft202012Validator(schema, format_checker=CHECKER).validate(instance)


@pytest.fixture
def http(base_url):
    with httpx.Client(base_url=base_url, timeout=TIMEOUT, headers={"Authorization": f"Bearer {DEFAULT}"}) as client:
        yield client


def post(http: httpx.Client, path: str, body: dict) -> dict:
    r = http.post(path, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def chat_tool(http, schema):
    body = {"model": GPT, "messages": [{"role": "user", "content": PROMPT}], "tool_choice": "required",
            "tools": [{"type": "function", "function": {"name": "fill_form", "parameters": schema}}]}
    calls = post(http, "/v1/chat/completions", body)["choices"][0]["message"]["tool_calls"]
    return json.loads(calls[0]["function"]["arguments"])


def chat_output(http, schema):
    body = {"model": GPT, "messages": [{"role": "user", "content": PROMPT}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "out", "schema": schema}}}
    return json.loads(post(http, "/v1/chat/completions", body)["choices"][0]["message"]["content"])


def responses_tool(http, schema):
    body = {"model": GPT, "input": PROMPT, "tool_choice": "required",
            "tools": [{"type": "function", "name": "fill_form", "parameters": schema}]}
    item = next(o for o in post(http, "/v1/responses", body)["output"] if o["type"] == "function_call")
    return json.loads(item["arguments"])


def responses_output(http, schema):
    body = {"model": GPT, "input": PROMPT, "text": {"format": {"type": "json_schema", "name": "out", "schema": schema}}}
    msg = next(o for o in post(http, "/v1/responses", body)["output"] if o["type"] == "message")
    return json.loads(msg["content"][0]["text"])


def messages_tool(http, schema):
    body = {"model": CLAUDE_MODEL, "max_tokens": 256, "messages": [{"role": "user", "content": PROMPT}],
            "tools": [{"name": "fill_form", "input_schema": schema}]}
    block = next(b for b in post(http, "/v1/messages", body)["content"] if b["type"] == "tool_use")
    return block["input"]


def gemini_call(http, decl: dict):
    body = {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}],
            "tools": [{"functionDeclarations": [{"name": "fill_form", **decl}]}]}
    parts = post(http, f"/v1beta/models/{GEM}:generateContent", body)["candidates"][0]["content"]["parts"]
    return next(p["functionCall"]["args"] for p in parts if "functionCall" in p)


def gemini_output(http, config: dict):
    body = {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}],
            "generationConfig": {"responseMimeType": "application/json", **config}}
    parts = post(http, f"/v1beta/models/{GEM}:generateContent", body)["candidates"][0]["content"]["parts"]
    return json.loads("".join(p.get("text", "") for p in parts))


SENDERS = {
    "chat-tool": chat_tool, "chat-output": chat_output, "responses-tool": responses_tool,
    "responses-output": responses_output, "messages-tool": messages_tool,
    "gemini-tool": lambda http, s: gemini_call(http, {"parametersJsonSchema": s}),
    "gemini-output": lambda http, s: gemini_output(http, {"responseJsonSchema": s}),
}


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize("index", range(len(CORPUS)))
def test_generated_instance_validates_against_its_schema(http, sender, index):
    schema = CORPUS[index]
    instance = SENDERS[sender](http, schema)
    validate(instance, schema)


@pytest.mark.parametrize("index", range(len(GEMINI_UPPER)))
@pytest.mark.parametrize("where", ["parameters", "responseSchema"])
def test_gemini_upper_case_schema_instance_validates_as_json_schema(http, where, index):
    schema = GEMINI_UPPER[index]
    instance = gemini_call(http, {"parameters": schema}) if where == "parameters" else gemini_output(http, {"responseSchema": schema})
    validate(instance, lower(schema))


def test_gemini_upper_case_object_gives_the_city_not_an_empty_object(http):
    schema = {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}
    assert gemini_call(http, {"parameters": schema}) == {"city": "Paris"}
    assert gemini_output(http, {"responseSchema": schema}) == {"city": "Paris"}


def test_pydantic_list_of_person_comes_back_as_person_objects(http):
    schema = {"type": "array", "items": {"$ref": "#/$defs/Person"}, "$defs": Person.model_json_schema().get("$defs", {})}
    schema["$defs"]["Person"] = {k: v for k, v in Person.model_json_schema().items() if k != "$defs"}
    for got in (chat_output(http, schema), responses_output(http, schema), gemini_output(http, {"responseJsonSchema": schema}),
                chat_output(http, People.model_json_schema())["people"]):
        assert got != ["example"]
        assert isinstance(got, list) and got and all(isinstance(p, dict) and p["name"] == "Paris" for p in got), got
        validate(got, schema)


def test_same_schema_and_prompt_give_the_same_instance(http):
    schema = Kitchen.model_json_schema()
    first = chat_output(http, schema)
    assert chat_output(http, schema) == first
    assert first["id"] == chat_output(http, schema)["id"]


def test_hostile_schema_is_answered_quickly_with_a_bounded_document(http):
    defs = {"d0": {"type": "array", "minItems": 64, "items": {"type": "string", "minLength": 4096}}}
    for i in range(1, 30):
        defs[f"d{i}"] = {"type": "array", "minItems": 64, "items": {"allOf": [{"$ref": f"#/$defs/d{i - 1}"}] * 2}}
    r = http.post("/v1/chat/completions", json={
        "model": GPT, "messages": [{"role": "user", "content": PROMPT}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"$defs": defs, "$ref": "#/$defs/d29"}}}})
    assert r.status_code == 200, r.text
    assert len(r.content) < 10_000_000
    json.loads(r.json()["choices"][0]["message"]["content"])


def test_google_genai_pydantic_response_schema_parses_into_person_objects(base_url):
    """google-genai turns a pydantic type into its own (upper-case) Schema and parses the reply."""
    client = genai_client(base_url)
    config = gtypes.GenerateContentConfig(response_mime_type="application/json", response_schema=list[Person])
    response = client.models.generate_content(model=GEM, contents=PROMPT, config=config)
    assert isinstance(response.parsed, list) and response.parsed, response.text
    assert all(isinstance(p, Person) and p.name == "Paris" for p in response.parsed)


def test_google_genai_function_declaration_gets_arguments_for_its_upper_case_schema(base_url):
    client = genai_client(base_url)
    decl = gtypes.FunctionDeclaration(name="fill_form", parameters=gtypes.Schema(
        type=gtypes.Type.OBJECT, properties={"city": gtypes.Schema(type=gtypes.Type.STRING),
                                             "days": gtypes.Schema(type=gtypes.Type.INTEGER, minimum=2)},
        required=["city", "days"]))
    config = gtypes.GenerateContentConfig(tools=[gtypes.Tool(function_declarations=[decl])])
    response = client.models.generate_content(model=GEM, contents=PROMPT, config=config)
    assert response.function_calls and response.function_calls[0].args == {"city": "Paris", "days": 2}


def test_openai_parse_with_nested_pydantic_models_returns_the_model(base_url):
    client = openai_client(base_url)
    completion = client.chat.completions.parse(model=GPT, messages=[{"role": "user", "content": PROMPT}],
                                               response_format=People)
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, People) and parsed.people and parsed.people[0].name == "Paris"
