"""The three state machines of API.md, as data: the legal single steps (`TRANSITIONS`) and the
named moves the code makes (`Move`), composite ones included. This module is the only place a
status is spelled out; the store builds the condition of every conditional write from a `Move`,
so a move that is not legal here cannot be written there (tests/unit/domain/test_statuses.py
walks the code for status literals elsewhere).

A move that is legal here can still lose a race in the store (then it is a 409 for the API and
a no-op for a worker).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise


class ContentStatus(StrEnum):
    """Editorial status of a content item."""

    DRAFT = "draft"
    REVIEW = "review"
    APPROVED = "approved"
    PUBLISHED = "published"


class SiteStatus(StrEnum):
    """Where a content item stands on its site."""

    NOT_PUBLISHED = "not_published"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    RETRYING = "retrying"
    """An attempt failed and the queue brings it back at the content's `next_attempt_at`."""
    PUBLISHED = "published"
    FAILED = "failed"


class RecordStatus(StrEnum):
    """One publication of one content item to one destination."""

    PENDING = "pending"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    RETRACTED = "retracted"


OPEN_STATUSES = frozenset({RecordStatus.PENDING, RecordStatus.PUBLISHING, RecordStatus.FAILED})
"""A record in one of these may still be (re)tried; published and retracted are settled."""


class DeploymentStatus(StrEnum):
    """A batch deployment of a site's content."""

    PENDING = "pending"
    DEPLOYING = "deploying"
    COMPLETED = "completed"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


FINISHED_DEPLOYMENTS = frozenset(
    {DeploymentStatus.COMPLETED, DeploymentStatus.FAILED, DeploymentStatus.ROLLED_BACK}
)
"""Deployments whose record may be deleted (nothing of theirs is on its way any more)."""

DEPLOYMENT_STATUS_ALIASES: dict[str, DeploymentStatus] = {"deployed": DeploymentStatus.COMPLETED}
"""Seed-002 spellings accepted by `?status=` on deployments."""

_S, _R, _D = SiteStatus, RecordStatus, DeploymentStatus

TRANSITIONS: dict[type[StrEnum], dict[StrEnum, frozenset[StrEnum]]] = {
    SiteStatus: {
        _S.NOT_PUBLISHED: frozenset({_S.SCHEDULED}),
        _S.SCHEDULED: frozenset({_S.PUBLISHING, _S.NOT_PUBLISHED, _S.SCHEDULED}),
        _S.PUBLISHING: frozenset({_S.PUBLISHED, _S.FAILED, _S.RETRYING}),
        _S.RETRYING: frozenset({_S.PUBLISHING, _S.FAILED}),
        _S.FAILED: frozenset({_S.SCHEDULED, _S.PUBLISHING}),
        _S.PUBLISHED: frozenset({_S.PUBLISHING, _S.NOT_PUBLISHED}),
    },
    RecordStatus: {
        _R.PENDING: frozenset({_R.PUBLISHING}),
        _R.PUBLISHING: frozenset({_R.PUBLISHED, _R.FAILED, _R.PUBLISHING}),
        _R.FAILED: frozenset({_R.PUBLISHING}),
        _R.PUBLISHED: frozenset({_R.RETRACTED, _R.PUBLISHING}),
        _R.RETRACTED: frozenset({_R.PUBLISHING}),
    },
    DeploymentStatus: {
        _D.PENDING: frozenset({_D.DEPLOYING}),
        _D.DEPLOYING: frozenset({_D.COMPLETED, _D.FAILED}),
        _D.COMPLETED: frozenset({_D.ROLLED_BACK}),
        _D.FAILED: frozenset({_D.ROLLED_BACK}),
        _D.ROLLED_BACK: frozenset(),
    },
}


def can_move(current: StrEnum, target: StrEnum) -> bool:
    """Whether `current → target` is a legal move of the state machine both belong to."""
    machine = TRANSITIONS.get(type(current))
    if machine is None or type(target) is not type(current):
        return False
    return target in machine[current]


