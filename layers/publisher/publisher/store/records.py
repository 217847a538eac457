"""Publishing records: one publication of one content item to one destination.

Every status move is a conditional write on the status read before it (and, for a worker's
own writes, on `attempts`, which fences off a worker whose claim was taken over).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pynamodb.exceptions import DoesNotExist

from publisher.paging import PageRequest, decode_cursor
from publisher.store.changes import actions_for
from publisher.store.common import conditional_delete, conditional_save, conditional_update, query_page
from publisher.store.models import RecordModel

RecordPage = tuple[list[RecordModel], str | None]


def get_record(record_id: str) -> RecordModel | None:
    try:
        return RecordModel.get(record_id, consistent_read=True)
    except DoesNotExist:
        return None


def fresh_records(record_ids: Iterable[str]) -> dict[str, RecordModel]:
    """Strongly consistent reads of several records (what an index query may not have seen yet)."""
    ids = list(dict.fromkeys(record_ids))
    if not ids:
        return {}
    return {record.record_id: record for record in RecordModel.batch_get(ids, consistent_read=True)}


def create_record(record: RecordModel) -> None:
    record.refresh_index_keys()
    conditional_save(record, RecordModel.record_id.does_not_exist(), "that record already exists")


def update_record(record: RecordModel, changes: Mapping[str, Any], condition: Any, conflict: str) -> None:
    """Apply field changes (derived keys included) under a condition; Conflict when it fails."""
    conditional_update(record, actions_for(record, changes), condition, conflict)


def delete_record(record: RecordModel, condition: Any) -> None:
    """Delete under a condition; Conflict when it fails."""
    conditional_delete(record, condition, "the record changed meanwhile")


def unchanged(record: RecordModel) -> Any:
    """The condition that the record is still as it was read (status and last write)."""
    return (RecordModel.status == record.status) & (RecordModel.updated_at == record.updated_at)


# --- queries -------------------------------------------------------------------------------


def records_of_content(content_id: str) -> list[RecordModel]:
    """Every record of a content item (all destinations, oldest first per destination)."""
    return list(RecordModel.content_index.query(content_id))


def records_of_deployment(deployment_id: str) -> list[RecordModel]:
    return list(RecordModel.deployment_index.query(deployment_id))


def page_of(
    scope: str,
    key: str,
    page: PageRequest,
    *,
    status: str | None = None,
    destination: str | None = None,
    sector_id: str | None = None,
) -> RecordPage:
    """A page of records, newest first, of one content, site or account (`scope`), filtered.
    By content, the destination narrows the key condition. The indexes hold keys only: the other
    filters apply to the page's records once read back (a page may hold fewer than `limit`)."""
    key_condition = None
    if scope == "content":
        index = RecordModel.content_index
        if destination:
            key_condition = RecordModel.destination_created.startswith(f"{destination}#")
    else:
        index = RecordModel.site_index if scope == "site" else RecordModel.account_index
    records, cursor = query_page(index.query, key, key_condition, page=page, newest_first=True)
    wanted = {"status": status, "destination": destination, "sector_id": sector_id}
    kept = [
        record
        for record in records
        if all(value is None or getattr(record, name) == value for name, value in wanted.items())
    ]
    return kept, cursor


def needing_attention_page(
    shard: int, now_iso: str, limit: int, cursor: str | None = None
) -> tuple[list[RecordModel], str | None]:
    """One page (at most `limit`, from `cursor`) of one shard of the retry index: unsettled records
    whose `next_retry_at` has passed; and the next page's cursor (None at the shard's end)."""
    return query_page(
        RecordModel.retry_index.query,
        str(shard),
        RecordModel.next_retry_at <= now_iso,
        page=PageRequest(limit=limit, start_key=decode_cursor(cursor)),
    )
