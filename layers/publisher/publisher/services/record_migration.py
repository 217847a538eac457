"""Migration to one PublishingRecord per (content, destination) (API.md v1.1, "Publications").

Before v1.1 every publication added a record; a content could hold several records of one
destination, older ones still `published`. `fold_records_of_content` keeps the newest record of
each pair and folds the older ones into it: their attempts are added, each becomes a line of the
attempts log, the post's id (and URL, hash and image map) is kept when the newest lacks it, and
the older records are deleted. One Query on the content-index per content; no Scan. Running it
again changes nothing (the ids it folded are remembered in `metadata.folded_record_ids`).

`scripts/migrate_records.py` runs it over the content of given sites or accounts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from publisher.domain.publishing import (
    MAX_ATTEMPT_LOG,
    Outcome,
    attempt_entry,
    newness,
    with_attempt,
)
from publisher.domain.statuses import RecordStatus
from publisher.store import records as store
from publisher.store.models import RecordModel

_OUTCOME = {
    RecordStatus.PUBLISHED: Outcome.PUBLISHED,
    RecordStatus.FAILED: Outcome.FAILED,
    RecordStatus.RETRACTED: Outcome.RETRACTED,
}
MAX_FOLDED_IDS = 200
CARRIED = ("external_id", "external_url", "content_hash", "published_at")
"""What the kept record takes from the newest older record that has a post, when it has none."""


@dataclass
class FoldSummary:
    kept: int = 0
    folded: int = 0


def _as_attempts(record: RecordModel) -> list[dict[str, Any]]:
    """An older record as attempts-log lines: its own log, else one line for its outcome."""
    if record.attempt_log:
        return list(record.attempt_log)
    outcome = _OUTCOME.get(RecordStatus(record.status))
    if outcome is None:
        return []  # pending or publishing: nothing happened at the destination yet
    at = record.published_at if outcome == Outcome.PUBLISHED and record.published_at else record.updated_at
    return [attempt_entry(at, outcome, error=record.error, deployment_id=record.deployment_id)]


def fold_records_of_content(content_id: str) -> FoldSummary:
    """Fold every (content, destination) pair of this content into its newest record."""
    summary = FoldSummary()
    by_destination: dict[str, list[RecordModel]] = defaultdict(list)
    for record in store.records_of_content(content_id):
        by_destination[record.destination].append(record)
    for group in by_destination.values():
        group.sort(key=newness)
        kept, older = group[-1], group[:-1]
        summary.kept += 1
        if older:
            _fold(kept, older)
            summary.folded += len(older)
    return summary


def _fold(kept: RecordModel, older: list[RecordModel]) -> None:
    metadata = dict(kept.metadata or {})
    done = set(metadata.get("folded_record_ids") or [])
    new = [record for record in older if record.record_id not in done]
    if new:
        log: list[dict[str, Any]] = list(kept.attempt_log or [])
        if not log:
            log = _as_attempts(kept)
        for record in new:
            for entry in _as_attempts(record):
                log = with_attempt(log, entry)
        changes: dict[str, Any] = {
            "attempts": int(kept.attempts or 0) + sum(int(record.attempts or 0) for record in new),
            "attempt_log": log[-MAX_ATTEMPT_LOG:],
        }
        with_post = [record for record in new if record.external_id]
        if not kept.external_id and with_post:
            source = max(with_post, key=newness)
            changes.update({name: getattr(source, name) for name in CARRIED})
        with_media = [record for record in new if (record.metadata or {}).get("media")]
        if with_media and "media" not in metadata:
            metadata["media"] = max(with_media, key=newness).metadata["media"]
        metadata["folded_record_ids"] = sorted(done | {record.record_id for record in new})[-MAX_FOLDED_IDS:]
        changes["metadata"] = metadata
        store.update_record(kept, changes, store.unchanged(kept), "the record changed meanwhile; run again")
    for record in older:
        store.delete_record(record, store.unchanged(record))
