"""`manage.py grant_app_role [--role NAME]`: gives the application's database role exactly its
privileges on the public schema, the school template and every school (tenants/db_roles.py).

Run on the owner's connection (DATABASE_OWNER_URL). `migrate` does it after every run; this
command is for a role created afterwards, or to repair grants changed by hand. Safe to repeat.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tenants.db_roles import app_role_grant, app_role_name


class Command(BaseCommand):
    help = "Grants the application role its least privileges on every schema."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--role",
            default="",
            help="The application's role; by default the user of DATABASE_URL.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        role = options["role"] or app_role_name()
        if role is None:
            raise CommandError(
                "DATABASE_URL and DATABASE_OWNER_URL name the same role: there is no separate "
                "application role to grant to. Give --role, or set DATABASE_OWNER_URL."
            )
        schemas = app_role_grant(app_role=role)
        self.stdout.write(f"Granted {role} its privileges on {len(schemas)} schemas.")
