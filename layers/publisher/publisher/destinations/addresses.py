"""The outbound address policy, without an HTTP client: which URLs and IP addresses Publisher
may contact. Used where a URL is checked as it is written (settings, integrations) and by the
guarded session (destinations/http.py), which checks every resolved address again at connect time."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from publisher.destinations.errors import PermanentDestinationError


class BlockedURLError(PermanentDestinationError):
    """The URL or one of its resolved addresses is not allowed by the outbound policy."""


# --- address policy -------------------------------------------------------------------------


def blocked_reason(address: str, *, allow_loopback: bool = False) -> str | None:
    """Why an IP address may not be contacted, or None when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private network address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "a non-public address"
    return None


def check_url(url: str, *, allow_insecure_http: bool = False) -> None:
    """Refuse URLs whose scheme the policy does not admit (addresses are checked on connect)."""
    parts = urlsplit(url)
    allowed = ("https", "http") if allow_insecure_http else ("https",)
    if parts.scheme.lower() not in allowed:
        raise BlockedURLError(
            f"Refused to contact {parts.hostname or url!s}: only https:// URLs are allowed"
            + ("" if allow_insecure_http else " (http:// needs allow_insecure_http, for local runs only)")
            + "."
        )
    if not parts.hostname:
        raise BlockedURLError("Refused a URL without a host name.")
