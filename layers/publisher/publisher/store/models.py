"""One pynamodb model per table. The template's tables and these models are checked
against each other by tests/unit/store/test_models_match_template.py.

Table names come from settings (`bind_tables`), once per cold start. Derived index keys
(sparse and composite) are computed by the models themselves, so they cannot disagree
with the attributes they are derived from.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from typing import Any

from pynamodb.attributes import (
    Attribute,
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.constants import BINARY, STRING
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from publisher.config import Settings
from publisher.domain.statuses import (
    OPEN_STATUSES,
    REPUBLISHABLE,
    ContentStatus,
    DeploymentStatus,
    RecordStatus,
    SiteStatus,
)

DUE_SHARDS = 8
"""The due and retry indexes spread their items over this many partition keys."""

AUTO_SHARDS = 4


def shard_of(item_id: str, shards: int) -> str:
    """A stable shard number for an id, as the string partition key of a sharded index."""
    return str(int(hashlib.sha256(item_id.encode()).hexdigest()[:8], 16) % shards)


def _gsi(index: str, hash_key: str, range_key: str | None) -> type[GlobalSecondaryIndex]:
    """A GSI class with ALL projection (the index serves whole items)."""

    class Meta:
        index_name = index
        projection = AllProjection()

    attrs: dict = {"Meta": Meta, hash_key: UnicodeAttribute(hash_key=True)}
    if range_key:
        attrs[range_key] = UnicodeAttribute(range_key=True)
    return type(f"Index_{index.replace('-', '_')}", (GlobalSecondaryIndex,), attrs)


class _FullItems:
    """The items of an index query read back whole from the table (BatchGetItem, 100 at a time, in
    the index's order): the index itself holds only keys (and the attributes its filters need)."""

    def __init__(self, model: type[Model], results: Any) -> None:
        self._model = model
        self._results = results

    @property
    def last_evaluated_key(self) -> Any:
        return self._results.last_evaluated_key

    def __iter__(self) -> Iterator[Any]:
        batch: list[Any] = []
        for item in self._results:
            batch.append(item)
            if len(batch) == 100:
                yield from self._whole(batch)
                batch = []
        if batch:
            yield from self._whole(batch)

    def _whole(self, batch: list[Any]) -> Iterator[Any]:
        hash_name, range_name = self._model._hash_keyname, self._model._range_keyname

        def key(item: Any) -> Any:
            return (
                (getattr(item, hash_name), getattr(item, range_name))
                if range_name
                else getattr(item, hash_name)
            )

        found = {key(item): item for item in self._model.batch_get([key(item) for item in batch])}
        for item in batch:
            if key(item) in found:  # deleted since the index saw it: gone
                yield found[key(item)]


class _KeysIndex(GlobalSecondaryIndex):
    """An index that holds only keys (and what its filters read): its query returns whole items,
    read back from the table, unless it asks for `attributes_to_get`."""

    def query(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        results = super().query(*args, **kwargs)
        return results if kwargs.get("attributes_to_get") else _FullItems(self._model, results)


def _keys_gsi(
    index: str, hash_key: str, range_key: str | None, include: tuple[str, ...] = ()
) -> type[GlobalSecondaryIndex]:
    """A GSI that projects only keys (and `include`, what its filter conditions read): a write of
    the item touches the index only when those change, and at their size, not the item's."""

    class Meta:
        index_name = index
        projection = IncludeProjection(list(include)) if include else KeysOnlyProjection()

    attrs: dict = {"Meta": Meta, hash_key: UnicodeAttribute(hash_key=True)}
    if range_key:
        attrs[range_key] = UnicodeAttribute(range_key=True)
    return type(f"Index_{index.replace('-', '_')}", (_KeysIndex,), attrs)


class _Base(Model):
    class Meta:
        table_name = "unbound"


class SiteModel(_Base):
    class Meta:
        table_name = "unbound-sites"

    site_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    sector_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute()
    slug = UnicodeAttribute()
    url = UnicodeAttribute(null=True)
    content_types = ListAttribute(of=UnicodeAttribute, default=list)
    taxonomies = JSONAttribute(default=dict)
    url_structure = JSONAttribute(default=dict)
    feed_token_hash = UnicodeAttribute(null=True)
    publishing_paused = BooleanAttribute(default=False)
    """While true the timed jobs hand nothing of the site over and publish-now is refused."""
    paused_at = UnicodeAttribute(null=True)
    deleting_at = UnicodeAttribute(null=True)
    """Set by `DELETE /sites/{id}/`: the site reads as gone while its items are removed in pages."""
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    notifications = JSONAttribute(null=True)
    """`{webhook_url, emails, events, allow_insecure_http, updated_at}` (store/notifications.py)."""
    notification_secret = BinaryAttribute(null=True, legacy_encoding=False)
    """The webhook's signing secret, sealed with KMS under (account, site, "notifications")."""

    account_index = _gsi("account-index", "account_id", "created_at")()


class UniqueKeyModel(_Base):
    """A claimed unique value (a site slug, a content slug within a site, a site's minute, an s3
    bucket), written under the condition that no other owner holds it: in the same transaction as
    its owner, or just before it (a new content's slug, dated by `claimed_at`: see
    store.content.create_content; a minute)."""

    class Meta:
        table_name = "unbound-unique-keys"

    key = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)  # minute claims only (slot#…): gone a day after their minute
    claimed_at = UnicodeAttribute(null=True)  # content slug claims written since creates claim first

    @staticmethod
    def site_slug(slug: str) -> str:
        return f"site-slug#{slug}"

    @staticmethod
    def content_slug(site_id: str, slug: str) -> str:
        return f"content-slug#{site_id}#{slug}"


class IntegrationModel(_Base):
    class Meta:
        table_name = "unbound-integrations"

    site_id = UnicodeAttribute(hash_key=True)
    destination = UnicodeAttribute(range_key=True)
    account_id = UnicodeAttribute()
    enabled = BooleanAttribute(default=True)
    config = JSONAttribute(default=dict)
    credentials_ciphertext = BinaryAttribute(null=True, legacy_encoding=False)
    last_verified_at = UnicodeAttribute(null=True)
    last_verification = JSONAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class PublishingSettingsModel(_Base):
    class Meta:
        table_name = "unbound-settings"

    site_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    document = JSONAttribute(default=dict)
    updated_at = UnicodeAttribute()
    # Sparse: present only while auto-approval or auto-publish is on.
    auto_shard = UnicodeAttribute(null=True)

    auto_index = _gsi("auto-index", "auto_shard", "site_id")()

    def refresh_index_keys(self) -> None:
        on = self.document.get("auto_approval_enabled") or self.document.get("auto_publish_enabled")
        self.auto_shard = shard_of(self.site_id, AUTO_SHARDS) if on else None


BODY_FIELDS = ("html", "excerpt", "categories", "tags", "featured_image_url")
"""The article's body: stored in its own item (ContentBodyModel) and written only when it changes,
so that a status move writes a small item. Title, slug and content type stay on the content item
(the calendar, the queue and the scheduler show them)."""


class ContentModel(_Base):
    """A content item. Its body fields (BODY_FIELDS) live in memory on the model, but in the table
    in their own item `body#<content_id>` (store/content.py reads and writes them) once the item
    carries `content_hash`; items written before that hold them inline (scripts/migrate_bodies.py
    moves them out)."""

    class Meta:
        table_name = "unbound-content"

    content_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    site_id = UnicodeAttribute()
    sector_id = UnicodeAttribute(null=True)
    title = UnicodeAttribute()
    html = UnicodeAttribute(null=True, default="")
    excerpt = UnicodeAttribute(null=True)
    slug = UnicodeAttribute()
    content_type = UnicodeAttribute(default="post")
    categories = ListAttribute(of=UnicodeAttribute, null=True, default=list)
    tags = ListAttribute(of=UnicodeAttribute, null=True, default=list)
    featured_image_url = UnicodeAttribute(null=True)
    content_hash = UnicodeAttribute(null=True)
    """The hash of the published fields as stored now (body included): set on every item whose body
    is in its own item, so `changed_since_publish` needs no body read."""
    status = UnicodeAttribute(default=ContentStatus.DRAFT.value)
    site_status = UnicodeAttribute(default=SiteStatus.NOT_PUBLISHED.value)
    scheduled_publish_at = UnicodeAttribute(null=True)
    schedule_destinations = ListAttribute(of=UnicodeAttribute, null=True)
    """The destinations the schedule publishes to (None: every enabled integration); set by each
    schedule request, cleared by unschedule."""
    site_status_updated_at = UnicodeAttribute()
    published_at = UnicodeAttribute(null=True)
    enqueued_for = UnicodeAttribute(null=True)
    published_hash = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    unscheduled_reason = UnicodeAttribute(null=True)
    """Why the 15-minute job left this approved item without a slot (cleared when it gets one)."""
    next_attempt_at = UnicodeAttribute(null=True)
    """While `retrying`: when the queue brings the failed attempt back."""
    no_records = BooleanAttribute(null=True)
    """True from creation until the content's first record is written, in that record's transaction
    and on the condition that it is still there (`store.publication.first_records`): handing over
    such content needs no Query of its records. Absent: it may have records (or predates this)."""
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    # Derived index keys (refresh_index_keys).
    status_key = UnicodeAttribute()
    site_status_key = UnicodeAttribute()
    calendar_at = UnicodeAttribute(null=True)
    due_shard = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    unpublish_at = UnicodeAttribute(null=True)
    """When every published record of the content is to be retracted (None: never)."""
    unpublish_enqueued_for = UnicodeAttribute(null=True)
    """The `unpublish_at` whose retraction was handed to the queue (the unpublish index drops it)."""
    unpublish_shard = UnicodeAttribute(null=True)
    unpublish_due = UnicodeAttribute(null=True)

    # Keys only: the body (html) is never copied into an index; queries read whole items back.
    # site-site-status-index carries the status its list filter reads (store/content.py).
    account_index = _keys_gsi("account-index", "account_id", "created_at")()
    site_status_index = _keys_gsi("site-status-index", "site_id", "status_key")()
    site_site_status_index = _keys_gsi("site-site-status-index", "site_id", "site_status_key", ("status",))()
    calendar_index = _keys_gsi("calendar-index", "site_id", "calendar_at")()
    due_index = _keys_gsi("due-index", "due_shard", "due_at")()
    unpublish_index = _keys_gsi("unpublish-index", "unpublish_shard", "unpublish_due")()

    @property
    def body_apart(self) -> bool:
        """Whether the body is stored in its own item (else inline, as written before the split)."""
        return self.content_hash is not None

    def fields_hash(self) -> str:
        """The hash of the published fields as they are in memory (the body must be loaded)."""
        # imported here: the transforms (HTML parsing, nh3) are not needed by a cold start
        from publisher.domain.transform import HASHED_FIELDS, content_hash

        return content_hash({name: getattr(self, name, None) for name in HASHED_FIELDS})

    def update(self, actions: Any, condition: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        """UpdateItem, keeping the body read with the item: the reply (ALL_NEW) is the stored small
        item, which would otherwise leave the body fields empty in memory."""
        body = {name: getattr(self, name) for name in BODY_FIELDS}
        result = super().update(actions, condition, **kwargs)
        if self.body_apart:
            for name, value in body.items():
                setattr(self, name, value)
        return result

    def refresh_index_keys(self) -> None:
        """Recompute every derived key from the item's state (call before each write)."""
        self.status_key = f"{self.status}#{self.created_at}"
        self.site_status_key = f"{self.site_status}#{self.created_at}"
        on_calendar = self.site_status != SiteStatus.NOT_PUBLISHED
        self.calendar_at = (self.scheduled_publish_at or self.published_at) if on_calendar else None
        due = self.site_status == SiteStatus.SCHEDULED and self.scheduled_publish_at and not self.enqueued_for
        self.due_shard = shard_of(self.content_id, DUE_SHARDS) if due else None
        self.due_at = self.scheduled_publish_at if due else None
        # Sparse, like due-index: an unpublish time not yet handed to the queue.
        unpublish = bool(self.unpublish_at) and self.unpublish_enqueued_for != self.unpublish_at
        self.unpublish_shard = shard_of(self.content_id, DUE_SHARDS) if unpublish else None
        self.unpublish_due = self.unpublish_at if unpublish else None


class CompressedTextAttribute(Attribute[str]):
    """Text stored zlib-compressed as a binary value (an article's html compresses about 3-fold, and
    DynamoDB bills a write by the stored bytes); a value stored before as a string still reads."""

    attr_type = BINARY

    def serialize(self, value: str) -> bytes:
        return zlib.compress(value.encode(), 6)

    def deserialize(self, value: bytes | str) -> str:
        return value if isinstance(value, str) else zlib.decompress(value).decode()

    def get_value(self, value: dict[str, Any]) -> Any:
        return value[STRING] if STRING in value else super().get_value(value)


class ContentBodyModel(_Base):
    """The body of a content item (BODY_FIELDS), in the Content table under the key
    `body#<content_id>`: in no index (it has none of their keys), written at create and by an edit
    that names a body field, read where the body is shown or published. Its html is stored
    compressed (8 KB of an article: about 3 KB, 3 write units instead of 9)."""

    class Meta:
        table_name = "unbound-content"

    key = UnicodeAttribute(hash_key=True, attr_name="content_id")  # body#<content_id>
    html = CompressedTextAttribute(default="")
    excerpt = UnicodeAttribute(null=True)
    categories = ListAttribute(of=UnicodeAttribute, default=list)
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    featured_image_url = UnicodeAttribute(null=True)

    @staticmethod
    def key_of(content_id: str) -> str:
        return f"body#{content_id}"


class RecordModel(_Base):
    class Meta:
        table_name = "unbound-records"

    record_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    site_id = UnicodeAttribute()
    sector_id = UnicodeAttribute(null=True)
    content_id = UnicodeAttribute()
    destination = UnicodeAttribute()
    status = UnicodeAttribute(default=RecordStatus.PENDING.value)
    external_id = UnicodeAttribute(null=True)
    external_url = UnicodeAttribute(null=True)
    published_at = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    metadata = JSONAttribute(default=dict)
    deployment_id = UnicodeAttribute(null=True)
    content_hash = UnicodeAttribute(null=True)
    next_retry_at = UnicodeAttribute(null=True)
    next_attempt_at = UnicodeAttribute(null=True)
    """Failed, and the queue brings the message back at this time (the worker scheduled a retry)."""
    claimed_until = UnicodeAttribute(null=True)
    """Publishing: until when the worker's claim holds (CLAIM_LEASE); past it, a redelivery takes it
    over. Apart from `next_retry_at` so that a claim moves no retry-index key (records claimed
    before it existed hold their lease in `next_retry_at`)."""
    attempt_log = JSONAttribute(default=list)
    """The last attempts, oldest first: `{at, outcome, error, actor, deployment_id}` (bounded)."""
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)
    # Derived index keys (refresh_index_keys).
    destination_created = UnicodeAttribute()
    retry_shard = UnicodeAttribute(null=True)

    # Keys only: a record's status moves and attempts write no index but the retry index (whose key
    # they move); queries read whole items back (store/records.py filters the page read back).
    account_index = _keys_gsi("account-index", "account_id", "created_at")()
    content_index = _keys_gsi("content-index", "content_id", "destination_created")()
    site_index = _keys_gsi("site-index", "site_id", "created_at")()
    deployment_index = _keys_gsi("deployment-index", "deployment_id", "created_at")()
    retry_index = _keys_gsi("retry-index", "retry_shard", "next_retry_at")()

    def refresh_index_keys(self) -> None:
        self.destination_created = f"{self.destination}#{self.created_at}"
        # Sparse: every record that is not settled yet carries the time the cleanup job must look
        # at it if nothing else happens (retry a failure, recover a lost message or a stuck claim).
        # A settled record waiting for a republish (its message is on its way) counts too.
        retry = (self.status in OPEN_STATUSES or self.status in REPUBLISHABLE) and self.next_retry_at
        self.retry_shard = shard_of(self.record_id, DUE_SHARDS) if retry else None


class DeploymentModel(_Base):
    class Meta:
        table_name = "unbound-deployments"

    deployment_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    site_id = UnicodeAttribute()
    sector_id = UnicodeAttribute(null=True)
    deployment_type = UnicodeAttribute()
    status = UnicodeAttribute(default=DeploymentStatus.PENDING.value)
    items_total = NumberAttribute(default=0)
    items_deployed = NumberAttribute(default=0)
    items_failed = NumberAttribute(default=0)
    started_at = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    error_log = ListAttribute(of=UnicodeAttribute, default=list)
    metadata = JSONAttribute(default=dict)
    version = NumberAttribute(null=True)
    """1, 2, … per site, in the order deployments started."""
    url = UnicodeAttribute(null=True)
    """The site's public URL when the deployment started."""
    planned = BooleanAttribute(null=True)
    """False while the `deployment.plan` unit is still paging the candidates (None: planned in the
    request, before deployments were queued work); the deployment finishes only once True."""
    plan_page = NumberAttribute(null=True)
    """Pages of the plan whose records the counters include: a page counts once (conditional)."""
    plan_writing = NumberAttribute(null=True)
    """The page of the plan a unit began writing: a redelivery of it looks for its own records."""
    rollback_page = NumberAttribute(null=True)
    """Pages of the running rollback counted in `metadata.rollback` (conditional, like plan_page)."""
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)

    account_index = _gsi("account-index", "account_id", "created_at")()
    site_index = _gsi("site-index", "site_id", "created_at")()


