"""What a publication would send: the Article the worker builds for a destination (the same
function, `article_for`), shown by `GET /content/{id}/preview/?destination=` without any call to
the destination."""

from __future__ import annotations

from typing import Any

from publisher.domain.article import Article
from publisher.domain.transform import to_article
from publisher.errors import Invalid
from publisher.identity import Caller
from publisher.services.content import load_content
from publisher.services.views import content_view, preview_view
from publisher.store import sites as site_store
from publisher.store.models import ContentModel, SiteModel


def article_for(content: ContentModel, destination: str, site: SiteModel | None) -> Article:
    """The Article a publication of `content` to `destination` sends (sanitised for that
    destination, links made absolute to the site's URL): the worker's and the preview's one path."""
    return to_article(content_view(content), destination=destination, site_url=site.url if site else None)


def preview(caller: Caller, content_id: str, destination: str) -> dict[str, Any]:
    """The article as `destination` would receive it; 422 when the site has no such integration
    (the route's typed parameter refuses a name that is no destination at all)."""
    content = load_content(caller, content_id)
    integration = site_store.get_integration(content.site_id, destination)
    if integration is None:
        raise Invalid(
            "the site has no such integration",
            {"destination": [f"the site has no {destination} integration"]},
        )
    from publisher.destinations.wordpress import image_sources  # the worker never pays for it

    article = article_for(content, destination, site_store.get_site(content.site_id))
    images = [article.featured_image_url] if article.featured_image_url else []
    images += [url for url in image_sources(article.html) if url not in images]
    return preview_view(article, destination, enabled=bool(integration.enabled), images=images)
