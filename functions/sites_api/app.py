"""Sites, integrations and publishing settings API."""

from publisher.api.resolver import create_app, lambda_handler_for
from publisher.api.routes import settings, sites

app = create_app([sites.router, settings.router])
lambda_handler = lambda_handler_for(app)
