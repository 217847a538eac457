"""Publisher API: publish, records, deployments (publishing issue), calendar and queue."""

from publisher.api.resolver import create_app, lambda_handler_for
from publisher.api.routes import calendar, publishing

app = create_app([publishing.router, calendar.router])
lambda_handler = lambda_handler_for(app)
