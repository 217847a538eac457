"""Public routes: health, site definition, OpenAPI document and Swagger UI.

The app includes every router so the document describes the whole API; API Gateway routes
only the public paths here, and every other route refuses a request without a caller.
"""

from publisher.api.resolver import create_app, enable_docs, lambda_handler_for
from publisher.api.routes.all import ALL_ROUTERS

app = create_app(ALL_ROUTERS)
enable_docs(app)
lambda_handler = lambda_handler_for(app)
