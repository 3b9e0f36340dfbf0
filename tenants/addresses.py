"""Addresses of the sites: a school's on its subdomain, the trust portal's on the root domain.

Every link to a school's pages is built here. Links in emails come from the settings
(`SITE_SCHEME`, `SITE_PORT`), never from a request's Host header, which a client chooses.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from tenants.models import School


def host_for_slug(slug: str) -> str:
    """The host name a school with this subdomain is served on."""
    return f"{slug}.{settings.BASE_DOMAIN}"


def site_host(school: School | None) -> str:
    """The host name of the school's site (None: the root domain, where the portal is)."""
    return host_for_slug(school.slug) if school is not None else settings.BASE_DOMAIN


def site_origin(school: School | None) -> str:
    """scheme://host[:port] of the school's site (None: the root domain), from the settings."""
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{site_host(school)}{port}"


def site_url(school: School | None, path: str = "/") -> str:
    """An absolute link to a page of the school's site (None: the root domain), for emails."""
    return f"{site_origin(school)}{path}"


def site_host_as_requested(request: HttpRequest, school: School) -> str:
    """host[:port] of the school's site on the port this request came in on (for pages)."""
    port = request.get_port()
    host = site_host(school)
    return host if port in {"80", "443"} else f"{host}:{port}"


def site_url_as_requested(request: HttpRequest, school: School) -> str:
    """A link to the school's home page, with the scheme and port of this request (for pages)."""
    return f"{request.scheme}://{site_host_as_requested(request, school)}/"
