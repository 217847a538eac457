"""Query pages, transactions and conditional moves, with DynamoDB errors turned into
domain errors in one place."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, PutError, QueryError, TransactWriteError, UpdateError
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
    keep: Callable[[Any], bool] | None = None,
) -> tuple[list[Any], str | None]:
    """One page of a Query (model or index) and the cursor of the next, or None.

    `keep` filters the items read, as a FilterExpression would (a page may come out short), for
    attributes a keys-only index does not hold: the items are read whole from the table anyway."""
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
    return [item for item in items if keep is None or keep(item)], cursor


def _fits(query: Callable[..., Any], start_key: dict[str, Any]) -> bool:
    """Whether a decoded cursor is a key of the queried table or index: exactly its key attributes,
    each one typed value (DynamoDB refuses others; moto even answers them with a 500)."""
    target = query.__self__  # a Model class or a GlobalSecondaryIndex
    model = getattr(target, "_model", target)
    names = {model._hash_keyname, model._range_keyname} | set(
        getattr(getattr(target, "Meta", None), "attributes", {})
    )
    names.discard(None)
    attributes = model.get_attributes()
    names = {attributes[name].attr_name if name in attributes else name for name in names}  # stored names
    return set(start_key) == names and all(
        isinstance(value, dict)
        and len(value) == 1
        and set(value) <= {"S", "N"}
        and isinstance(next(iter(value.values())), str)
        for value in start_key.values()
    )


def _code(exc: Exception) -> str | None:
    return getattr(exc, "cause_response_code", None)


def condition_failed(exc: Exception) -> bool:
    """Whether a single-item write failed because its condition did not hold (the one test)."""
    return _code(exc) == "ConditionalCheckFailedException"


def conflicted(exc: Exception) -> bool:
    """Whether a single-item write was refused for a transaction in progress on the same item."""
    return _code(exc) == "TransactionConflictException"


def conditional_save(item: Model, condition: Any, conflict: str) -> None:
    """PutItem under a condition; Conflict(conflict) when the condition fails."""
    try:
        item.save(condition=condition)
    except PutError as exc:
        if condition_failed(exc):
            raise Conflict(conflict) from exc
        raise


def conditional_update(item: Model, actions: list[Any], condition: Any, conflict: str) -> None:
    """UpdateItem under a condition; Conflict(conflict) when the condition fails."""
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if condition_failed(exc):
            raise Conflict(conflict) from exc
        raise


def conditional_delete(item: Model, condition: Any, conflict: str) -> None:
    """DeleteItem under a condition; Conflict(conflict) when the condition fails."""
    try:
        item.delete(condition=condition)
    except DeleteError as exc:
        if condition_failed(exc):
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


def delete_items(model: type[Model], items: list[Any]) -> None:
    """Delete the items (read by key) in BatchWriteItem calls of 25, unprocessed ones retried by
    pynamodb (no condition: only for items whose owner is being deleted)."""
    if not items:
        return
    with model.batch_write() as batch:
        for item in items:
            batch.delete(item)


@cache
def shared_connection() -> Connection:
    """One low-level connection per cold start (a botocore client is expensive to build)."""
    return Connection()


Key = tuple[type[Model], Any] | tuple[type[Model], Any, Any]
"""(model, hash key) or (model, hash key, range key) of one item."""
MAX_BATCH_GET = 100
"""DynamoDB's limit of keys per BatchGetItem."""


def _key_of(model: type[Model], hash_key: Any, range_key: Any = None) -> dict[str, Any]:
    """The item's key as DynamoDB takes it (attribute name → typed value)."""
    key: dict[str, Any] = {}
    parts = ((model._hash_key_attribute(), hash_key), (model._range_key_attribute(), range_key))
    for attribute, value in parts:
        if attribute is not None and value is not None:
            key[attribute.attr_name] = {attribute.attr_type: attribute.serialize(value)}
    return key


