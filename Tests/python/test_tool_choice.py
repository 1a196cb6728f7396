"""Tool choice through the official SDKs, on all four protocols, streamed and not.

A forced choice (Chat `"required"` / a named function / `allowed_tools` in required mode, Responses
the same, Anthropic `{"type": "any"}` / `{"type": "tool"}`, Gemini `mode: ANY` with or without
`allowedFunctionNames`) makes the reply a tool call in every state of the conversation: on the
first turn, after an assistant text turn, and after tool results (the state the issue found
ignored). `auto` and `none` are unchanged: after tool results the reply is text, and that text
acknowledges every result of a parallel call by tool name, not only the last one.

The conversations are real round trips: the first turn's parallel calls come from the mock, and
their ids go back with the results, as an application would send them.
"""

from __future__ import annotations

import json

import pytest
from google.genai import types as gt

from sdk_helpers import (  # noqa: F401  (reset_mock is an autouse fixture)
    TIME_SCHEMA, WEATHER_SCHEMA, anthropic_client, genai_client, openai_client, reset_mock,
)

CLAUDE = "claude-sonnet-4-6"
GPT = "gpt-5-4"
GEM = "gemini-3-flash"
QUESTION = "What is the weather in Paris and the time there?"
DATE_SCHEMA = {"type": "object", "properties": {"calendar": {"type": "string"}}, "required": ["calendar"]}
SCHEMAS = {"get_weather": WEATHER_SCHEMA, "get_time": TIME_SCHEMA, "get_date": DATE_SCHEMA}
RESULTS = {"get_weather": "18 C and clear", "get_time": "14:05 CET", "get_date": "Monday"}
PROTOCOLS = ["messages", "chat", "responses", "gemini"]
STATES = ["first_turn", "after_text", "after_tool_results"]
STREAMS = [pytest.param(False, id="plain"), pytest.param(True, id="stream")]


# ---------------------------------------------------------------------------------------------
# one adapter per protocol: ask(history, choice, stream) -> (calls, text)
# ---------------------------------------------------------------------------------------------

class Messages:
    CHOICES = {"auto": {"type": "auto"}, "none": {"type": "none"}, "required": {"type": "any"},
               "named": {"type": "tool", "name": "get_time"}}

    def __init__(self, base_url, tools=("get_weather", "get_time")):
        self.client = anthropic_client(base_url)
        self.tools = [{"name": n, "description": f"{n} tool", "input_schema": SCHEMAS[n]} for n in tools]

    def start(self, question):
        return [{"role": "user", "content": question}]

    def ask(self, history, choice, stream):
        kw = dict(model=CLAUDE, max_tokens=1024, tools=self.tools, messages=history, tool_choice=self.CHOICES[choice])
        if stream:
            with self.client.messages.stream(**kw) as s:
                msg = s.get_final_message()
        else:
            msg = self.client.messages.create(**kw)
        calls = [(b.name, b.input, b.id) for b in msg.content if b.type == "tool_use"]
        if calls:
            assert msg.stop_reason == "tool_use"
        self.last = msg
        return calls, "".join(b.text for b in msg.content if b.type == "text")

    def add_turn(self, history, text):
        return history + [{"role": "assistant", "content": text}, {"role": "user", "content": "Go on."}]

    def add_results(self, history, calls):
        return history + [
            {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in self.last.content]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": cid, "content": RESULTS[name]}
                                         for name, _, cid in calls]},
        ]


