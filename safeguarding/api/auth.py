"""Who is calling the API: a signed-in session (with CSRF, after two-factor) or a school's API key
(docs/api.md, "Keys and scopes"), and how often they may call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from safeguarding.models import ApiKey
from safeguarding.services.api_keys import api_key_find, api_key_used
from tenants.selectors import school_of_request
from trustplatform.accounts.models import User
from trustplatform.permissions import ApiScope, Capability, Decision, api_key_scopes, decide

if TYPE_CHECKING:
    # Only a type here: rest_framework.views imports this module through its settings.
    from rest_framework.views import APIView

KEYWORD = "Bearer"


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer sgk_…`: the key's holder, while the key is usable and they are."""

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        school = school_of_request(request)
        if len(header) != 2 or school is None:
            raise exceptions.AuthenticationFailed("Send the key as: Authorization: Bearer <key>.")
        try:
            token = header[1].decode()
        except UnicodeDecodeError:
            token = ""
        # The key lives in its school's schema: another school's key is simply not found here.
        key = api_key_find(token)
        holder = (
            User.objects.filter(pk=key.holder_id, is_active=True).first()
            if key is not None
            else None
        )
        if key is None or holder is None:
            raise exceptions.AuthenticationFailed(
                "The API key is not valid here, or it was revoked or has expired."
            )
        # Seen by the permission layer (trustplatform/permissions.py): the key's scopes narrow
        # what its holder may do.
        request._request.api_key = key  # type: ignore[attr-defined]
        api_key_used(key=key, school=school, holder=holder, request=request._request)
        return holder, key

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "safeguarding.api.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A school's API key (sgk_…), made on Staff and roles, API keys.",
        }


class ApiThrottle(SimpleRateThrottle):
    """Requests per key (or per signed-in person) on the shared cache.

    When Redis is down the cache reads as empty (trustplatform/cache.py logs each miss as
    "Redis unavailable"), so the limit fails open: the API keeps working, unthrottled.
    """

    scope = "api"

    def get_rate(self) -> str:
        # Read at each request, not at import, so the setting can change without a restart.
        return str(settings.API_RATE_PER_KEY)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        key = getattr(request._request, "api_key", None)
        if key is not None:
            return f"throttle_api_key_{key.pk}"
        if request.user and request.user.is_authenticated:
            return f"throttle_api_user_{request.user.pk}"
        return f"throttle_api_anon_{self.get_ident(request)}"


def scope_required(request: Request, scope: ApiScope) -> None:
    """Refuses a key without `scope`; a signed-in session has no scopes to check."""
    scopes = api_key_scopes(request._request)
    if scopes is not None and scope not in scopes:
        raise exceptions.PermissionDenied(f"This key does not have the {scope} scope.")


def capability_required(request: Request, capability: Capability) -> None:
    """Refuses what the permission layer refuses the caller here, saying why."""
    decision = decide(request._request, capability)
    if decision is Decision.ALLOWED:
        return
    if decision is Decision.LOGIN_REQUIRED:
        raise exceptions.NotAuthenticated()
    if decision is Decision.TWO_FACTOR_REQUIRED:
        raise exceptions.PermissionDenied("Complete two-factor sign-in first.")
    raise exceptions.PermissionDenied("Your role here does not allow this.")
