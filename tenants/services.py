"""Writes for trusts and schools: provisioning from the template schema, suspension."""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django_tenants.utils import schema_exists

from tenants.addresses import host_for_slug
from tenants.db import owner_connection, school_connection
from tenants.db_roles import school_schema_grant
from tenants.models import Domain, School, Trust
from tenants.schema_clone import clone_schema
from trustplatform.accounts.models import User
from trustplatform.audit.models import AuditAction
from trustplatform.audit.services import audit_record

logger = logging.getLogger(__name__)

# Subdomains that must never become a school: they name parts of the platform or the template.
RESERVED_SLUGS = frozenset(
    {
        "www",
        "admin",
        "api",
        "app",
        "portal",
        "trust",
        "static",
        "media",
        "mail",
        "template",
        "public",
    }
)
# Serialises template rebuilds and school creation across processes (arbitrary constant).
_PROVISIONING_LOCK_ID = 7_411_002


def school_schema_name(slug: str) -> str:
    """The PostgreSQL schema of a school: the slug, made a safe identifier, under a fixed prefix."""
    return "school_" + slug.replace("-", "_")


@functools.cache
def _expected_migrations() -> frozenset[tuple[str, str]]:
    # Every migration of the code base. A school schema records shared apps' migrations too
    # (the router skips their operations there), so the template must hold exactly this set.
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.nodes)


def _template_applied_migrations() -> frozenset[tuple[str, str]]:
    template = settings.TENANT_BASE_SCHEMA
    if not schema_exists(template):
        return frozenset()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{template}".django_migrations'])
        if cursor.fetchone()[0] is None:
            return frozenset()
        cursor.execute(f'SELECT app, name FROM "{template}".django_migrations')  # noqa: S608
        return frozenset(cursor.fetchall())


def template_schema_ensure() -> bool:
    """Keeps the template schema at the latest migration; rebuilds it when migrations changed.

    Returns True when the template was (re)built.
    """
    with owner_connection():
        return _template_schema_ensure()


def _template_schema_ensure() -> bool:
    if _template_applied_migrations() == _expected_migrations():
        return False
    template = settings.TENANT_BASE_SCHEMA
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PROVISIONING_LOCK_ID])
        # Another process may have rebuilt it while we waited for the lock.
        if _template_applied_migrations() == _expected_migrations():
            return False
        logger.info("Rebuilding template schema %s", template)
        school_connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{template}" CASCADE')
            cursor.execute(f'CREATE SCHEMA "{template}"')
        call_command(
            "migrate_schemas",
            tenant=True,
            schema_name=template,
            interactive=False,
            verbosity=0,
            skip_template=True,
        )
        school_connection.set_schema_to_public()
    return True


def _validate_new_school(*, trust: Trust, name: str, slug: str, urn: str, phase: str) -> None:
    school = School(
        trust=trust,
        name=name,
        slug=slug,
        urn=urn,
        phase=phase,
        schema_name=school_schema_name(slug),
    )
    errors: dict[str, list[str]] = {}
    try:
        # Uniqueness is checked here for a clear message and again by the database constraints.
        school.full_clean(exclude=["schema_name"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if slug in RESERVED_SLUGS:
        errors.setdefault("slug", []).append(f"“{slug}” is reserved and cannot name a school.")
    domain = host_for_slug(slug)
    if not errors.get("slug") and Domain.objects.filter(domain=domain).exists():
        errors.setdefault("slug", []).append(f"The address {domain} is already in use.")
    if not errors.get("slug") and schema_exists(school.schema_name):
        errors.setdefault("slug", []).append(
            f"A database schema for “{slug}” already exists; choose another subdomain."
        )
    if errors:
        raise ValidationError(errors)


def school_create(
    *, trust: Trust, name: str, slug: str, urn: str, phase: str, actor: User | None = None
) -> School:
    """Creates a school with its domain and its own schema, cloned from the template.

    Everything happens in one transaction (PostgreSQL DDL is transactional) of the owner role's
    connection, which alone may create a schema (docs/security.md, "Database roles"): on any
    failure nothing is left behind, no row, no domain, no schema. The application's connection
    sees the school once it is committed.
    """
    with owner_connection(), transaction.atomic():
        return _school_create(trust=trust, name=name, slug=slug, urn=urn, phase=phase, actor=actor)


def _school_create(
    *, trust: Trust, name: str, slug: str, urn: str, phase: str, actor: User | None
) -> School:
    slug = slug.strip().lower()
    urn = urn.strip()
    name = name.strip()
    template_schema_ensure()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PROVISIONING_LOCK_ID])
    _validate_new_school(trust=trust, name=name, slug=slug, urn=urn, phase=phase)

    school = School.objects.create(
        trust=trust,
        name=name,
        slug=slug,
        urn=urn,
        phase=phase,
        schema_name=school_schema_name(slug),
    )
    Domain.objects.create(tenant=school, domain=host_for_slug(slug), is_primary=True)
    # The template is at the latest migration (ensured above, under the same lock), so a clone
    # with its data (migration records, default categories) is a complete, current school.
    clone_schema(source=settings.TENANT_BASE_SCHEMA, target=school.schema_name)
    with connection.cursor() as cursor:
        # The application's grants, as the template has them: the clone copies tables, not grants.
        school_schema_grant(cursor, schema=school.schema_name)
    school_connection.set_schema_to_public()
    # Last, so the audit chain's lock is held only for the commit.
    audit_record(
        action=AuditAction.SCHOOL_CREATED,
        actor=actor,
        school=school,
        target_type="school",
        target_id=school.pk,
        data={"slug": school.slug, "urn": school.urn, "schema_name": school.schema_name},
    )
    logger.info("Created school id=%s schema=%s", school.pk, school.schema_name)
    return school


