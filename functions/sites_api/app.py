"""Sites, integrations, publishing settings and notifications API."""

from publisher.api.resolver import create_app, lambda_handler_for
from publisher.api.routes import notifications, settings, sites

app = create_app([sites.router, settings.router, notifications.router])
lambda_handler = lambda_handler_for(app)
