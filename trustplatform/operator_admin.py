"""The SaaS operator's Django admin: on the root domain only, behind the product's own sign-in.

It has no login form of its own: its login page sends people to the two-step sign-in (password,
then TOTP), which counts failures and locks out as everywhere else, so the admin can be no
password oracle. It opens only for a staff account whose session passed two-factor. The root
domain's URLconf is the only one that serves it, in the public schema: it never reaches a
school's schema (docs/security.md).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from trustplatform.permissions import two_factor_passed


class OperatorAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and two_factor_passed(request)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        if request.user.is_authenticated and request.user.is_staff:
            # Signed in with a password alone, which only people without two-factor can be:
            # the admin wants it set up first.
            query = urlencode({"next": next_url})
            return redirect(f"{reverse('accounts:two_factor_setup')}?{query}")
        return redirect_to_login(next_url, reverse("accounts:login"))