class Chat:
    CHOICES = {"auto": "auto", "none": "none", "required": "required",
               "named": {"type": "function", "function": {"name": "get_time"}}}

    def __init__(self, base_url, tools=("get_weather", "get_time")):
        self.client = openai_client(base_url)
        self.tools = [{"type": "function", "function": {"name": n, "description": f"{n} tool", "parameters": SCHEMAS[n]}}
                      for n in tools]

    def start(self, question):
        return [{"role": "user", "content": question}]

    def ask(self, history, choice, stream):
        tc = self.CHOICES[choice] if isinstance(choice, str) else choice
        kw = dict(model=GPT, tools=self.tools, messages=history, tool_choice=tc)
        if stream:
            with self.client.chat.completions.stream(**kw) as s:
                done = s.get_final_completion()
        else:
            done = self.client.chat.completions.create(**kw)
        msg = done.choices[0].message
        self.last = msg
        calls = [(t.function.name, json.loads(t.function.arguments), t.id) for t in msg.tool_calls or []]
        assert done.choices[0].finish_reason == ("tool_calls" if calls else "stop")
        return calls, msg.content or ""

    def add_turn(self, history, text):
        return history + [{"role": "assistant", "content": text}, {"role": "user", "content": "Go on."}]

    def add_results(self, history, calls):
        assistant = {"role": "assistant", "content": None, "tool_calls": [
            {"id": t.id, "type": "function", "function": {"name": t.function.name, "arguments": t.function.arguments}}
            for t in self.last.tool_calls]}
        return history + [assistant] + [{"role": "tool", "tool_call_id": cid, "content": RESULTS[name]}
                                        for name, _, cid in calls]


class Responses:
    CHOICES = {"auto": "auto", "none": "none", "required": "required", "named": {"type": "function", "name": "get_time"}}

    def __init__(self, base_url, tools=("get_weather", "get_time")):
        self.client = openai_client(base_url)
        self.tools = [{"type": "function", "name": n, "description": f"{n} tool", "parameters": SCHEMAS[n]} for n in tools]

    def start(self, question):
        return [{"role": "user", "content": question}]

    def ask(self, history, choice, stream):
        tc = self.CHOICES[choice] if isinstance(choice, str) else choice
        kw = dict(model=GPT, tools=self.tools, input=history, tool_choice=tc, store=False)
        if stream:
            with self.client.responses.stream(**kw) as s:
                r = s.get_final_response()
        else:
            r = self.client.responses.create(**kw)
        assert r.status == "completed"
        self.last = r
        calls = [(o.name, json.loads(o.arguments), o.call_id) for o in r.output if o.type == "function_call"]
        return calls, r.output_text

    def add_turn(self, history, text):
        return history + [{"role": "assistant", "content": text}, {"role": "user", "content": "Go on."}]

    def add_results(self, history, calls):
        items = [{"type": "function_call", "call_id": o.call_id, "name": o.name, "arguments": o.arguments}
                 for o in self.last.output if o.type == "function_call"]
        return history + items + [{"type": "function_call_output", "call_id": cid, "output": RESULTS[name]}
                                  for name, _, cid in calls]


class Gemini:
    MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY", "named": "ANY"}

    def __init__(self, base_url, tools=("get_weather", "get_time")):
        self.client = genai_client(base_url, api_version="v1beta")
        self.tools = [gt.Tool(function_declarations=[
            gt.FunctionDeclaration(name=n, description=f"{n} tool", parameters_json_schema=SCHEMAS[n]) for n in tools])]

    def start(self, question):
        return [gt.Content(role="user", parts=[gt.Part.from_text(text=question)])]

    def ask(self, history, choice, stream):
        if isinstance(choice, str):
            fc = gt.FunctionCallingConfig(mode=self.MODES[choice],
                                          allowed_function_names=["get_time"] if choice == "named" else None)
        else:
            fc = choice
        config = gt.GenerateContentConfig(tools=self.tools, tool_config=gt.ToolConfig(function_calling_config=fc),
                                          automatic_function_calling=gt.AutomaticFunctionCallingConfig(disable=True))
        if stream:
            parts = []
            for chunk in self.client.models.generate_content_stream(model=GEM, contents=history, config=config):
                if chunk.candidates and chunk.candidates[0].content and chunk.candidates[0].content.parts:
                    parts += chunk.candidates[0].content.parts
        else:
            r = self.client.models.generate_content(model=GEM, contents=history, config=config)
            parts = r.candidates[0].content.parts or []
        self.last = gt.Content(role="model", parts=parts)
        calls = [(p.function_call.name, dict(p.function_call.args or {}), p.function_call.id) for p in parts if p.function_call]
        return calls, "".join(p.text for p in parts if p.text)

    def add_turn(self, history, text):
        return history + [gt.Content(role="model", parts=[gt.Part.from_text(text=text)]),
                          gt.Content(role="user", parts=[gt.Part.from_text(text="Go on.")])]

    def add_results(self, history, calls):
        return history + [self.last, gt.Content(role="user", parts=[
            gt.Part.from_function_response(name=name, response={"result": RESULTS[name]}) for name, _, _ in calls])]