def read_together(keys: list[Key], *, eventually_consistent: tuple[type[Model], ...] = ()) -> list[Any]:
    """Items of several tables in one BatchGetItem, in the order of `keys` (None where there is no
    item); strongly consistent except the tables of `eventually_consistent` (half the read units).
    Keys DynamoDB leaves unprocessed are asked again."""
    if len(keys) > MAX_BATCH_GET:
        raise ValueError(f"at most {MAX_BATCH_GET} keys per read")
    wanted = [(key[0], key[0].Meta.table_name, _key_of(*key)) for key in keys]
    pending: dict[str, Any] = {}
    relaxed = {model.Meta.table_name for model in eventually_consistent}
    for _, table, key in wanted:
        if key not in pending.setdefault(table, {"Keys": [], "ConsistentRead": table not in relaxed})["Keys"]:
            pending[table]["Keys"].append(key)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    client = shared_connection().client
    for attempt in itertools.count():
        if not pending:
            break
        if attempt:
            time.sleep(min(0.05 * 2**attempt, 1.0))  # unprocessed keys: DynamoDB was throttling
        reply = client.batch_get_item(RequestItems=pending)
        for table, items in reply.get("Responses", {}).items():
            for item in items:
                found[table, _identity({name: item[name] for name in _key_names(table, wanted)})] = item
        pending = reply.get("UnprocessedKeys") or {}
    return [
        None if (data := found.get((table, _identity(key)))) is None else model.from_raw_data(data)
        for model, table, key in wanted
    ]


def _key_names(table: str, wanted: list[tuple[type[Model], str, dict[str, Any]]]) -> list[str]:
    return next(list(key) for _, name, key in wanted if name == table)


def _identity(key: dict[str, Any]) -> str:
    return repr(sorted(key.items()))


class LabelledTransaction:
    """A TransactWrite that remembers a label per item, to tell which condition failed.

    DynamoDB reports cancellation reasons in request order, and pynamodb sends condition
    checks, then deletes, then puts, then updates; the labels follow that same order."""

    def __init__(self, tx: TransactWrite) -> None:
        self._tx = tx
        self._labels: dict[str, list[str]] = {"check": [], "delete": [], "put": [], "update": []}

    def condition_check(self, model: type[Model], key: Any, *, condition: Any, label: str = "") -> None:
        self._tx.condition_check(model, key, condition=condition)
        self._labels["check"].append(label)

    def delete(self, model: Model, *, condition: Any = None, label: str = "") -> None:
        self._tx.delete(model, condition=condition)
        self._labels["delete"].append(label)

    def save(self, model: Model, *, condition: Any = None, label: str = "") -> None:
        self._tx.save(model, condition=condition)
        self._labels["put"].append(label)

    def update(self, model: Model, actions: list[Any], *, condition: Any = None, label: str = "") -> None:
        self._tx.update(model, actions=actions, condition=condition)
        self._labels["update"].append(label)

    @property
    def labels(self) -> list[str]:
        return [label for kind in ("check", "delete", "put", "update") for label in self._labels[kind]]


BUSY = "busy"
"""The outcome when DynamoDB cancelled a transaction for a concurrent one on the same item."""


def run_transaction(write: Callable[[LabelledTransaction], None]) -> str | None:
    """Run `write` as one transaction: None when committed, else the label of the first item whose
    condition failed, or BUSY for a transaction conflict (worth retrying as is)."""
    labelled: LabelledTransaction | None = None
    try:
        with TransactWrite(connection=shared_connection()) as tx:
            labelled = LabelledTransaction(tx)
            write(labelled)
    except TransactWriteError as exc:
        reasons: list[Any] = list(exc.cancellation_reasons or [])
        for index, reason in enumerate(reasons):
            if reason is not None and reason.code == "ConditionalCheckFailed" and labelled:
                return labelled.labels[index] or "condition"
        if any(reason is not None and reason.code == "TransactionConflict" for reason in reasons):
            return BUSY
        raise
    return None


def transact(write: Callable[[LabelledTransaction], None], conflict: str) -> None:
    """Run `write(tx)` as one transaction; Conflict(conflict) when a condition fails or a concurrent
    transaction on the same items won (both mean: read again and retry)."""
    if run_transaction(write) is not None:
        raise Conflict(conflict)
