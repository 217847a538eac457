"""Publisher API: publish, records, deployments (publishing issue), calendar and queue, and the
editorial operations that may retract or hand over (pause/resume a site, delete content or a site)."""

from publisher.api.entry import lambda_handler_for


def routers():
    """Imported by the first request (publisher.api.entry), not at the cold start."""
    from publisher.api.routes import calendar, operations, publishing

    return [publishing.router, calendar.router, operations.router]


lambda_handler = lambda_handler_for(routers)
