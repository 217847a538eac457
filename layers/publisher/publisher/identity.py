"""Who is calling: the caller the authorizer described, and the role rules of API.md.

Shared vocabulary: services check roles and tenancy with it, the API builds it from the
request, the token module issues and verifies it; it imports nothing above `errors`."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from publisher.errors import Forbidden, Unauthorized
from publisher.timeutil import utcnow

ROLES = ("viewer", "editor", "admin", "owner", "system")
WRITER_ROLES = frozenset({"editor", "admin", "owner", "system"})


@dataclass(frozen=True)
class Caller:
    user_id: str
    account_id: str
    role: str

    @property
    def is_system(self) -> bool:
        return self.role == "system"

    def can_see(self, account_id: str) -> bool:
        """Tenancy: one's own account, or any account for a system caller."""
        return self.is_system or account_id == self.account_id

    def require_write(self) -> None:
        if self.role not in WRITER_ROLES:
            raise Forbidden(f"the {self.role} role may read but not change anything")


def caller_from_event(event: Mapping[str, Any]) -> Caller:
    """The caller from `requestContext.authorizer` (set by API Gateway from our authorizer)."""
    context = (event.get("requestContext") or {}).get("authorizer") or {}
    account_id, role, user_id = context.get("account_id"), context.get("role"), context.get("sub")
    if not (account_id and role in ROLES and user_id):
        raise Unauthorized("the request carries no valid authorization")
    if _expired(context.get("exp")):  # a policy API Gateway cached past the token's exp
        raise Unauthorized("the token has expired")
    return Caller(user_id=user_id, account_id=account_id, role=role)


def _expired(exp: Any) -> bool:
    """The authorizer's `exp` (epoch seconds, a string once API Gateway passes it on) has passed."""
    if exp is None:
        return False
    try:
        return float(exp) <= utcnow().timestamp()
    except (TypeError, ValueError):
        return True


_actor: ContextVar[tuple[str, str]] = ContextVar("actor", default=("system:unknown", "system"))


def act_as(actor: str, role: str) -> None:
    """Name who makes the changes that follow in this context (the history's `actor` and `role`):
    the API sets the caller, each timed job and the worker `system:<job>`."""
    _actor.set((actor, role))


def acting() -> tuple[str, str]:
    """(actor, role) of the changes being made now."""
    return _actor.get()