def _school_set_status(
    *, school: School, status: str, actor: User | None, action: AuditAction
) -> School:
    if school.status == status:
        return school
    old_status = school.status
    school.status = status
    school.status_changed_at = timezone.now()
    school.save(update_fields=["status", "status_changed_at"])
    audit_record(
        action=action,
        actor=actor,
        school=school,
        target_type="school",
        target_id=school.pk,
        data={"old_status": old_status, "new_status": status},
    )
    return school


@transaction.atomic
def school_suspend(*, school: School, actor: User | None = None) -> School:
    """Suspends a school: its site shows a 'suspended' page; its data is kept untouched."""
    return _school_set_status(
        school=school,
        status=School.Status.SUSPENDED,
        actor=actor,
        action=AuditAction.SCHOOL_SUSPENDED,
    )


@transaction.atomic
def school_reactivate(*, school: School, actor: User | None = None) -> School:
    return _school_set_status(
        school=school,
        status=School.Status.ACTIVE,
        actor=actor,
        action=AuditAction.SCHOOL_REACTIVATED,
    )


@transaction.atomic
def trust_create(*, name: str, slug: str) -> Trust:
    trust = Trust(name=name.strip(), slug=slug.strip().lower())
    trust.full_clean()
    trust.save()
    return trust


@transaction.atomic
def school_rename(*, school: School, name: str, actor: User | None = None) -> School:
    """Gives a school a new name (after a conversion or a merger, say). Its subdomain, schema and
    records stay as they are; the old and new names go into the audit trail."""
    name = " ".join(name.split())
    school = School.objects.select_for_update().get(pk=school.pk)
    old_name = school.name
    if not name:
        raise ValidationError({"name": ["Enter the school's new name."]})
    if name == old_name:
        raise ValidationError({"name": ["This is already the school's name."]})
    if (
        School.objects.filter(trust_id=school.trust_id, name__iexact=name)
        .exclude(pk=school.pk)
        .exists()
    ):
        raise ValidationError({"name": [f"Another school of the trust is called “{name}”."]})
    school.name = name
    school.full_clean(exclude=["schema_name"])
    school.save(update_fields=["name"])
    audit_record(
        action=AuditAction.SCHOOL_RENAMED,
        actor=actor,
        school=school,
        target_type="school",
        target_id=school.pk,
        data={"old_name": old_name, "new_name": name},
    )
    logger.info("School id=%s renamed", school.pk)
    return school


@transaction.atomic
def school_domain_change(*, school: School, slug: str, actor: User | None = None) -> School:
    """Moves a school to a new subdomain: its Domain row and slug change, its schema does not.

    The schema keeps its name on purpose. It is an internal identifier that queued Celery tasks,
    sessions (bound to the schema of the site they signed in on) and backups already carry;
    `ALTER SCHEMA … RENAME` under live connections would break them all for a cosmetic gain. The
    old name stays taken, so a new school can never be cloned into the renamed school's schema
    (school_create refuses a slug whose schema exists).
    """
    slug = slug.strip().lower()
    # The same lock as school_create: two changes (or a change and a creation) racing for one
    # subdomain must not both pass the checks below.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PROVISIONING_LOCK_ID])
    school = School.objects.select_for_update().get(pk=school.pk)
    old_slug = school.slug
    errors: list[str] = []
    if slug == old_slug:
        errors.append("This is already the school's subdomain.")
    else:
        try:
            School._meta.get_field("slug").run_validators(slug)
        except ValidationError as exc:
            errors.extend(exc.messages)
    if not errors and slug in RESERVED_SLUGS:
        errors.append(f"“{slug}” is reserved and cannot name a school.")
    domain_name = host_for_slug(slug)
    if not errors and (
        Domain.objects.filter(domain=domain_name).exists()
        or School.objects.filter(slug=slug).exclude(pk=school.pk).exists()
    ):
        errors.append(f"The address {domain_name} is already in use.")
    if errors:
        raise ValidationError({"slug": errors})

    primary = Domain.objects.select_for_update().filter(tenant=school, is_primary=True).first()
    old_domain = primary.domain if primary is not None else ""
    if primary is None:  # every school has a primary domain; make one rather than lose the site
        Domain.objects.create(tenant=school, domain=domain_name, is_primary=True)
    else:
        primary.domain = domain_name
        primary.save(update_fields=["domain"])
    school.slug = slug
    school.save(update_fields=["slug"])
    audit_record(
        action=AuditAction.SCHOOL_DOMAIN_CHANGED,
        actor=actor,
        school=school,
        target_type="school",
        target_id=school.pk,
        data={
            "old_slug": old_slug,
            "new_slug": slug,
            "old_domain": old_domain,
            "new_domain": domain_name,
        },
    )
    logger.info("School id=%s moved from %s to %s", school.pk, old_domain, domain_name)
    return school
