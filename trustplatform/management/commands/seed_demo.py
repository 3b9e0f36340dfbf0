"""Seeds the invented demo trust: three schools and one person for every role. Idempotent."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tenants.models import School, Trust
from tenants.services import school_create, school_domain_name, trust_create
from trustplatform.accounts.models import SchoolMembership, TrustMembership, User
from trustplatform.accounts.services import (
    school_membership_add,
    trust_membership_add,
    user_create,
)
from trustplatform.demo_data import (
    DEMO_PASSWORD,
    DEMO_SCHOOLS,
    DEMO_TRUST,
    OPERATOR,
    SCHOOL_PEOPLE,
    TRUST_PEOPLE,
    school_person_email,
)


def _user(email: str, full_name: str) -> User:
    existing = User.objects.filter(email=email).first()
    return existing or user_create(email=email, full_name=full_name, password=DEMO_PASSWORD)


class Command(BaseCommand):
    help = "Creates the invented demo trust, its three schools and a person for every role."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8000)

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("Demo data is never seeded in production.")
        trust_name, trust_slug = DEMO_TRUST
        trust = Trust.objects.filter(slug=trust_slug).first() or trust_create(
            name=trust_name, slug=trust_slug
        )
        port = options["port"]
        lines: list[str] = []
        for demo in DEMO_SCHOOLS:
            school = School.objects.filter(slug=demo.slug).first() or school_create(
                trust=trust, name=demo.name, slug=demo.slug, urn=demo.urn, phase=demo.phase
            )
            lines.append(f"\n{school.name}: http://{school_domain_name(school.slug)}:{port}/")
            for role, full_name in SCHOOL_PEOPLE[demo.slug]:
                user = _user(school_person_email(role, demo.slug), full_name)
                if not SchoolMembership.objects.filter(user=user, school=school).exists():
                    school_membership_add(user=user, school=school, role=role)
                lines.append(f"  {role.label:<30} {user.email}")

        lines.append(f"\n{trust.name} (trust portal): http://{settings.BASE_DOMAIN}:{port}/")
        for role, full_name, email in TRUST_PEOPLE:
            user = _user(email, full_name)
            if not TrustMembership.objects.filter(user=user, trust=trust, role=role).exists():
                trust_membership_add(user=user, trust=trust, role=role)
            lines.append(f"  {role.label:<30} {user.email}")

        operator_name, operator_email = OPERATOR
        if not User.objects.filter(email=operator_email).exists():
            User.objects.create_superuser(operator_email, DEMO_PASSWORD, full_name=operator_name)
        lines.append(f"\nOperator admin: http://{settings.BASE_DOMAIN}:{port}/admin/")
        lines.append(f"  {'Operator':<30} {operator_email}")
        lines.append(f"\nEvery demo account's password: {DEMO_PASSWORD}")
        self.stdout.write("\n".join(lines))
