"""Sites, integrations, publishing settings and notifications API."""

from publisher.api.entry import lambda_handler_for


def routers():
    """Imported by the first request (publisher.api.entry), not at the cold start."""
    from publisher.api.routes import notifications, settings, sites

    return [sites.router, settings.router, notifications.router]


lambda_handler = lambda_handler_for(routers)
