"""The invented trust, schools and people of the demo. Every name here is made up."""

from __future__ import annotations

from typing import NamedTuple

from trustplatform.accounts.models import Role

DEMO_PASSWORD = "demo-safeguarding-2026"  # noqa: S105 - printed for the demo, never in production


class DemoSchool(NamedTuple):
    name: str
    slug: str
    urn: str
    phase: str


DEMO_TRUST = ("Kestrel Vale Learning Trust", "kestrel-vale")
DEMO_SCHOOLS = (
    DemoSchool("Oakfield Primary School", "oakfield", "990101", "primary"),
    DemoSchool("Larkspur Academy", "larkspur", "990102", "secondary"),
    DemoSchool("Fennel Brook Primary", "fennelbrook", "990103", "primary"),
)

# One person per school role in each school, with invented names.
SCHOOL_PEOPLE: dict[str, tuple[tuple[Role, str], ...]] = {
    "oakfield": (
        (Role.STAFF, "Tamsin Orchardley"),
        (Role.KEY_HOLDER, "Wilf Brackenbury"),
        (Role.DEPUTY_DSL, "Noor Pellingham"),
        (Role.DSL, "Hester Quillon"),
        (Role.HEADTEACHER, "Caspian Morrow-Vane"),
        (Role.GOVERNOR, "Ottilie Fernhaugh"),
        (Role.SCHOOL_ADMIN, "Rhodri Ashcombe"),
    ),
    "larkspur": (
        (Role.STAFF, "Jago Thistlewood"),
        (Role.KEY_HOLDER, "Ines Marchbank"),
        (Role.DEPUTY_DSL, "Bram Ellerholt"),
        (Role.DSL, "Maren Cloudsley"),
        (Role.HEADTEACHER, "Idris Wrenfield"),
        (Role.GOVERNOR, "Saffi Harrowgate"),
        (Role.SCHOOL_ADMIN, "Leopold Dunmarsh"),
    ),
    "fennelbrook": (
        (Role.STAFF, "Esme Tollbridge"),
        (Role.KEY_HOLDER, "Farid Quennell"),
        (Role.DEPUTY_DSL, "Una Castlemere"),
        (Role.DSL, "Rafe Inglenook"),
        (Role.HEADTEACHER, "Cleo Brambleton"),
        (Role.GOVERNOR, "Dev Oakhanger"),
        (Role.SCHOOL_ADMIN, "Pia Sedgecombe"),
    ),
}
TRUST_PEOPLE: tuple[tuple[Role, str, str], ...] = (
    (Role.TRUST_ADMIN, "Gwendolyn Farrowmere", "trust.admin@example.org"),
    (Role.TRUST_SAFEGUARDING_LEAD, "Hallam Kestrington", "trust.lead@example.org"),
    (Role.TRUSTEE, "Isolde Merriweather", "trustee@example.org"),
)
OPERATOR = ("Operator Account", "operator@example.org")


def school_person_email(role: Role, slug: str) -> str:
    return f"{role.value.replace('_', '.')}.{slug}@example.org"
