"""The authorizer in its AWS shape: the secret comes from Secrets Manager, not the environment."""

from __future__ import annotations

import pytest

from publisher import bootstrap
from tests.support.fixtures import token
from tests.support.handlers import FakeLambdaContext, load_handler_module

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/api/v1/sites"


@pytest.fixture
def aws_shaped(aws, monkeypatch):
    monkeypatch.delenv("JWT_SECRET")
    bootstrap.reset()
    return aws


def authorize(header: str) -> dict:
    handler = load_handler_module("AuthorizerFunction").lambda_handler
    return handler({"type": "TOKEN", "authorizationToken": header, "methodArn": ARN}, FakeLambdaContext())


def test_a_valid_token_is_allowed_on_every_route_with_its_claims_as_context(aws_shaped):
    policy = authorize(f"Bearer {token('acct-7', 'editor', sub='u-7')}")

    statement = policy["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == ["arn:aws:execute-api:us-east-1:123456789012:abc123/dev/*/*"]
    assert policy["principalId"] == "u-7"
    assert policy["context"] == {"sub": "u-7", "account_id": "acct-7", "role": "editor"}


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
