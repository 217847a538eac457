"""Public routes: health, site definition, OpenAPI document and Swagger UI.

The app includes every router so the document describes the whole API; API Gateway routes
only the public paths here, and every other route refuses a request without a caller.
"""

from publisher.api.entry import lambda_handler_for


def routers():
    """Imported by the first request (publisher.api.entry), not at the cold start."""
    from publisher.api.routes.all import ALL_ROUTERS

    return ALL_ROUTERS


lambda_handler = lambda_handler_for(routers, docs=True)
