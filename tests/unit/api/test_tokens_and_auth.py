"""Tokens (HS256, API.md claims and the v1.1 security rules), roles and tenancy rules."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

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


def signed(**claims: Any) -> str:
    """A token with exactly these claims over a valid base (sub, account_id, role, iat, exp +1 h)."""
    now = int(time.time())
    base = {"sub": "u", "account_id": "a", "role": "owner", "iat": now, "exp": now + 3600}
    payload = {name: value for name, value in {**base, **claims}.items() if value is not None}
    return jwt.encode(payload, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "claims",
    [
        {"account_id": 42},
        {"account_id": ""},
        {"account_id": ["a"]},
        {"sub": 7},
        {"sub": ""},
        {"role": ["owner"]},
        {"exp": None},
        {"exp": str(int(time.time()) + 3600)},
        {"iat": "0"},
    ],
    ids=[
        "int-account",
        "empty-account",
        "list-account",
        "int-sub",
        "empty-sub",
        "list-role",
        "no-exp",
        "string-exp",
        "string-iat",
    ],
)
def test_claims_of_the_wrong_type_or_missing_are_unauthorized(claims):
    with pytest.raises(Unauthorized):
        verify_token(SECRET, signed(**claims))


def test_a_token_valid_for_longer_than_the_maximum_lifetime_is_unauthorized():
    now = int(time.time())

    with pytest.raises(Unauthorized, match="longer than 24 hours"):
        verify_token(SECRET, signed(iat=now, exp=now + 24 * 3600 + 1))
    with pytest.raises(Unauthorized, match="longer than 2 hours"):
        verify_token(SECRET, signed(iat=now, exp=now + 3 * 3600), max_lifetime=timedelta(hours=2))
    assert verify_token(SECRET, signed(iat=now, exp=now + 24 * 3600))["account_id"] == "a"


def test_without_iat_the_lifetime_counts_from_now():
    now = int(time.time())

    with pytest.raises(Unauthorized, match="longer than"):
        verify_token(SECRET, signed(iat=None, exp=now + 25 * 3600))
    assert verify_token(SECRET, signed(iat=None, exp=now + 23 * 3600))["sub"] == "u"


def test_a_token_issued_in_the_past_but_valid_for_too_long_is_unauthorized():
    now = int(time.time())

    with pytest.raises(Unauthorized, match="longer than"):
        verify_token(SECRET, signed(iat=now - 48 * 3600, exp=now + 3600))


def test_issuer_and_audience_are_checked_only_when_the_deployment_names_them():
    token = signed(iss="https://idp.example", aud="publisher")

    assert verify_token(SECRET, token, issuer="https://idp.example", audience="publisher")["sub"] == "u"
    assert verify_token(SECRET, token)["sub"] == "u"  # named by neither: not checked
    for options in (
        {"issuer": "https://other.example"},
        {"audience": "someone-else"},
    ):
        with pytest.raises(Unauthorized):
            verify_token(SECRET, token, **options)
    for options in ({"issuer": "https://idp.example"}, {"audience": "publisher"}):
        with pytest.raises(Unauthorized):
            verify_token(SECRET, signed(), **options)  # the claim is missing


def test_a_token_longer_than_the_maximum_lifetime_cannot_be_issued():
    with pytest.raises(Invalid, match="at most 24 hours"):
        issue_token(SECRET, account_id="a", role="owner", sub="u", ttl=timedelta(hours=25))
    with pytest.raises(Invalid, match="at most 1 hours"):
        issue_token(
            SECRET,
            account_id="a",
            role="owner",
            sub="u",
            ttl=timedelta(hours=2),
            max_lifetime=timedelta(hours=1),
        )
    claims = verify_token(SECRET, issue_token(SECRET, account_id="a", role="owner", sub="u"))
    assert claims["exp"] - claims["iat"] <= 24 * 3600  # the default is within the default maximum


def test_caller_comes_from_the_authorizer_context_or_is_unauthorized():
    event = {"requestContext": {"authorizer": {"sub": "u", "account_id": "a", "role": "viewer"}}}

    assert caller_from_event(event) == Caller(user_id="u", account_id="a", role="viewer")
    with pytest.raises(Unauthorized):
        caller_from_event({"requestContext": {}})


def test_an_authorizer_context_whose_exp_has_passed_is_unauthorized():
    """API Gateway may serve a cached policy after the token expired: the route refuses it."""
    context = {"sub": "u", "account_id": "a", "role": "viewer"}

    def event(exp: Any) -> dict:
        return {"requestContext": {"authorizer": {**context, "exp": exp}}}

    assert caller_from_event(event(str(int(time.time()) + 60))).account_id == "a"
    for exp in (str(int(time.time()) - 1), "not-a-time"):
        with pytest.raises(Unauthorized):
            caller_from_event(event(exp))


def test_viewers_read_only_and_tenancy_is_per_account_except_system():
    viewer, owner, system = Caller("u", "a", "viewer"), Caller("u", "a", "owner"), Caller("s", "p", "system")

    with pytest.raises(Forbidden):
        viewer.require_write()
    owner.require_write()
    assert owner.can_see("a") and not owner.can_see("b")
    assert system.can_see("b")