def sources_of(target: StrEnum) -> frozenset[StrEnum]:
    """Every status from which `target` may be reached (the condition of a conditional write)."""
    machine = TRANSITIONS[type(target)]
    return frozenset(source for source, targets in machine.items() if target in targets)


@dataclass(frozen=True)
class Move:
    """A named move of one state machine: from any of `sources` to `target`.

    A single move is one legal step. A composite move takes the steps of `via` at once (for
    example scheduled → publishing → failed when an item misses its slot); every step of it
    must be legal, which `_check` asserts when the table below is built."""

    name: str
    sources: frozenset[StrEnum]
    target: StrEnum
    via: tuple[StrEnum, ...] = ()

    def allows(self, current: str | StrEnum | None) -> bool:
        return current is not None and type(self.target)(current) in self.sources

    def _check(self) -> Move:
        for source in self.sources:
            path = [source, *self.via, self.target]
            if not all(can_move(a, b) for a, b in pairwise(path)):
                raise ValueError(f"{self.name}: {' → '.join(path)} is not legal in TRANSITIONS")
        return self


def _single(name: str, target: StrEnum, sources: frozenset[StrEnum] | None = None) -> Move:
    return Move(name, sources if sources is not None else sources_of(target), target)._check()


# Content.site_status
SCHEDULE = _single("schedule", _S.SCHEDULED)
"""not_published → scheduled; scheduled → scheduled (reschedule); failed → scheduled (retry)."""
UNSCHEDULE = _single("unschedule", _S.NOT_PUBLISHED, frozenset({_S.SCHEDULED}))
START_PUBLISHING = _single("start publishing", _S.PUBLISHING)
"""scheduled (its time came) | failed, retrying (retry) | published (an update) → publishing."""
PUBLISH_NOW_UNSCHEDULED = Move(
    "publish now", frozenset({_S.NOT_PUBLISHED}), _S.PUBLISHING, via=(_S.SCHEDULED,)
)._check()
"""not_published → scheduled (for now) → publishing, at once."""
SETTLE_PUBLISHED = _single("settle published", _S.PUBLISHED)
SETTLE_FAILED = _single("settle failed", _S.FAILED, frozenset({_S.PUBLISHING}))
RETRY_LATER = _single("retry later", _S.RETRYING)
"""publishing → retrying: an attempt failed and the queue brings it back (not `failed` meanwhile)."""
GIVE_UP_RETRYING = _single("give up retrying", _S.FAILED, frozenset({_S.RETRYING}))
"""retrying → failed: the retry the content waited for cannot happen (its integration is gone)."""
MISS_SLOT = Move("miss a slot", frozenset({_S.SCHEDULED}), _S.FAILED, via=(_S.PUBLISHING,))._check()
"""scheduled → publishing → failed, at once, when an item misses its slot and is held."""
UNPUBLISH = _single("unpublish", _S.NOT_PUBLISHED, frozenset({_S.PUBLISHED}))
"""published → not_published: no record of the content is published any more (retract, rollback)."""

# PublishingRecord.status
CLAIM_RECORD = _single("claim", _R.PUBLISHING, frozenset({_R.PENDING, _R.FAILED, _R.PUBLISHING}))
"""pending | failed (a retry) | publishing (a claim whose lease expired) → publishing."""
CLAIM_REPUBLISH = _single("republish", _R.PUBLISHING, frozenset({_R.PUBLISHED, _R.RETRACTED}))
"""published (an update) | retracted (restore) → publishing: one record per (content, destination)
is reused by every later publication."""
REPUBLISHABLE = CLAIM_REPUBLISH.sources
"""Settled records a new publication reuses (the record waits, unchanged, for its message)."""
RECORD_PUBLISHED = _single("record published", _R.PUBLISHED)
RECORD_FAILED = _single("record failed", _R.FAILED)
RETRACT = _single("retract", _R.RETRACTED)

# DeploymentRecord.status
START_DEPLOYMENT = _single("start deployment", _D.DEPLOYING)
FINISH_DEPLOYMENT = _single("finish deployment", _D.COMPLETED)
FAIL_DEPLOYMENT = _single("fail deployment", _D.FAILED)
ROLL_BACK = _single("roll back", _D.ROLLED_BACK)
