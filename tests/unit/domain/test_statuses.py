"""The three state machines of API.md."""

from __future__ import annotations

import pytest

from publisher.domain.statuses import (
    DeploymentStatus as D,
)
from publisher.domain.statuses import (
    RecordStatus as R,
)
from publisher.domain.statuses import (
    SiteStatus as S,
)
from publisher.domain.statuses import can_move, sources_of

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
    (R.PUBLISHED, R.RETRACTED),
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
    assert sources_of(S.PUBLISHING) == {S.SCHEDULED, S.FAILED, S.PUBLISHED}
    assert sources_of(R.PUBLISHING) == {R.PENDING, R.FAILED}
    assert sources_of(D.ROLLED_BACK) == {D.COMPLETED, D.FAILED}
    assert sources_of(S.NOT_PUBLISHED) == {S.SCHEDULED}
