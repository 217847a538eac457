"""Tokens (HS256, API.md claims), roles and tenancy rules."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from publisher.errors import Forbidden, Invalid, Unauthorized
from publisher.identity import Caller, caller_from_event
from publisher.tokens import issue_token, verify_token

SECRET = "a-test-secret-that-is-at-least-32-bytes-long"


def test_an_issued_token_verifies_with_its_claims():
    claims = verify_token(SECRET, issue_token(SECRET, account_id="acct", role="editor", sub="u1"))

    assert (claims["account_id"], claims["role"], claims["sub"]) == ("acct", "editor", "u1")
    assert claims["exp"] > claims["iat"]


@pytest.mark.parametrize(
    "token",
    [
        issue_token(SECRET, account_id="a", role="owner", sub="u", ttl=timedelta(seconds=-1)),
        issue_token(SECRET + "x", account_id="a", role="owner", sub="u"),
        jwt.encode({"sub": "u", "account_id": "a", "role": "owner"}, SECRET, algorithm="HS256"),
        jwt.encode(
            {"sub": "u", "account_id": "a", "role": "god", "exp": 9999999999}, SECRET, algorithm="HS256"
        ),
        jwt.encode(
            {"sub": "u", "account_id": "a", "role": "owner", "exp": 9999999999}, SECRET, algorithm="HS512"
        ),
        "header.payload.signature",
    ],
    ids=["expired", "forged", "no-exp", "unknown-role", "other-algorithm", "garbage"],
)
def test_bad_tokens_are_unauthorized(token):
    with pytest.raises(Unauthorized):
        verify_token(SECRET, token)


def test_an_unknown_role_cannot_be_issued():
    with pytest.raises(Invalid):
        issue_token(SECRET, account_id="a", role="superuser", sub="u")


def test_caller_comes_from_the_authorizer_context_or_is_unauthorized():
    event = {"requestContext": {"authorizer": {"sub": "u", "account_id": "a", "role": "viewer"}}}

    assert caller_from_event(event) == Caller(user_id="u", account_id="a", role="viewer")
    with pytest.raises(Unauthorized):
        caller_from_event({"requestContext": {}})


def test_viewers_read_only_and_tenancy_is_per_account_except_system():
    viewer, owner, system = Caller("u", "a", "viewer"), Caller("u", "a", "owner"), Caller("s", "p", "system")

    with pytest.raises(Forbidden):
        viewer.require_write()
    owner.require_write()
    assert owner.can_see("a") and not owner.can_see("b")
    assert system.can_see("b")
