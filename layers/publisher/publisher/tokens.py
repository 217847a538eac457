"""HS256 JWTs as API.md describes them: claims `sub`, `account_id`, `role`, `exp`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt

from publisher.errors import Invalid, Unauthorized
from publisher.identity import ROLES
from publisher.timeutil import utcnow

ALGORITHM = "HS256"
LOCAL_DEV_SECRET = "publisher-local-development-secret-not-for-production"  # noqa: S105 - README default
REQUIRED_CLAIMS = ("sub", "account_id", "role", "exp")


def issue_token(
    secret: str, *, account_id: str, role: str, sub: str, ttl: timedelta = timedelta(hours=12)
) -> str:
    """A signed token (dev tokens, tests, the local runner)."""
    if role not in ROLES:
        raise Invalid("unknown role", {"role": [f"must be one of {', '.join(ROLES)}"]})
    now = utcnow()
    claims = {"sub": sub, "account_id": account_id, "role": role, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> dict[str, Any]:
    """The token's claims; Unauthorized when it is malformed, forged, expired or incomplete."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": list(REQUIRED_CLAIMS)})
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the token has expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("the token is not valid") from exc
    if claims.get("role") not in ROLES or not claims.get("account_id"):
        raise Unauthorized("the token carries no valid account or role")
    return claims
