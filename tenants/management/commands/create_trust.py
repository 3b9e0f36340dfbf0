"""Creates a trust, and its first trust admin: `manage.py create_trust --name "…" --slug …
[--admin-email … --admin-name "…"]` (docs/runbook.md, "Add a trust and a school")."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from tenants.addresses import site_url
from tenants.services import trust_create
from trustplatform.accounts.models import Role, User
from trustplatform.accounts.services import trust_membership_add, user_create


class Command(BaseCommand):
    help = "Creates a trust and, if asked, its first trust admin (who sets a password by email)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--name", required=True, help="The trust's name.")
        parser.add_argument("--slug", required=True, help="Short name, e.g. oak-trust.")
        parser.add_argument("--admin-email", default="", help="The trust admin's email address.")
        parser.add_argument("--admin-name", default="", help="The trust admin's full name.")

    def handle(self, *args: Any, **options: Any) -> None:
        email, full_name = options["admin_email"].strip(), options["admin_name"].strip()
        if bool(email) != bool(full_name):
            raise CommandError("Give both --admin-email and --admin-name, or neither.")
        if email and User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"An account with the email {email} exists already.")
        try:
            with transaction.atomic():
                trust = trust_create(name=options["name"], slug=options["slug"])
                if email:
                    # No password: the admin sets one through "Forgot your password?", which
                    # proves they hold the mailbox; two-factor is set up at their first sign-in.
                    admin = user_create(email=email, full_name=full_name, password=None)
                    trust_membership_add(user=admin, trust=trust, role=Role.TRUST_ADMIN)
        except ValidationError as exc:
            lines = [f"{field}: {msg}" for field, msgs in exc.message_dict.items() for msg in msgs]
            raise CommandError("Trust not created.\n" + "\n".join(lines)) from None
        self.stdout.write(f"Created the trust {trust.name} (slug {trust.slug}).")
        if email:
            reset = site_url(
                None, reverse("accounts:password_reset", urlconf=settings.PUBLIC_SCHEMA_URLCONF)
            )
            self.stdout.write(f"Its trust admin sets a password at {reset}")
