"""Small helpers for API tests: tokens and a look at what is stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from local.aws import LOCAL_JWT_SECRET, Stack
from publisher.tokens import issue_token


def token(
    account_id: str = "acct-1",
    role: str = "owner",
    *,
    sub: str = "user-1",
    ttl: timedelta = timedelta(hours=1),
    secret: str = LOCAL_JWT_SECRET,
) -> str:
    return issue_token(secret, account_id=account_id, role=role, sub=sub, ttl=ttl)


def stored(stack: Stack, logical_table: str) -> list[dict[str, Any]]:
    """Every item of a table (tests only: a Scan, to prove what was or was not written)."""
    name = stack.resolver.physical[logical_table]
    return stack.client("dynamodb").scan(TableName=name)["Items"]
