"""HS256 JWTs as API.md describes them: claims `sub`, `account_id`, `role`, `exp` (v1.1 "Security
rules": string claims, a required `exp`, a maximum lifetime, optional `iss`/`aud`)."""

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
STRING_CLAIMS = ("sub", "account_id", "role")
MAX_LIFETIME = timedelta(hours=24)  # the template's MaxTokenLifetimeHours default


def issue_token(
    secret: str,
    *,
    account_id: str,
    role: str,
    sub: str,
    ttl: timedelta = timedelta(hours=12),
    max_lifetime: timedelta = MAX_LIFETIME,
) -> str:
    """A signed token (dev tokens, tests, the local runner); Invalid when verify_token would refuse it."""
    if role not in ROLES:
        raise Invalid("unknown role", {"role": [f"must be one of {', '.join(ROLES)}"]})
    if ttl > max_lifetime:
        limit = f"a token may be valid for at most {_hours(max_lifetime)} hours"
        raise Invalid(limit, {"ttl": [limit]})
    now = utcnow()
    claims = {"sub": sub, "account_id": account_id, "role": role, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(
    secret: str,
    token: str,
    *,
    max_lifetime: timedelta = MAX_LIFETIME,
    issuer: str | None = None,
    audience: str | None = None,
) -> dict[str, Any]:
    """The token's claims; Unauthorized when it is malformed, forged, expired, incomplete, valid
    for longer than `max_lifetime`, or (when they are given) from another issuer or audience."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=issuer,
            audience=audience,
            options={
                "require": [*REQUIRED_CLAIMS, *(["iss"] if issuer else []), *(["aud"] if audience else [])],
                "verify_aud": audience is not None,  # a deployment that names no audience ignores it
            },
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the token has expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("the token is not valid") from exc
    if not all(isinstance(claims[name], str) and claims[name] for name in STRING_CLAIMS):
        raise Unauthorized("the token's sub, account_id and role must be non-empty strings")
    if claims["role"] not in ROLES:
        raise Unauthorized("the token carries no valid role")
    start = claims.get("iat", utcnow().timestamp())
    if not all(_is_number(value) for value in (claims["exp"], start)):
        raise Unauthorized("the token's exp and iat must be numbers")  # PyJWT lets "123" through
    if claims["exp"] - start > max_lifetime.total_seconds():
        raise Unauthorized(f"the token is valid for longer than {_hours(max_lifetime)} hours")
    return claims


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _hours(lifetime: timedelta) -> str:
    return f"{lifetime.total_seconds() / 3600:g}"
