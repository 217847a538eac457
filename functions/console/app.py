"""Console pages (calendar, queue, settings). 501 until the console issue lands."""

from publisher.api.resolver import lambda_handler_for, not_implemented_app

app = not_implemented_app("the console")
lambda_handler = lambda_handler_for(app)
