"""Content API: create/list/edit content, approve, schedule and unschedule."""

from publisher.api.entry import lambda_handler_for


def routers():
    """Imported by the first request (publisher.api.entry), not at the cold start."""
    from publisher.api.routes import content

    return [content.router]


lambda_handler = lambda_handler_for(routers)
