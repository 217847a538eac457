"""Content API (create/list/edit, schedule, unschedule). Scheduling issue: answers 501 until then."""

from publisher.api.resolver import lambda_handler_for, not_implemented_app

app = not_implemented_app("the content API")
lambda_handler = lambda_handler_for(app)
