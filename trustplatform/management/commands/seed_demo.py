"""Seeds the invented demo trust: three schools, one person for every role, and eighteen months of
invented safeguarding records in each school. Idempotent."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

import pyotp
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.demo import seed_demo_billing
from safeguarding.demo import seed_school_records
from tenants.addresses import site_host
from tenants.models import School, Trust
from tenants.services import school_create, trust_create
from trustplatform.accounts.models import Role, SchoolMembership, TrustMembership, User
from trustplatform.accounts.services import (
    school_membership_add,
    totp_enrolment_begin,
    totp_enrolment_confirm,
    totp_uri,
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
from trustplatform.policies.demo import seed_demo_policies
from trustplatform.schooldays.demo import seed_demo_calendar
from trustplatform.schooldays.models import academic_year_of
from trustplatform.statistics.services import school_statistics_refresh


def _user(email: str, full_name: str, *, two_factor: bool) -> User:
    user = User.objects.filter(email=email).first() or user_create(
        email=email, full_name=full_name, password=DEMO_PASSWORD
    )
    if two_factor and not user.has_two_factor:
        totp_enrolment_begin(user=user)
        user.refresh_from_db()
        totp_enrolment_confirm(user=user, code=pyotp.TOTP(user.totp_secret).now())
        user.refresh_from_db()
    return user


def _line(role: Role, user: User) -> str:
    line = f"  {role.label:<30} {user.email}"
    return line + (f"\n  {'':<30} 2FA: {totp_uri(user)}" if user.has_two_factor else "")


class Command(BaseCommand):
    help = (
        "Creates the invented demo trust, its three schools, a person for every role and "
        "eighteen months of invented records in each school."
    )

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
        records: list[str] = []
        for number, demo in enumerate(DEMO_SCHOOLS):
            school = School.objects.filter(slug=demo.slug).first() or school_create(
                trust=trust, name=demo.name, slug=demo.slug, urn=demo.urn, phase=demo.phase
            )
            lines.append(f"\n{school.name}: http://{site_host(school)}:{port}/")
            people: dict[Role, User] = {}
            for role, full_name in SCHOOL_PEOPLE[demo.slug]:
                # Everyone but plain staff reads records, statistics or roles: 2FA is on for
                # them; staff show that recording a concern needs no second factor.
                user = _user(
                    school_person_email(role, demo.slug), full_name, two_factor=role != Role.STAFF
                )
                if not SchoolMembership.objects.filter(user=user, school=school).exists():
                    school_membership_add(user=user, school=school, role=role)
                people[role] = user
                lines.append(_line(role, user))
            with schema_context(school.schema_name):
                # A fixed seed per school: every demo shows the same invented children.
                summary = seed_school_records(school=school, people=people, rng_seed=2026 + number)
            records.append(summary.line())
            # Term dates and INSET days of last year, this year and next, as a school enters them.
            this_year = academic_year_of(timezone.localdate())
            seed_demo_calendar(school=school, academic_years=range(this_year - 1, this_year + 2))
            # The register includes "Use of the safeguarding records system", already overdue.
            seed_demo_policies(school)
            # The trust's figures, counted now rather than at the first nightly rebuild.
            school_statistics_refresh(school=school)

        lines.append("\nInvented safeguarding records:")
        lines.extend(f"  {line}" for line in records)
        lines.append(f"\n{trust.name} (trust portal): http://{site_host(None)}:{port}/")
        for role, full_name, email in TRUST_PEOPLE:
            user = _user(email, full_name, two_factor=True)
            if not TrustMembership.objects.filter(user=user, trust=trust, role=role).exists():
                trust_membership_add(user=user, trust=trust, role=role)
            lines.append(_line(role, user))

        # The trust's subscription since September, with its first invoice (docs/billing.md).
        invoice = seed_demo_billing(trust=trust, today=timezone.localdate())
        if invoice is not None:
            lines.append(f"  Subscription invoiced: {invoice.reference}, £{invoice.total}")

        operator_name, operator_email = OPERATOR
        if not User.objects.filter(email=operator_email).exists():
            User.objects.create_superuser(operator_email, DEMO_PASSWORD, full_name=operator_name)
        lines.append(f"\nOperator admin: http://{site_host(None)}:{port}/admin/")
        lines.append(f"  {'Operator':<30} {operator_email}")
        lines.append(f"\nEvery demo account's password: {DEMO_PASSWORD}")
        lines.append(
            "Add a 2FA line's otpauth:// URI to an authenticator app (or compute codes with "
            "`python -c \"import pyotp; print(pyotp.parse_uri('URI').now())\"`)."
        )
        self.stdout.write("\n".join(lines))
