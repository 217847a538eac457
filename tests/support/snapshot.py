"""What every table holds, to prove a rejected request wrote nothing (tests only: Scans)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local.aws import Stack
from local.template import resources_of_type
from tests.support.fixtures import stored


def tables(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    """Every DynamoDB table of the template → its items, in a stable order."""
    names = list(resources_of_type(stack.template, "AWS::DynamoDB::Table"))
    return {name: sorted(stored(stack, name), key=repr) for name in names}


@contextmanager
def writes_nothing(stack: Stack) -> Iterator[None]:
    """Asserts that the block leaves every table exactly as it found it."""
    before = tables(stack)
    yield
    after = tables(stack)
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"tables written by a rejected request: {changed}"
