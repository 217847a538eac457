"""The platform's envelope: every reply, success or error, is built here."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

request_id: ContextVar[str] = ContextVar("request_id", default="")

_UNSET = object()


def _json(body: Mapping[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), default=str)


def ok(data: Any, status: int = 200, *, next_cursor: Any = _UNSET) -> Response:
    """`{"success": true, "data": ..., "request_id": ...}`; lists add `next_cursor`."""
    body: dict[str, Any] = {"success": True, "data": data}
    if next_cursor is not _UNSET:
        body["next_cursor"] = next_cursor
    body["request_id"] = request_id.get()
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=_json(body))


def error(status: int, message: str, errors: Mapping[str, Sequence[str]] | None = None) -> Response:
    """`{"success": false, "error": ..., "errors": {field: [why]}, "request_id": ...}`."""
    body: dict[str, Any] = {"success": False, "error": message}
    if errors:
        body["errors"] = {field: list(reasons) for field, reasons in errors.items()}
    body["request_id"] = request_id.get()
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=_json(body))
