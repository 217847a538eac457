"""Field changes → pynamodb update actions, with the model's derived index keys kept in step.

Every write that changes a state field must also write the keys derived from it (sparse and
composite index keys), or an index goes stale. `actions_for` applies the changes to the item,
lets the model recompute its derived keys, and returns one SET/REMOVE action per attribute
whose value changed, so callers only ever say what they mean to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from typing import Any

from pynamodb.models import Model


def actions_for(item: Model, changes: Mapping[str, Any]) -> list[Any]:
    """Apply `changes` to `item` (and its derived keys); the update actions that write them."""
    attributes = type(item).get_attributes()
    before = deepcopy(item.attribute_values)
    for name, value in changes.items():
        if name not in attributes:
            raise AttributeError(f"{type(item).__name__} has no attribute {name}")
        setattr(item, name, value)
    refresh = getattr(item, "refresh_index_keys", None)
    if refresh is not None:
        refresh()
    after = item.attribute_values
    names = set(changes) | {name for name in attributes if after.get(name) != before.get(name)}
    actions = []
    for name in sorted(names):
        value = after.get(name)
        attribute = attributes[name]
        actions.append(attribute.remove() if value is None else attribute.set(value))
    return actions
