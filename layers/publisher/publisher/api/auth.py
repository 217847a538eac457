"""The caller of the request being routed (the rules themselves live in publisher.identity)."""

from __future__ import annotations

from publisher.identity import Caller, act_as, caller_from_event


def current_caller() -> Caller:
    """The caller of the request being routed (Powertools keeps it on its BaseRouter)."""
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    caller = caller_from_event(BaseRouter.current_event.raw_event)
    act_as(caller.user_id, caller.role)  # who the history names for the changes of this request
    return caller
