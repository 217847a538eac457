"""When a content slug claim whose content does not exist may be taken over (store.content.past_grace)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from publisher.store.content import ORPHAN_GRACE, past_grace
from publisher.timeutil import iso

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("claimed_at", "orphan"),
    [
        (iso(NOW - timedelta(minutes=5, seconds=1)), True),
        (iso(NOW - timedelta(days=30)), True),
        (None, True),  # written before creates claimed first: with its content, in one transaction
        (iso(NOW - ORPHAN_GRACE), False),
        (iso(NOW - timedelta(minutes=4, seconds=59)), False),
        (iso(NOW - timedelta(seconds=1)), False),  # a create in flight
        (iso(NOW + timedelta(seconds=2)), False),  # another instance's clock a little ahead
    ],
)
def test_a_claim_is_past_its_grace_only_when_older_than_five_minutes_or_undated(claimed_at, orphan):
    assert past_grace(claimed_at, NOW) is orphan
