"""One rendering for every error: ``{"error": name, "detail": ...}`` with the error's status, and an
OpenAPI document that says so (every operation lists the errors it can answer, with this schema)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from psycopg import OperationalError
from psycopg_pool import PoolTimeout
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from elara_bot.api.guard import PG_BIGINT_MAX
from elara_bot.errors import ElaraError

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    """Every 4xx/5xx body. Some errors add fields (a failed payment names its `order`)."""

    error: str = Field(description="the error's name", examples=["NotFound"])
    detail: str = Field(description="what went wrong, for a person", examples=["no order 'EL-7KQ2M9'"])
    model_config = ConfigDict(extra="allow")


ERROR_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing, malformed or expired credentials",
    403: "Not allowed",
    404: "Not found",
    409: "Conflicts with the current state (e.g. out of stock, order no longer in that state)",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input (including NUL characters and out-of-range numbers)",
    429: "Too many requests; see `Retry-After`",
    502: "The payment provider failed",
    503: "Temporarily unavailable (e.g. the database); see `Retry-After`",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route decorator: the codes it answers besides its success, as ErrorBody."""
    return {
        code: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS.get(code, "Error")} for code in codes
    }


ERROR_REF = "#/components/schemas/ErrorBody"
NO_NUL_PATTERN = "^[^\\x00]*$"
NUL_FREE_REF = "#/components/schemas/NulFreeJson"
NUL_FREE_JSON: dict[str, Any] = {  # what api/guard.py lets through, wherever a body allows any JSON
    "description": "Any JSON value with no NUL in its strings or keys, integers within bigint, at most "
    "32 levels deep",
    "anyOf": [
        {"type": ["null", "boolean"]},
        {"type": "integer", "minimum": -PG_BIGINT_MAX - 1, "maximum": PG_BIGINT_MAX},
        {"type": "number", "not": {"type": "integer"}},
        {"type": "string", "pattern": NO_NUL_PATTERN},
        {"type": "array", "items": {"$ref": NUL_FREE_REF}},
        {
            "type": "object",
            "propertyNames": {"pattern": NO_NUL_PATTERN},
            "additionalProperties": {"$ref": NUL_FREE_REF},
        },
    ],
}
F = TypeVar("F", bound=Callable[..., Any])
_DEPENDENCY_ERRORS: dict[Callable[..., Any], tuple[int, ...]] = {}


def raises(*codes: int) -> Callable[[F], F]:
    """Mark a FastAPI dependency with the error codes it answers: every route using it documents them."""

    def mark(dependency: F) -> F:
        _DEPENDENCY_ERRORS[dependency] = codes
        return dependency

    return mark


def _dependency_calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _dependency_calls(sub)


def _api_routes(app: FastAPI) -> Iterator[RouteContext]:
    """The documented API routes, with the dependencies their routers add (FastAPI >= 0.165)."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            yield context


def _refuse_nul_in_strings(node: Any) -> None:
    """Every free-form string and property name says what the input guard enforces: no NUL (PostgreSQL
    cannot store it)."""
    if isinstance(node, list):
        for item in node:
            _refuse_nul_in_strings(item)
    elif isinstance(node, dict):
        if node.get("type") == "string" and not {"pattern", "format", "enum", "const"} & node.keys():
            node["pattern"] = NO_NUL_PATTERN
        if node.get("type") == "object":  # keys and extra properties too: refused like any value
            node.setdefault("propertyNames", {"pattern": NO_NUL_PATTERN})
            node.setdefault("additionalProperties", {"$ref": NUL_FREE_REF})
        for value in node.values():
            _refuse_nul_in_strings(value)


def _bound_integers(node: Any) -> None:
    """Body integers say what the input guard enforces: PostgreSQL's bigint range."""
    if isinstance(node, list):
        for item in node:
            _bound_integers(item)
    elif isinstance(node, dict):
        if node.get("type") == "integer":
            node.setdefault("minimum", -PG_BIGINT_MAX - 1)
            node.setdefault("maximum", PG_BIGINT_MAX)
        for value in node.values():
            _bound_integers(value)


def _document_route(operation: dict[str, Any], dependant: Dependant) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    codes = {422}  # the input guard and the validation handler can refuse any request
    if "requestBody" in operation:
        codes.add(413)  # api/body_limit.py caps every body
    for call in _dependency_calls(dependant):
        codes.update(_DEPENDENCY_ERRORS.get(call, ()))
    for code in sorted(codes):
        responses.setdefault(str(code), {"description": ERROR_DESCRIPTIONS.get(code, "Error")})
    for status, response in responses.items():
        if status.startswith(("4", "5")) and not _has_own_schema(response):
            response.setdefault("content", {})["application/json"] = {"schema": {"$ref": ERROR_REF}}


def _has_own_schema(response: dict[str, Any]) -> bool:
    """A route's own error schema stays (e.g. readiness checks); FastAPI's default 422 and bare
    descriptions get ErrorBody."""
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    return bool(schema) and not str(schema.get("$ref", "")).endswith("/HTTPValidationError")


def document_errors(app: FastAPI) -> None:
    """Rewrite the generated OpenAPI: each operation lists 422, the codes of its dependencies (401 for a
    session, 503 for the database) and its own ``responses=``, all with the ErrorBody schema that
    the handlers below render (FastAPI's default 422 schema describes a body this API never sends)."""
    default = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = default()
        for route in _api_routes(app):
            for method in route.methods or ():
                operation = schema.get("paths", {}).get(route.path_format, {}).get(method.lower())
                if operation is not None:
                    _document_route(operation, route.dependant)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        components["ErrorBody"] = ErrorBody.model_json_schema()
        _refuse_nul_in_strings(schema)
        _bound_integers(components)
        components["NulFreeJson"] = NUL_FREE_JSON
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route answers at ``path`` (the Allow header of a 405)."""
    methods: set[str] = set()
    for context in iter_route_contexts(app.routes):
        route_path = context.path_format
        if route_path and compile_path(route_path)[0].match(path):
            methods.update(getattr(context, "methods", None) or ())
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{where or 'request'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    document_errors(app)

    @app.exception_handler(ElaraError)
    async def _elara(_: Request, exc: ElaraError) -> JSONResponse:
        return JSONResponse(
            {"error": exc.name, "detail": exc.message}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": "InvalidInput", "detail": _validation_detail(exc)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = exc.headers
        if exc.status_code == 405:  # Starlette names the first matching route's methods only
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(app, request.url.path))}
        return JSONResponse(
            {"error": "HTTPError", "detail": exc.detail}, status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _database_down(_: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", exc)
        return JSONResponse(
            {"error": "ServiceUnavailable", "detail": "the database is unavailable, try again shortly"},
            status_code=503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(Exception)
    async def _bug(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse({"error": "InternalError", "detail": "internal error"}, status_code=500)
