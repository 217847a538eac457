"""DynamoDB's per-item atomicity for moto's in-process server.

moto's server answers requests on threads without a lock: a conditional write can interleave
with another between its check and its write, and a cancelled transaction restores whole tables
from a copy taken before it began, undoing writes other threads made meanwhile. The runner and
the tests need the real service's guarantees, so every write takes one lock. The runner's moto
(`local.runner.moto_server`) and the tests' `aws` fixture apply it; `atomic_moto_writes()` nests
harmlessly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from moto.dynamodb.models import DynamoDBBackend

_write_lock = threading.RLock()
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")


@contextmanager
def atomic_moto_writes() -> Iterator[None]:
    """Make moto's DynamoDB writes atomic with respect to each other, as DynamoDB's are.

    moto's server answers requests on threads without a lock: a conditional write can interleave
    with another between its check and its write, and a cancelled transaction restores whole
    tables from a copy taken before it began, undoing writes other threads made meanwhile.
    The runner and the concurrency tests need the real service's guarantees, so every write
    takes one lock."""
    if getattr(DynamoDBBackend.put_item, "_atomic", False):
        yield
        return
    originals = {name: getattr(DynamoDBBackend, name) for name in _WRITES}

    def locked(original):
        def write(self, *args, **kwargs):
            with _write_lock:
                return original(self, *args, **kwargs)

        write._atomic = True
        return write

    for name, original in originals.items():
        setattr(DynamoDBBackend, name, locked(original))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(DynamoDBBackend, name, original)
