"""The Smile envelope ``{code, message, requestId, data}`` and the pydantic base for wire models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from starlette.requests import Request
from starlette.responses import Response

from sahod.errors import SahodError

T = TypeVar("T")

REQUEST_ID_HEADER = "X-Request-Id"


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Envelope(BaseModel, Generic[T]):
    code: str
    message: str
    request_id: str
    data: T

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ListData(BaseModel, Generic[T]):
    next_cursor: str | None
    items: list[T]

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ErrorEnvelope(BaseModel):
    """Every error: a code from the status table, a message naming the problem, no data."""

    code: str
    message: str
    request_id: str
    data: dict[str, Any]

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorEnvelope, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("INVALID_PARAMETERS: malformed JSON, a wrong type or value, an unknown field"),
    401: _error("INVALID_TOKEN: missing or wrong credentials"),
    404: _error("MISSING_RESOURCE: no such object for this tenant"),
    415: _error("UNSUPPORTED_TYPE: a request body that is not JSON"),
    429: _error("REQUEST_LIMIT_EXCEEDED: over a rate limit; wait for Retry-After"),
    500: _error("SERVER_ERROR"),
    503: _error("SERVER_UNAVAILABLE: the database is unreachable; wait for Retry-After"),
    504: _error("TIME_LIMIT_EXCEEDED: the database could not answer in time"),
}


class EmptyEnvelope(BaseModel):
    code: str
    message: str
    request_id: str

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


def request_id_of(request: Request) -> str:
    return str(getattr(request.state, "request_id", "") or "")


def _dump(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json", by_alias=True)
    if isinstance(data, list):
        return [_dump(item) for item in data]
    return data


def envelope(
    request: Request,
    data: Any = None,
    *,
    status_code: int = 200,
    code: str | None = None,
    message: str | None = None,
) -> Response:
    body: dict[str, Any] = {
        "code": code or ("CREATED" if status_code == 201 else "OK"),
        "message": message or ("Created" if status_code == 201 else "Success"),
        "requestId": request_id_of(request),
    }
    # Every envelope carries ``data``, so clients can read it without a key check.
    body["data"] = _dump(data)
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


def list_envelope(request: Request, items: list[Any], next_cursor: str | None) -> Response:
    return envelope(request, {"nextCursor": next_cursor, "items": [_dump(i) for i in items]})


def _success_head(request: Request) -> bytes:
    # What ``envelope`` writes before ``data``, byte for byte.
    return b'{"code":"OK","message":"Success","requestId":' + orjson.dumps(request_id_of(request))


def json_envelope(request: Request, data_json: str) -> Response:
    """``envelope`` of data already serialized (the stored wire JSON of one item)."""
    body = b"".join((_success_head(request), b',"data":', data_json.encode(), b"}"))
    return Response(body, media_type="application/json")


def list_json_envelope(request: Request, items_json: str, next_cursor: str | None) -> Response:
    """``list_envelope`` of items already serialized: ``items_json`` is their JSON objects
    joined by commas, spliced in as they are."""
    body = b"".join(
        (
            _success_head(request),
            b',"data":{"nextCursor":',
            orjson.dumps(next_cursor),
            b',"items":[',
            items_json.encode(),
            b"]}}",
        )
    )
    return Response(body, media_type="application/json")


def error_envelope(
    request: Request, error: SahodError, headers: Mapping[str, str] | None = None
) -> Response:
    response = envelope(
        request,
        status_code=error.status_code,
        code=error.code,
        message=error.message,
        data={},
    )
    if headers:
        response.headers.update(headers)
    return response
