"""Scheduling content from the API (the next free slot or an explicit time, unschedule, the
settings preview) and the 15-minute job that auto-approves and assigns slots. Slots are claimed
under the caps by `slot_claims`; a slot minutes away is handed to the queue by `handover`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from publisher.bootstrap import ready_store
from publisher.domain.content import ScheduleRequest
from publisher.domain.publishing_settings import DAYS, PublishingSettings
from publisher.domain.slots import check_explicit_time
from publisher.domain.statuses import ContentStatus, SiteStatus
from publisher.errors import Conflict, Invalid
from publisher.identity import Caller, act_as
from publisher.paging import PageRequest, decode_cursor
from publisher.services import handover, slot_claims, work
from publisher.services.content import load_content
from publisher.services.publishing import enabled_integrations
from publisher.services.settings import settings_for
from publisher.services.sites import load_site
from publisher.services.views import content_view
from publisher.store import content as store
from publisher.store import settings as settings_store
from publisher.store import usage
from publisher.store.models import AUTO_SHARDS, ContentModel
from publisher.timeutil import iso, parse_iso, utcnow

logger = Logger()
metrics = Metrics()

BUSY_RETRIES = 5
NO_SLOT = "no free slot within 400 days under the site's publishing days, slots and limits"
BUSY = "the site's schedule is busy; try again"
MINUTE_TAKEN = "another item of this site is already scheduled for that minute; choose another time"
NOWHERE_TO_PUBLISH = (
    "the site has no enabled integration to publish to; enable one, or add one with "
    "PUT /sites/{site_id}/integrations/{{destination}}/, then schedule again"
)


# --- API use cases ------------------------------------------------------------------------


def _check_schedulable(item: ContentModel) -> None:
    if item.status != ContentStatus.APPROVED:
        raise Conflict(f"only approved content can be scheduled; this content is {item.status}")
    if item.site_status in (SiteStatus.PUBLISHING, SiteStatus.RETRYING):
        raise Conflict("the content is being published and can no longer be scheduled")
    if item.site_status == SiteStatus.PUBLISHED:
        raise Conflict("the content is already published; publish an update with POST /publisher/publish/")
    if not enabled_integrations(item.site_id):
        # Accepted, it would only fail at its time (services/handover.py still catches an
        # integration removed after scheduling).
        raise Conflict(NOWHERE_TO_PUBLISH.format(site_id=item.site_id))


def _limit_reason(counter_key: str, settings: PublishingSettings) -> str:
    period = usage.period_name(counter_key)
    cap = getattr(settings, f"{period}_publish_limit")
    key = counter_key.split("#", 1)[1]
    return f"The {period} publish limit ({cap}) is already reached for {key} ({settings.timezone})."


def schedule(caller: Caller, content_id: str, body: ScheduleRequest | None) -> dict[str, Any]:
    """Schedule (or reschedule) approved content: at the given time, or in the next free slot."""
    caller.require_write()
    item = load_content(caller, content_id)
    _check_schedulable(item)
    item.schedule_destinations = _enabled_destinations(item, body.destinations if body else None)
    settings = settings_for(item.site_id)
    now = utcnow()
    if body is not None and body.scheduled_publish_at is not None:
        _schedule_at(item, settings, body.scheduled_publish_at, now)
        return _handed_over_if_soon(item, settings, now)
    result = slot_claims.assign_next_slots(item.site_id, settings, [item], now)
    if result.scheduled:
        return _handed_over_if_soon(item, settings, now)
    if result.changed:
        raise Conflict(store.CHANGED)
    raise Conflict(BUSY if result.gave_up else NO_SLOT)


def _enabled_destinations(item: ContentModel, asked: list[str] | None) -> list[str] | None:
    """The destinations a schedule names (None: every enabled integration at its time); 422 for
    a name that is not an enabled integration of the site."""
    if asked is None:
        return None
    enabled = {integration.destination for integration in enabled_integrations(item.site_id)}
    wrong = [name for name in dict.fromkeys(asked) if name not in enabled]
    if wrong:
        raise Invalid(
            "a schedule publishes only to enabled integrations of the site",
            {"destinations": [f"{name} is not an enabled integration of the site" for name in wrong]},
        )
    return list(dict.fromkeys(asked))


def _handed_over_if_soon(item: ContentModel, settings: PublishingSettings, now: datetime) -> dict[str, Any]:
    """The scheduled item's view, after handing it to the queue if it is due too soon for the
    5-minute job to be on time (the view does not change: it stays scheduled)."""
    handover.hand_over_if_soon(item, now)
    return content_view(item, settings.zone)


def _schedule_at(item: ContentModel, settings: PublishingSettings, when: datetime, now: datetime) -> dict:
    when = when.astimezone(UTC).replace(microsecond=0)
    if when <= now:
        raise Invalid(
            "the publish time must be in the future", {"scheduled_publish_at": ["must be in the future"]}
        )
    counts = slot_claims.counts_at(item, settings, when)
    reason = check_explicit_time(settings, [], when, now, counts=counts)
    if reason:
        raise Conflict(reason)
    for _ in range(BUSY_RETRIES):
        outcome = slot_claims.try_move(item, settings, when, now)
        if outcome is None:
            return content_view(item, settings.zone)
        if outcome == store.CONTENT:
            raise Conflict(store.CHANGED)
        if outcome == store.MINUTE:
            raise Conflict(MINUTE_TAKEN)
        if outcome != usage.BUSY:
            raise Conflict(_limit_reason(outcome, settings))
    raise Conflict(BUSY)


def unschedule(caller: Caller, content_id: str) -> dict[str, Any]:
    """scheduled → not_published; the place in the caps and the minute are given back."""
    caller.require_write()
    item = load_content(caller, content_id)
    if item.site_status != SiteStatus.SCHEDULED:
        if item.site_status == SiteStatus.PUBLISHING:
            raise Conflict("the content is being published and can no longer be unscheduled")
        raise Conflict(f"only scheduled content can be unscheduled; this content is {item.site_status}")
    settings = settings_for(item.site_id)
    old = parse_iso(item.scheduled_publish_at)
    store.unschedule_move(item, iso(utcnow()))
    usage.release(item.site_id, settings, old)
    store.release_minute(store.minute_key(item.site_id, old), item.content_id)
    return content_view(item, settings.zone)


def preview(caller: Caller, site_id: str, count: int) -> dict[str, Any]:
    """The next `count` slots the scheduler would give now, in UTC and in the site's local time."""
    load_site(caller, site_id)
    settings = settings_for(site_id)
    now = utcnow()
    slots = slot_claims.read_taken(site_id, settings, now).proposals(site_id, settings, now, count, [])
    zone = settings.zone
    return {
        "site_id": site_id,
        "timezone": settings.timezone,
        "generated_at": iso(now),
        "slots": [
            {
                "scheduled_publish_at": iso(slot),
                "local_time": slot.astimezone(zone).isoformat(),
                "weekday": DAYS[slot.astimezone(zone).weekday()],
            }
            for slot in slots
        ],
    }


