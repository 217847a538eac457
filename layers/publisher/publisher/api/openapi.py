"""What each route documents: every status it can answer, each with its schema, as references
to the components `publisher.api.schemas` defines. Plain dicts, no models, so the API functions'
cold start does not pay for the document (the resolver adds the components when it builds it).
"""

from __future__ import annotations

from typing import Any

REF_PREFIX = "#/components/schemas/"
ERROR = "ErrorEnvelope"

WHY: dict[int, str] = {
    400: "Malformed request: the body is not JSON (or not UTF-8, or too deeply nested), or a query "
    "value is malformed or empty",
    401: "Missing, expired or invalid token (from the authorizer), or a wrong feed token",
    403: "The caller's role may not do this",
    404: "No such resource in the caller's account",
    409: "State conflict: an illegal transition, a duplicate or a cap",
    413: "The body is over 1 MB",
    415: "The body is not application/json",
    422: "Invalid fields; `errors` names each field and why",
    429: "Throttled by API Gateway",
    500: "Internal error; nothing internal is shown, the request id identifies it",
}

AUTHENTICATED = (401, 403, 429, 500)
"""What API Gateway and the authorizer may answer on every route behind the authorizer."""
PUBLIC = (429, 500)
BODY = (400, 413, 415, 422)
"""A route that reads a JSON body."""
QUERY = (400, 422)
"""A route that reads query parameters."""


NO_AUTH: dict[str, Any] = {"security": []}
"""`openapi_extensions=` of a public route (Powertools drops a `security=[]` of a router's route)."""


def ref(name: str) -> dict[str, str]:
    return {"$ref": REF_PREFIX + name}


def _json(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": ref(name)}}


def answers(
    status: int,
    envelope: str,
    description: str,
    *errors: int,
    public: bool = False,
    media_type: str | None = None,
) -> dict[int, dict[str, Any]]:
    """`responses=` of a route: the success status with `envelope` (a component of
    `publisher.api.schemas`, or a plain string body of `media_type`), and the error envelope for
    each of `errors` plus what the gateway may answer (public routes have no authorizer)."""
    content = {media_type: {"schema": {"type": "string"}}} if media_type else _json(envelope)
    documented: dict[int, dict[str, Any]] = {status: {"description": description, "content": content}}
    for code in sorted({*errors, *(PUBLIC if public else AUTHENTICATED)}):
        documented[code] = {"description": WHY[code], "content": _json(ERROR)}
    return documented


def also(status: int, envelope: str, description: str) -> dict[int, dict[str, Any]]:
    """A further success status of a route that answers two (e.g. 200 done now, 202 accepted)."""
    return {status: {"description": description, "content": _json(envelope)}}
