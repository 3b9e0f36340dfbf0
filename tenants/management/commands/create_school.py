"""Creates a school: `manage.py create_school --trust oak-trust --name "…" --slug … --urn …`."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.addresses import site_host
from tenants.models import School, Trust
from tenants.services import school_create


class Command(BaseCommand):
    help = "Creates a school with its subdomain and its own schema, cloned from the template."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--trust", required=True, help="The trust's slug.")
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True, help="Subdomain, e.g. oakfield.")
        parser.add_argument("--urn", required=True, help="DfE unique reference number, 6 digits.")
        parser.add_argument(
            "--phase", default=School.Phase.PRIMARY, choices=[c.value for c in School.Phase]
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            trust = Trust.objects.get(slug=options["trust"])
        except Trust.DoesNotExist:
            raise CommandError(f"No trust with slug “{options['trust']}”.") from None
        try:
            school = school_create(
                trust=trust,
                name=options["name"],
                slug=options["slug"],
                urn=options["urn"],
                phase=options["phase"],
                actor=None,  # run on the server by the operator, not by a platform user
            )
        except ValidationError as exc:
            lines = [f"{field}: {msg}" for field, msgs in exc.message_dict.items() for msg in msgs]
            raise CommandError("School not created.\n" + "\n".join(lines)) from None
        self.stdout.write(
            f"Created {school.name}: http://{site_host(school)} (schema {school.schema_name})"
        )
