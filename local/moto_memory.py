"""moto without its record of every DynamoDB item and SQS message it ever made.

moto appends every model instance it creates to a list on the model's class (`instances_tracked`,
read only by its dashboard, /moto-api/data.json) and empties those lists only on a reset. Every
DynamoDB write creates an `Item`, and so does every copy moto makes of one (an update's old image,
each item of a query's answer, a transaction's rollback); every SQS send creates a `Message`. So a
long-running `python -m local start` kept every version of every item and message it had ever
handled. Under `untracked_moto_records()` those two kinds are not recorded (moto's dashboard lists
none of them; nothing here reads it); tables, queues and the other resources still are. The
runner's moto (`local.runner.moto_server`) and the tests' moto server apply it; it nests harmlessly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.core.common_models import BaseModel
from moto.dynamodb.models.dynamo_type import Item
from moto.sqs.models import Message

UNTRACKED = (Item, Message)


@contextmanager
def untracked_moto_records() -> Iterator[None]:
    """moto's DynamoDB items and SQS messages, made without being appended to `instances_tracked`."""
    original = BaseModel.__dict__["__new__"]
    if getattr(original.__func__, "_untracked", False):
        yield
        return

    def new(cls: type, *args: Any, **kwargs: Any) -> Any:
        if issubclass(cls, UNTRACKED):
            return object.__new__(cls)
        return original.__func__(cls, *args, **kwargs)

    new._untracked = True
    BaseModel.__new__ = staticmethod(new)
    try:
        yield
    finally:
        BaseModel.__new__ = original
