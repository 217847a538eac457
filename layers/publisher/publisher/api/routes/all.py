"""Every router, for the function that serves the OpenAPI document and Swagger UI."""

from publisher.api.routes import public, sites

ALL_ROUTERS = [public.router, sites.router]
