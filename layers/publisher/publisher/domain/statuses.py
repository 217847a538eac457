"""The three state machines of API.md, as data, and the one function that judges a move.

The store applies every move with a conditional write on the current status, so a move
that is legal here can still lose a race there (and then it is a 409 or a worker no-op).
"""

from __future__ import annotations

from enum import StrEnum


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
    PUBLISHED = "published"
    FAILED = "failed"


class RecordStatus(StrEnum):
    """One publication of one content item to one destination."""

    PENDING = "pending"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    RETRACTED = "retracted"


class DeploymentStatus(StrEnum):
    """A batch deployment of a site's content."""

    PENDING = "pending"
    DEPLOYING = "deploying"
    COMPLETED = "completed"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


_S, _R, _D = SiteStatus, RecordStatus, DeploymentStatus

TRANSITIONS: dict[type[StrEnum], dict[StrEnum, frozenset[StrEnum]]] = {
    SiteStatus: {
        _S.NOT_PUBLISHED: frozenset({_S.SCHEDULED}),
        _S.SCHEDULED: frozenset({_S.PUBLISHING, _S.NOT_PUBLISHED, _S.SCHEDULED}),
        _S.PUBLISHING: frozenset({_S.PUBLISHED, _S.FAILED}),
        _S.FAILED: frozenset({_S.SCHEDULED, _S.PUBLISHING}),
        _S.PUBLISHED: frozenset({_S.PUBLISHING}),
    },
    RecordStatus: {
        _R.PENDING: frozenset({_R.PUBLISHING}),
        _R.PUBLISHING: frozenset({_R.PUBLISHED, _R.FAILED}),
        _R.FAILED: frozenset({_R.PUBLISHING}),
        _R.PUBLISHED: frozenset({_R.RETRACTED}),
        _R.RETRACTED: frozenset(),
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