class UsageCounterModel(_Base):
    """Per-site publication counts per local day/week/month, for caps under concurrency."""

    class Meta:
        table_name = "unbound-usage"

    site_id = UnicodeAttribute(hash_key=True)
    period = UnicodeAttribute(range_key=True)  # "day#2026-11-21", "week#2026-W47", "month#2026-11"
    count = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)


class HistoryEntryModel(_Base):
    """One change of a content item's status or schedule (its audit trail), kept in the Usage
    table beside the counters: that table's composite key (`site_id` hash, `period` range) gives
    each content its own partition `history#<content_id>`, ordered by `<at>#<ulid>`, so a Query
    reads a page newest first. Never expires."""

    class Meta:
        table_name = "unbound-usage"

    key = UnicodeAttribute(hash_key=True, attr_name="site_id")  # history#<content_id>
    position = UnicodeAttribute(range_key=True, attr_name="period")  # <at>#<ulid>
    account_id = UnicodeAttribute()
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    role = UnicodeAttribute()
    action = UnicodeAttribute()
    from_state = UnicodeAttribute(null=True, attr_name="from")
    to_state = UnicodeAttribute(null=True, attr_name="to")
    detail = JSONAttribute(default=dict)

    @staticmethod
    def key_of(content_id: str) -> str:
        return f"history#{content_id}"


