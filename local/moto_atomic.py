"""DynamoDB's per-item atomicity for moto's in-process server, at a cost that does not grow with the tables.

moto's server answers requests on threads without a lock: a conditional write can interleave
with another between its check and its write, and a cancelled transaction restores whole tables
from a copy taken before it began, undoing writes other threads made meanwhile. The runner and
the tests need the real service's guarantees, so every write takes one lock. The runner's moto
(`local.runner.moto_server`) and the tests' `aws` fixture apply it; `atomic_moto_writes()` nests
harmlessly.

moto's `transact_write_items` also deep-copies every table the transaction names before it begins
(its rollback), so a transaction cost time and memory in proportion to everything stored: the local
runner slowed from 83 to 7.6 POSTs per second after 1,600 sites. Under the same patch, a
transaction instead copies the items it names (a missing one is remembered as missing), moto's
whole-table copy is skipped, and when the transaction fails, for any reason, those items are put
back as they were. With every write under the lock, nothing else can change them in between.
(A cancelled transaction's stream records, if a table had a stream, are not taken back: the
template defines no streams.)
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.exceptions import ResourceNotFoundException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

_write_lock = threading.RLock()
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
_in_transaction = threading.local()

# (table, hash key, range key or None, the item as it was or None when there was none)
Snapshot = tuple[Table, DynamoType, DynamoType | None, Item | None]


def copy_item(item: Item | None) -> Item | None:
    """The copy kept to put an item back if its transaction fails (None: there was no item)."""
    return None if item is None else copy.deepcopy(item)


def snapshot_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[Snapshot]:
    """A copy of each item the transaction names, as it is before the transaction runs."""
    snapshots: list[Snapshot] = []
    for entry in transact_items:
        for operation in entry.values():
            if located := _locate(backend, operation):
                table, hash_key, range_key = located
                snapshots.append((table, hash_key, range_key, copy_item(table.get_item(hash_key, range_key))))
    return snapshots


def _locate(backend: DynamoDBBackend, operation: Any) -> tuple[Table, DynamoType, DynamoType | None] | None:
    """The table and key an operation names; None when moto cannot find them either (it then
    refuses the operation without writing)."""
    try:
        table = backend.get_table(operation["TableName"])
        key = operation["Item"] if "Item" in operation else operation["Key"]
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = None if table.range_key_attr is None else DynamoType(key[table.range_key_attr])
    except (LookupError, TypeError, ValueError, AttributeError, ResourceNotFoundException):
        return None
    return table, hash_key, range_key


def restore_items(snapshots: list[Snapshot]) -> None:
    """Put every item back as the snapshot has it (delete it when it did not exist)."""
    for table, hash_key, range_key, item in reversed(snapshots):
        if range_key is None:
            slot, key = table.items, hash_key
        else:
            slot, key = table.items[hash_key], range_key
        if item is None:
            slot.pop(key, None)
        else:
            slot[key] = item
        if range_key is not None and not slot:
            del table.items[hash_key]


class _CopyExceptTablesInTransactions(ModuleType):
    """Stands for the `copy` module in moto.dynamodb.models: the one whole-table deep copy there,
    transact_write_items' backup, returns the table itself (so its rollback assigns each table to
    itself) while this thread runs a transaction under `_item_rollback`."""

    def __init__(self) -> None:
        super().__init__("copy")

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, Table) and getattr(_in_transaction, "active", False):
            return value
        return copy.deepcopy(value, memo)


def _item_rollback(original):
    def transact_write_items(self, transact_items, *args, **kwargs):
        snapshots = snapshot_items(self, transact_items)
        _in_transaction.active = True
        try:
            return original(self, transact_items, *args, **kwargs)
        except Exception:
            restore_items(snapshots)
            raise
        finally:
            _in_transaction.active = False

    return transact_write_items


def _locked(original):
    def write(self, *args, **kwargs):
        with _write_lock:
            return original(self, *args, **kwargs)

    write._atomic = True
    return write


@contextmanager
def atomic_moto_writes() -> Iterator[None]:
    """Make moto's DynamoDB writes atomic with respect to each other, as DynamoDB's are, and its
    transactions' rollback as costly as the items they name (see the module's docstring)."""
    if getattr(DynamoDBBackend.put_item, "_atomic", False):
        yield
        return
    originals = {name: getattr(DynamoDBBackend, name) for name in _WRITES}
    original_copy = dynamodb_models.copy
    for name, original in originals.items():
        write = _item_rollback(original) if name == "transact_write_items" else original
        setattr(DynamoDBBackend, name, _locked(write))
    dynamodb_models.copy = _CopyExceptTablesInTransactions()
    try:
        yield
    finally:
        dynamodb_models.copy = original_copy
        for name, original in originals.items():
            setattr(DynamoDBBackend, name, original)
