"""The three state machines of API.md."""

from __future__ import annotations

from itertools import pairwise

import pytest

from publisher.domain import statuses
from publisher.domain.statuses import (
    DeploymentStatus as D,
)
from publisher.domain.statuses import Move, can_move, sources_of
from publisher.domain.statuses import (
    RecordStatus as R,
)
from publisher.domain.statuses import (
    SiteStatus as S,
)

LEGAL = [
    (S.NOT_PUBLISHED, S.SCHEDULED),
    (S.SCHEDULED, S.PUBLISHING),
    (S.PUBLISHING, S.PUBLISHED),
    (S.PUBLISHING, S.FAILED),
    (S.SCHEDULED, S.NOT_PUBLISHED),
    (S.SCHEDULED, S.SCHEDULED),
    (S.FAILED, S.SCHEDULED),
    (S.FAILED, S.PUBLISHING),
    (S.PUBLISHED, S.PUBLISHING),
    (R.PENDING, R.PUBLISHING),
    (R.PUBLISHING, R.PUBLISHED),
    (R.PUBLISHING, R.FAILED),
    (R.FAILED, R.PUBLISHING),
    (R.PUBLISHING, R.PUBLISHING),  # a claim whose lease expired (the worker died) is taken over
    (R.PUBLISHED, R.RETRACTED),
    (R.PUBLISHED, R.PUBLISHING),  # republish: one record per (content, destination)
    (R.RETRACTED, R.PUBLISHING),  # republish after a retract restores the same post
    (S.PUBLISHED, S.NOT_PUBLISHED),  # no record is published any more
    (S.PUBLISHING, S.RETRYING),  # an attempt failed and the queue brings it back
    (S.RETRYING, S.PUBLISHING),  # the queue's retry (or a publish-now) claims it
    (S.RETRYING, S.FAILED),  # the retry cannot happen any more (the cleanup job gives up)
    (D.PENDING, D.DEPLOYING),
    (D.DEPLOYING, D.COMPLETED),
    (D.DEPLOYING, D.FAILED),
    (D.COMPLETED, D.ROLLED_BACK),
    (D.FAILED, D.ROLLED_BACK),
]


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_legal_moves_of_api_md_are_allowed(current, target):
    assert can_move(current, target)


def test_every_other_move_is_refused():
    legal = {(type(current), current.value, target.value) for current, target in LEGAL}
    for machine in (S, R, D):
        for current in machine:
            for target in machine:
                expected = (machine, current.value, target.value) in legal
                assert can_move(current, target) == expected, (current, target)


def test_moves_across_machines_are_refused():
    assert not can_move(S.SCHEDULED, R.PUBLISHING)
    assert not can_move(R.PUBLISHED, D.ROLLED_BACK)


def test_sources_of_a_target_are_the_conditions_of_its_write():
    assert sources_of(S.PUBLISHING) == {S.SCHEDULED, S.FAILED, S.RETRYING, S.PUBLISHED}
    assert sources_of(S.RETRYING) == {S.PUBLISHING}
    assert sources_of(R.PUBLISHING) == {R.PENDING, R.FAILED, R.PUBLISHING, R.PUBLISHED, R.RETRACTED}
    assert sources_of(D.ROLLED_BACK) == {D.COMPLETED, D.FAILED}
    assert sources_of(S.NOT_PUBLISHED) == {S.SCHEDULED, S.PUBLISHED}


def test_given_the_named_moves_then_each_is_legal_step_by_step():
    moves = [value for value in vars(statuses).values() if isinstance(value, Move)]
    assert len(moves) >= 15
    for move in moves:
        for source in move.sources:
            path = [source, *move.via, move.target]
            assert all(can_move(a, b) for a, b in pairwise(path)), (move.name, path)


def test_given_a_composite_move_with_an_illegal_step_then_it_cannot_be_declared():
    with pytest.raises(ValueError, match="not legal"):
        Move("skip the queue", frozenset({S.NOT_PUBLISHED}), S.PUBLISHED, via=(S.SCHEDULED,))._check()


def test_given_a_move_then_it_allows_only_its_sources():
    assert statuses.MISS_SLOT.allows("scheduled")
    assert not statuses.MISS_SLOT.allows("publishing")
    assert statuses.PUBLISH_NOW_UNSCHEDULED.via == (S.SCHEDULED,)
    assert not statuses.UNSCHEDULE.allows(S.FAILED)
    assert not statuses.RETRACT.allows(None)
    assert not statuses.SETTLE_FAILED.allows(S.RETRYING)  # a retrying item fails only by giving up
    assert statuses.GIVE_UP_RETRYING.allows(S.RETRYING) and not statuses.GIVE_UP_RETRYING.allows(S.PUBLISHING)
