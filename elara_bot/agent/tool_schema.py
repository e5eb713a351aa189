"""Tool argument schemas that leave the injected runtime out of their dumps.

A tool's ``args_schema``, built from its signature, also holds the injected ``runtime`` (the graph state with
every message, and the turn's context with its settings). LangChain validates each call through that schema
and then dumps the validated model only to read its keys, which serialised the whole runtime on every tool
call: about 4 % of a chat turn's CPU under load. Here the injected fields are excluded from dumps; LangChain
passes them on from the call's input by name, so the tool still receives them. What the model is offered
(``tool_call_schema``, which leaves injected arguments out) does not change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_core.tools import BaseTool
from langchain_core.utils.pydantic import get_fields
from pydantic import BaseModel, Field, create_model


def lean_schemas(tools: Iterable[BaseTool]) -> None:
    """Give each tool an ``args_schema`` whose injected fields are never dumped."""
    for tool in tools:
        schema = tool.args_schema
        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            continue
        fields = schema.model_fields
        shown = tool.tool_call_schema
        injected = set(fields) - set(shown if isinstance(shown, dict) else get_fields(shown))
        if injected:  # the same type (LangChain recognises injected arguments by it), never dumped
            hidden: dict[str, Any] = {n: (fields[n].annotation, Field(exclude=True)) for n in injected}
            tool.args_schema = create_model(schema.__name__, __base__=schema, **hidden)
