"""Publisher API (publish, records, deployments, calendar, queue). 501 until its issues land."""

from publisher.api.resolver import lambda_handler_for, not_implemented_app

app = not_implemented_app("the publisher API")
lambda_handler = lambda_handler_for(app)
