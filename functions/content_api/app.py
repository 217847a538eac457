"""Content API: create/list/edit content, approve, schedule and unschedule."""

from publisher.api.resolver import create_app, lambda_handler_for
from publisher.api.routes import content

app = create_app([content.router])
lambda_handler = lambda_handler_for(app)