ADAPTERS = {"messages": Messages, "chat": Chat, "responses": Responses, "gemini": Gemini}


def conversation(adapter, state, stream):
    """The history of `state`, reached with `auto` (the parallel calls of the first turn are the mock's own)."""
    history = adapter.start(QUESTION)
    if state == "first_turn":
        return history
    if state == "after_text":
        return adapter.add_turn(history, "Let me look that up.")
    calls, _ = adapter.ask(history, "auto", stream)
    assert sorted(n for n, _, _ in calls) == ["get_time", "get_weather"], calls
    return adapter.add_results(history, calls)


def assert_valid_arguments(calls):
    import jsonschema
    for name, args, _ in calls:
        jsonschema.validate(args, SCHEMAS[name])


# ---------------------------------------------------------------------------------------------
# forced choices in every state
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stream", STREAMS)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_named_tool_choice_calls_that_tool_in_every_state(base_url, protocol, state, stream):
    adapter = ADAPTERS[protocol](base_url)
    calls, text = adapter.ask(conversation(adapter, state, stream), "named", stream)
    assert [n for n, _, _ in calls] == ["get_time"], (calls, text)
    assert_valid_arguments(calls)


@pytest.mark.parametrize("stream", STREAMS)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_required_tool_choice_calls_a_tool_in_every_state(base_url, protocol, state, stream):
    adapter = ADAPTERS[protocol](base_url)
    calls, text = adapter.ask(conversation(adapter, state, stream), "required", stream)
    assert calls, f"no tool call: {text!r}"
    assert {n for n, _, _ in calls} <= {"get_weather", "get_time"}
    assert_valid_arguments(calls)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_required_tool_choice_with_an_unrelated_prompt_calls_the_first_tool(base_url, protocol):
    adapter = ADAPTERS[protocol](base_url)
    calls, _ = adapter.ask(adapter.start("Hello there"), "required", False)
    assert [n for n, _, _ in calls] == ["get_weather"]


# ---------------------------------------------------------------------------------------------
# a restricted set of allowed tools
# ---------------------------------------------------------------------------------------------

def allowed_choice(protocol, names):
    """`names` as the protocol's "call one of these" choice."""
    if protocol == "gemini":
        return gt.FunctionCallingConfig(mode="ANY", allowed_function_names=names)
    if protocol == "chat":
        return {"type": "allowed_tools", "allowed_tools": {
            "mode": "required", "tools": [{"type": "function", "function": {"name": n}} for n in names]}}
    return {"type": "allowed_tools", "mode": "required", "tools": [{"type": "function", "name": n} for n in names]}


@pytest.mark.parametrize("state", ["first_turn", "after_tool_results"])
@pytest.mark.parametrize("protocol", ["chat", "responses", "gemini"])
def test_allowed_tools_in_required_mode_call_only_an_allowed_tool(base_url, protocol, state):
    """The question mentions weather and time; only time and date are allowed, so the call is get_time."""
    adapter = ADAPTERS[protocol](base_url, tools=("get_weather", "get_time", "get_date"))
    calls, text = adapter.ask(conversation(adapter, state, False), allowed_choice(protocol, ["get_time", "get_date"]), False)
    assert [n for n, _, _ in calls] == ["get_time"], (calls, text)


