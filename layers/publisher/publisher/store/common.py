"""Query pages, transactions and conditional moves, with DynamoDB errors turned into
domain errors in one place."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, QueryError, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from publisher.errors import BadRequest, Conflict
from publisher.paging import PageRequest, encode_cursor

M = TypeVar("M", bound=Model)


def query_page(
    query: Callable[..., Any],
    hash_key: str,
    range_condition: Any = None,
    *,
    page: PageRequest,
    newest_first: bool = False,
    filter_condition: Any = None,
) -> tuple[list[Any], str | None]:
    """One page of a Query (model or index) and the cursor of the next, or None."""
    if page.start_key is not None and not _fits(query, page.start_key):
        raise BadRequest("cursor does not belong to this list")
    try:
        results = query(
            hash_key,
            range_condition,
            filter_condition=filter_condition,
            limit=page.limit,
            last_evaluated_key=page.start_key,
            scan_index_forward=not newest_first,
        )
        items = list(results)
    except QueryError as exc:
        if _code(exc) == "ValidationException" and page.start_key:
            raise BadRequest("cursor does not belong to this list") from exc
        raise
    cursor = encode_cursor(results.last_evaluated_key) if len(items) >= page.limit else None
    return items, cursor


def _fits(query: Callable[..., Any], start_key: dict[str, Any]) -> bool:
    """Whether a decoded cursor is a key of the queried table or index: exactly its key attributes,
    each one typed value (DynamoDB refuses others; moto even answers them with a 500)."""
    target = query.__self__  # a Model class or a GlobalSecondaryIndex
    model = getattr(target, "_model", target)
    names = {model._hash_keyname, model._range_keyname} | set(
        getattr(getattr(target, "Meta", None), "attributes", {})
    )
    names.discard(None)
    return set(start_key) == names and all(
        isinstance(value, dict)
        and len(value) == 1
        and set(value) <= {"S", "N"}
        and isinstance(next(iter(value.values())), str)
        for value in start_key.values()
    )


def _code(exc: Exception) -> str | None:
    cause = getattr(exc, "cause_response_code", None)
    return cause


def conditional_save(item: Model, condition: Any, conflict: str) -> None:
    """PutItem under a condition; Conflict(conflict) when the condition fails."""
    try:
        item.save(condition=condition)
    except PutError as exc:
        if _code(exc) == "ConditionalCheckFailedException":
            raise Conflict(conflict) from exc
        raise


def conditional_update(item: Model, actions: list[Any], condition: Any, conflict: str) -> None:
    """UpdateItem under a condition; Conflict(conflict) when the condition fails."""
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if _code(exc) == "ConditionalCheckFailedException":
            raise Conflict(conflict) from exc
        raise


@cache
def shared_connection() -> Connection:
    """One low-level connection per cold start (a botocore client is expensive to build)."""
    return Connection()


def transact(write: Callable[[TransactWrite], None], conflict: str) -> None:
    """Run `write(tx)` as one transaction; Conflict(conflict) when a condition fails."""
    try:
        with TransactWrite(connection=shared_connection()) as tx:
            write(tx)
    except TransactWriteError as exc:
        reasons: Iterable[Any] = exc.cancellation_reasons or []
        if any(reason and reason.code == "ConditionalCheckFailed" for reason in reasons):
            raise Conflict(conflict) from exc
        raise
