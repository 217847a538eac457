"""Publisher API: publish, records, deployments (publishing issue), calendar and queue, and the
editorial operations that may retract or hand over (pause/resume a site, delete content or a site)."""

from publisher.api.resolver import create_app, lambda_handler_for
from publisher.api.routes import calendar, operations, publishing

app = create_app([publishing.router, calendar.router, operations.router])
lambda_handler = lambda_handler_for(app)
