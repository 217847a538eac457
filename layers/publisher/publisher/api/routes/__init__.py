"""One Powertools Router per resource area. Each API function imports only the routers it
serves (cold start); `all.py` gathers them for the OpenAPI document."""