@pytest.mark.parametrize("protocol", ["chat", "responses", "gemini"])
def test_allowed_tools_with_an_unmentioned_set_call_the_first_allowed_tool(base_url, protocol):
    adapter = ADAPTERS[protocol](base_url, tools=("get_weather", "get_time", "get_date"))
    calls, _ = adapter.ask(adapter.start("Hello there"), allowed_choice(protocol, ["get_date", "get_time"]), False)
    assert [n for n, _, _ in calls] == ["get_time"]  # the first of the allowed tools in declaration order


# ---------------------------------------------------------------------------------------------
# auto and none after tool results; every parallel result acknowledged
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stream", STREAMS)
@pytest.mark.parametrize("choice", ["auto", "none"])
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_reply_after_parallel_tool_results_acknowledges_every_result(base_url, protocol, choice, stream):
    adapter = ADAPTERS[protocol](base_url)
    calls, text = adapter.ask(conversation(adapter, "after_tool_results", stream), choice, stream)
    assert calls == []
    for name in ("get_weather", "get_time"):
        assert name in text and RESULTS[name] in text, text
    assert "2 results" in text


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_auto_and_none_on_the_first_turn_are_unchanged(base_url, protocol):
    adapter = ADAPTERS[protocol](base_url)
    calls, _ = adapter.ask(adapter.start(QUESTION), "auto", False)
    assert sorted(n for n, _, _ in calls) == ["get_time", "get_weather"]
    calls, text = adapter.ask(adapter.start(QUESTION), "none", False)
    assert calls == [] and text


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_single_tool_result_is_quoted_with_its_tool_name(base_url, protocol):
    adapter = ADAPTERS[protocol](base_url)
    history = adapter.start("What is the weather in Rome?")
    calls, _ = adapter.ask(history, "auto", False)
    assert [n for n, _, _ in calls] == ["get_weather"]
    calls, text = adapter.ask(adapter.add_results(history, calls), "auto", False)
    assert calls == [] and "get_weather" in text and RESULTS["get_weather"] in text, text


@pytest.mark.parametrize("choice", ["required", "named"])
def test_anthropic_forced_tool_choice_with_thinking_is_a_400(base_url, choice):
    """Anthropic allows extended thinking only with `auto` and `none` tool choice."""
    import anthropic
    client = anthropic_client(base_url)
    with pytest.raises(anthropic.BadRequestError) as e:
        client.messages.create(model=CLAUDE, max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 1024},
                               tools=Messages(base_url).tools, tool_choice=Messages.CHOICES[choice],
                               messages=[{"role": "user", "content": QUESTION}])
    assert e.value.body["error"]["type"] == "invalid_request_error"
    assert e.value.body["error"]["message"].startswith("tool_choice: Thinking may not be enabled")
    ok = client.messages.create(model=CLAUDE, max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 1024},
                                tools=Messages(base_url).tools, tool_choice={"type": "auto"},
                                messages=[{"role": "user", "content": QUESTION}])
    assert [b.type for b in ok.content] == ["thinking", "tool_use", "tool_use"]


@pytest.mark.parametrize("protocol", ["messages", "chat", "responses"])
def test_parallel_calls_turned_off_give_one_call(base_url, protocol):
    """The question mentions two tools: two calls by default, one when the client turns parallel calls off
    (Anthropic `disable_parallel_tool_use`, OpenAI `parallel_tool_calls: false`)."""
    adapter = ADAPTERS[protocol](base_url)
    history = adapter.start(QUESTION)
    if protocol == "messages":
        r = adapter.client.messages.create(model=CLAUDE, max_tokens=1024, tools=adapter.tools, messages=history,
                                           tool_choice={"type": "auto", "disable_parallel_tool_use": True})
        names = [b.name for b in r.content if b.type == "tool_use"]
    elif protocol == "chat":
        r = adapter.client.chat.completions.create(model=GPT, tools=adapter.tools, messages=history, parallel_tool_calls=False)
        names = [t.function.name for t in r.choices[0].message.tool_calls]
    else:
        r = adapter.client.responses.create(model=GPT, tools=adapter.tools, input=history, parallel_tool_calls=False)
        names = [o.name for o in r.output if o.type == "function_call"]
    assert names == ["get_weather"]