class TitleWordModel(_Base):
    """One word of a content title, so that `GET /content/?site_id=&q=` finds titles by their words
    without a Scan: kept in the Usage table as `search#<site_id>` / `<word>#<content_id>` (one
    partition per site), put before a new item and swapped in the transaction of a title's edit. `words`
    holds every search word of the title (" w1 w2 … "), for the filter of the other words asked."""

    class Meta:
        table_name = "unbound-usage"

    key = UnicodeAttribute(hash_key=True, attr_name="site_id")  # search#<site_id>
    position = UnicodeAttribute(range_key=True, attr_name="period")  # <word>#<content_id>
    content_id = UnicodeAttribute()
    words = UnicodeAttribute()

    @staticmethod
    def key_of(site_id: str) -> str:
        return f"search#{site_id}"


SHARED_TABLES: dict[type[Model], str] = {
    HistoryEntryModel: "usage_table",
    TitleWordModel: "usage_table",
    ContentBodyModel: "content_table",
}
"""Models of further item types in a table of TABLES (model → settings attribute of its table)."""


TABLES: dict[str, tuple[type[Model], str]] = {
    # template logical id → (model, settings attribute holding its name)
    "SitesTable": (SiteModel, "sites_table"),
    "UniqueKeysTable": (UniqueKeyModel, "unique_keys_table"),
    "IntegrationsTable": (IntegrationModel, "integrations_table"),
    "SettingsTable": (PublishingSettingsModel, "settings_table"),
    "ContentTable": (ContentModel, "content_table"),
    "RecordsTable": (RecordModel, "records_table"),
    "DeploymentsTable": (DeploymentModel, "deployments_table"),
    "UsageTable": (UsageCounterModel, "usage_table"),
}


def bind_tables(settings: Settings) -> None:
    """Point every model at its table name from settings (once per cold start)."""
    for model, attribute in [*TABLES.values(), *SHARED_TABLES.items()]:
        name = getattr(settings, attribute)
        if model.Meta.table_name != name:
            model.Meta.table_name = name
            model._connection = None  # a connection caches its table name
