"""Routes each request by its host: the root domain to the public site, a subdomain to its school.

Replaces django-tenants' TenantMainMiddleware so that the root domain needs no "public" school row,
an unknown subdomain gets a clear 404 page, and a suspended school a clear "suspended" page.

Also here: the rule that no browser or proxy keeps a copy of any page (docs/security.md).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import set_urlconf
from django.utils.cache import add_never_cache_headers
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.postgresql_backend.base import FakeTenant
from django_tenants.utils import get_public_schema_name

from tenants.db import school_connection
from tenants.models import Domain, School

# Paths a suspended school still answers: the load balancer's health and readiness checks.
SUSPENDED_SCHOOL_ALLOWED_PATHS = frozenset({"/healthz", "/readyz"})

# Each process keeps the school a host names for this long, so most requests skip the domain
# lookup (a query, and the switch to the public schema before it). A change made in this process
# (a school suspended or moved to another address) empties it at once; one made in another
# process reaches this one within these seconds (docs/architecture.md, "Routing by subdomain").
SCHOOL_OF_HOST_SECONDS = 5.0
_schools_by_host: dict[str, tuple[float, School]] = {}


def school_of_host_forget() -> None:
    """Empties this process's host -> school cache (any school or domain changed)."""
    _schools_by_host.clear()


@receiver(post_save, sender=School)
@receiver(post_delete, sender=School)
@receiver(post_save, sender=Domain)
@receiver(post_delete, sender=Domain)
def _school_or_domain_changed(**kwargs: Any) -> None:
    school_of_host_forget()
    # Again once the change is committed: a request served meanwhile read the row as it was.
    transaction.on_commit(school_of_host_forget)


def _school_of_host(hostname: str) -> School | None:
    now = time.monotonic()
    kept = _schools_by_host.get(hostname)
    if kept is None or kept[0] <= now:
        domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
        if domain is None:
            _schools_by_host.pop(hostname, None)
            return None
        kept = (now + SCHOOL_OF_HOST_SECONDS, domain.tenant)
        _schools_by_host[hostname] = kept
    # A copy for each request: the threads of a worker never share one instance, and whatever a
    # request caches on its school stays with that request.
    return copy.copy(kept[1])


def root_hosts() -> frozenset[str]:
    hosts = {settings.BASE_DOMAIN}
    if not settings.IS_PRODUCTION:
        hosts.add("127.0.0.1")
    return frozenset(hosts)


def _use_urlconf(request: HttpRequest, urlconf: str) -> None:
    request.urlconf = urlconf  # type: ignore[attr-defined]
    set_urlconf(urlconf)


class SchoolRoutingMiddleware(TenantMainMiddleware):
    def _route_public(self, request: HttpRequest) -> None:
        # django-tenants' own templates and helpers expect a tenant with a schema_name.
        request.tenant = FakeTenant(schema_name=get_public_schema_name())  # type: ignore[attr-defined]
        _use_urlconf(request, settings.PUBLIC_SCHEMA_URLCONF)

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        # The connection may carry the previous request's school: start from public every time.
        school_connection.set_schema_to_public()
        self._route_public(request)
        try:
            hostname = self.hostname_from_request(request)
        except DisallowedHost:
            return render(request, "errors/unknown_school.html", status=400)

        if hostname in root_hosts():
            return None

        school = _school_of_host(hostname)
        if school is None:
            return render(request, "errors/unknown_school.html", {"hostname": hostname}, status=404)
        if not school.is_active and request.path not in SUSPENDED_SCHOOL_ALLOWED_PATHS:
            return render(
                request, "errors/school_suspended.html", {"suspended_school": school}, status=403
            )

        school.domain_url = hostname
        request.tenant = school  # type: ignore[attr-defined]
        school_connection.set_tenant(school)
        _use_urlconf(request, settings.ROOT_URLCONF)
        return None


class NeverStoredMiddleware:
    """Every response the application makes says `Cache-Control: no-store` (and `private`); only
    static files, served under STATIC_URL, may be cached.

    A rule for every response rather than a decorator on each view that shows child data: a new
    view cannot forget it, and pages that show no child record today (a list of staff, an error
    page quoting a school's name) are covered too. First in MIDDLEWARE, so that responses made by
    the routing middleware itself (unknown or suspended school) are covered as well.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            add_never_cache_headers(response)
        return response
