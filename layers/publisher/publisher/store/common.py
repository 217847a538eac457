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

from publisher.domain.statuses import Move
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


def status_condition(attribute: Any, move: Move, current: Any = None) -> Any:
    """The condition of `move` on a status attribute, from the state machine's table: the stored
    status is still the one read (`current`), which the move must allow (else Conflict), or —
    when nothing was read — any status the move may start from."""
    if current is not None:
        if not move.allows(current):
            raise Conflict(f"cannot {move.name} from {current}")
        return attribute == str(current)
    return attribute.is_in(*(str(source) for source in move.sources))


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
