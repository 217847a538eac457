"""The authorizer in its AWS shape: the secret comes from Secrets Manager, not the environment;
the token rules of API.md v1.1 come from the environment the template gives it."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest

from local.aws import LOCAL_JWT_SECRET
from publisher import bootstrap
from tests.support.fixtures import token
from tests.support.handlers import FakeLambdaContext, load_handler_module

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/api/v1/sites"
SECRET = LOCAL_JWT_SECRET  # what `provision` stored in Secrets Manager (JWT_SECRET is unset in tests)


@pytest.fixture
def aws_shaped(aws, monkeypatch):
    monkeypatch.delenv("JWT_SECRET")
    bootstrap.reset()
    return aws


def authorize(header: str) -> dict:
    handler = load_handler_module("AuthorizerFunction").lambda_handler
    return handler({"type": "TOKEN", "authorizationToken": header, "methodArn": ARN}, FakeLambdaContext())


def test_a_valid_token_is_allowed_on_every_route_with_its_claims_as_context(aws_shaped):
    editor = token("acct-7", "editor", sub="u-7")

    policy = authorize(f"Bearer {editor}")

    statement = policy["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == ["arn:aws:execute-api:us-east-1:123456789012:abc123/dev/*/*"]
    assert policy["principalId"] == "u-7"
    assert policy["context"] == {
        "sub": "u-7",
        "account_id": "acct-7",
        "role": "editor",
        "exp": jwt.decode(editor, options={"verify_signature": False})["exp"],  # bounds cached decisions
    }


def test_a_rotated_secret_refuses_old_tokens(aws_shaped):
    old = token("acct-7")
    aws_shaped.client("secretsmanager").put_secret_value(
        SecretId=aws_shaped.resolver.physical["JwtSecret"],
        SecretString="a-brand-new-secret-of-32-bytes-or-more",
    )
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()

    with pytest.raises(Exception, match="Unauthorized"):
        authorize(f"Bearer {old}")


@pytest.mark.parametrize("header", ["", "Basic dXNlcjpwYXNz", "Bearer", "Bearer not.a.jwt"])
def test_missing_or_malformed_authorization_is_unauthorized(aws_shaped, header):
    with pytest.raises(Exception, match="Unauthorized"):
        authorize(header)


def signed(**claims) -> str:
    now = int(time.time())
    base = {"sub": "u", "account_id": "acct-7", "role": "owner", "iat": now, "exp": now + 3600}
    return jwt.encode({**base, **claims}, SECRET, algorithm="HS256")


def test_a_token_valid_for_longer_than_max_token_lifetime_hours_is_unauthorized(aws_shaped, monkeypatch):
    monkeypatch.setenv("MAX_TOKEN_LIFETIME_HOURS", "2")
    bootstrap.reset()
    within = token("acct-7", ttl=timedelta(hours=2))

    assert authorize(f"Bearer {within}")["context"]["account_id"] == "acct-7"
    with pytest.raises(Exception, match="Unauthorized"):
        authorize(f"Bearer {signed(exp=int(time.time()) + 3 * 3600)}")


def test_a_token_with_a_non_string_account_is_unauthorized(aws_shaped):
    with pytest.raises(Exception, match="Unauthorized"):
        authorize(f"Bearer {signed(account_id=7)}")


def test_issuer_and_audience_are_required_when_the_deployment_names_them(aws_shaped, monkeypatch):
    monkeypatch.setenv("JWT_ISSUER", "https://idp.example")
    monkeypatch.setenv("JWT_AUDIENCE", "publisher")
    bootstrap.reset()

    allowed = authorize(f"Bearer {signed(iss='https://idp.example', aud='publisher')}")

    assert allowed["context"]["account_id"] == "acct-7"
    for claims in ({}, {"iss": "https://other.example", "aud": "publisher"}, {"iss": "https://idp.example"}):
        with pytest.raises(Exception, match="Unauthorized"):
            authorize(f"Bearer {signed(**claims)}")
