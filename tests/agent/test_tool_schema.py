"""Tool schemas: the model is offered the same arguments, and a call's validation never dumps the runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

import pytest
from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, StructuredTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from elara_bot.agent.merchant_tools import MERCHANT_LC_TOOLS
from elara_bot.agent.tools import SHOPPER_TOOLS

TOOLS = [*SHOPPER_TOOLS, *MERCHANT_LC_TOOLS]


def _fresh(tool: BaseTool) -> StructuredTool:
    """The same coroutine wrapped as ``@tool`` wraps it, with the schema built from its signature."""
    assert isinstance(tool, StructuredTool)
    assert tool.coroutine is not None
    return StructuredTool.from_function(
        coroutine=tool.coroutine,
        name=tool.name,
        description=tool.description,
        response_format=tool.response_format,
    )


@pytest.mark.parametrize("tool", TOOLS, ids=lambda t: t.name)
def test_the_model_is_offered_the_same_arguments(tool: BaseTool) -> None:
    assert convert_to_openai_tool(tool) == convert_to_openai_tool(_fresh(tool))
    assert "runtime" not in convert_to_openai_tool(tool)["function"]["parameters"].get("properties", {})


@dataclass
class Loud:
    """Fails the test if a schema ever serialises it (the old schema dumped the whole runtime)."""

    settings: int = 0

    def __getattribute__(self, name: str) -> Any:
        if name == "settings":
            raise AssertionError("the runtime was serialised")
        return object.__getattribute__(self, name)


@pytest.mark.parametrize("tool", TOOLS, ids=lambda t: t.name)
def test_a_call_passes_the_runtime_on_without_dumping_it(tool: BaseTool) -> None:
    shown = tool.tool_call_schema
    assert not isinstance(shown, dict)
    required = {n: f for n, f in shown.model_fields.items() if f.is_required()}
    args: dict[str, Any] = {n: _example(f.annotation) for n, f in required.items()}
    runtime = _runtime()
    parsed = tool._parse_input({**args, "runtime": runtime}, None)
    assert isinstance(parsed, dict)
    assert parsed["runtime"] is runtime
    assert {k: parsed[k] for k in args} == args


def test_the_old_schema_dumped_the_runtime() -> None:
    """The check above can fail: a schema built from the signature serialises the runtime."""
    with pytest.raises(AssertionError, match="serialised"):
        _fresh(SHOPPER_TOOLS[0])._parse_input({"query": "tent", "runtime": _runtime()}, None)


def _runtime() -> ToolRuntime[Any, Any]:
    return ToolRuntime(
        state={"messages": []},
        context=Loud(),
        config={},
        stream_writer=lambda _: None,
        tool_call_id="call-1",
        store=None,
    )


def _example(annotation: Any) -> Any:
    if get_origin(annotation) is Literal:
        return get_args(annotation)[0]
    if annotation is int:
        return 1
    if "list" in str(annotation):
        return ["a"]
    return "x"