# --- the 15-minute job --------------------------------------------------------------------
#
# The job's own invocation enqueues one unit per shard of the auto-index and returns. A shard unit
# reads one page of the sites with automation on (no Scan) and enqueues one unit per site, then its
# continuation with the page's cursor; a site unit does one site, at most ITEMS_PAGE items, and
# enqueues the site again when it filled its page (what it scheduled left the unscheduled index).

SCHEDULE_SHARD = "schedule-sites"
SCHEDULE_SITE = "schedule-site"
SITES_PAGE = 100
"""Sites one shard unit enqueues before it hands the rest of its shard to its continuation."""
ITEMS_PAGE = 100
"""Waiting items one site unit schedules before it enqueues the site again."""


@dataclass
class JobSummary:
    sites: int = 0
    approved: int = 0
    scheduled: int = 0
    left_unscheduled: int = 0
    failed_sites: int = 0
    paused: int = 0
    """Sites skipped because their publishing is paused (or they are being deleted)."""

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def schedule_approved_content(now: datetime) -> dict[str, int]:
    """One unit per shard of the sites with automation on; the units do the sites. Only
    not_published items are touched, so a unit (or a run) run again changes nothing scheduled."""
    ready_store()
    payloads = [{"shard": shard, "now": iso(now)} for shard in range(AUTO_SHARDS)]
    return {"units": work.enqueue_many(SCHEDULE_SHARD, payloads)}


