"""Every router, for the function that serves the OpenAPI document and Swagger UI."""

from publisher.api.routes import (
    calendar,
    content,
    notifications,
    operations,
    public,
    publishing,
    settings,
    sites,
)

ALL_ROUTERS = [
    public.router,
    sites.router,
    settings.router,
    content.router,
    publishing.router,
    calendar.router,
    notifications.router,
    operations.router,
]