@work.unit(SCHEDULE_SHARD)
def schedule_shard_unit(payload: dict[str, Any]) -> dict[str, int]:
    """One page of a shard's sites, a unit each; the rest of the shard to the continuation."""
    ready_store()
    page = PageRequest(limit=SITES_PAGE, start_key=decode_cursor(payload.get("cursor")))
    site_ids, cursor = settings_store.sites_with_automation_page(int(payload["shard"]), page)
    work.enqueue_many(SCHEDULE_SITE, [{"site_id": site_id, "now": payload["now"]} for site_id in site_ids])
    if cursor:
        work.enqueue(SCHEDULE_SHARD, {**payload, "cursor": cursor})
    return {"site_units": len(site_ids)}


@work.unit(SCHEDULE_SITE)
def schedule_site_unit(payload: dict[str, Any]) -> dict[str, int]:
    """Auto-approve and slot one site's waiting content (a page of it); its summary."""
    ready_store()
    act_as("system:schedule-approved-content", "system")
    site_id, now = payload["site_id"], parse_iso(payload["now"])
    summary = JobSummary(sites=1)
    if handover.site_is_held(site_id, {}):
        summary.paused += 1
        return summary.as_dict()
    try:
        stored = settings_store.get_settings(site_id)
        if stored is not None:
            more = _automate_site(site_id, PublishingSettings.model_validate(stored.document), now, summary)
            if more:
                work.enqueue(SCHEDULE_SITE, payload)
    except Exception:
        summary.failed_sites += 1
        logger.exception("scheduling a site failed", extra={"site_id": site_id})
    metrics.add_metric(name="ItemsScheduled", unit=MetricUnit.Count, value=summary.scheduled)
    metrics.add_metric(name="ItemsAutoApproved", unit=MetricUnit.Count, value=summary.approved)
    return summary.as_dict()


def _automate_site(site_id: str, settings: PublishingSettings, now: datetime, summary: JobSummary) -> bool:
    """True when the site has more waiting items than this unit took (its page was full and all of
    it found a slot): the site's unit runs again for the rest."""
    waiting: dict[str, ContentModel] = {}
    if settings.auto_approval_enabled:
        for item in islice(store.with_status(site_id, ContentStatus.REVIEW), ITEMS_PAGE):
            try:
                store.edit_content(item, {"status": ContentStatus.APPROVED.value, "updated_at": iso(now)})
            except Conflict:
                continue  # edited meanwhile: its new state wins
            summary.approved += 1
            if item.site_status == SiteStatus.NOT_PUBLISHED:
                waiting[item.content_id] = item
    if not settings.auto_publish_enabled:
        return summary.approved >= ITEMS_PAGE
    for item in islice(store.approved_unscheduled(site_id), ITEMS_PAGE):
        waiting.setdefault(item.content_id, item)
    if not waiting:
        return False
    items = sorted(waiting.values(), key=lambda item: (item.created_at, item.content_id))
    if not enabled_integrations(site_id):
        _left_unscheduled(items, NOWHERE_TO_PUBLISH.format(site_id=site_id), summary)
        return False
    result = slot_claims.assign_next_slots(site_id, settings, items, now)
    summary.scheduled += len(result.scheduled)
    if result.unslotted:
        reason = BUSY_UNTIL_NEXT_RUN if result.gave_up else slot_claims.why_no_slot(site_id, settings, now)
        _left_unscheduled(result.unslotted, reason, summary)
    for item in result.scheduled:
        handover.hand_over_if_soon(item, now)  # a slot minutes away cannot wait for the 5-minute job
    logger.info(
        "site scheduled",
        extra={"site_id": site_id, "scheduled": len(result.scheduled), "unslotted": len(result.unslotted)},
    )
    return len(items) >= ITEMS_PAGE and not result.unslotted and not result.gave_up


BUSY_UNTIL_NEXT_RUN = (
    "the site's schedule was busy with other changes; the next run (every 15 minutes) tries again"
)


def _left_unscheduled(items: list[ContentModel], reason: str, summary: JobSummary) -> None:
    """Approved items the job could not schedule keep the reason, for the content and queue views."""
    summary.left_unscheduled += len(items)
    for item in items:
        store.note_unscheduled(item, reason)
