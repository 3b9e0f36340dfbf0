from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from safeguarding.default_categories import DEFAULT_CATEGORIES
from safeguarding.models import Category
from tenants.models import Domain, School
from tenants.services import (
    school_create,
    school_reactivate,
    school_suspend,
    template_schema_ensure,
)
from tests.conftest import World

# Schools are created and their schemas altered as the owner role does (docs/security.md,
# "Database roles"), inside the test's transaction.
pytestmark = pytest.mark.usefixtures("as_owner")


def _create(world: World, **overrides: str) -> School:
    fields = {
        "trust": world.trust,
        "name": "Hazel Grove Primary",
        "slug": "hazelgrove",
        "urn": "912345",
        "phase": School.Phase.PRIMARY,
    } | overrides
    return school_create(**fields)  # type: ignore[arg-type]


def test_a_new_school_gets_its_domain_schema_and_default_categories(world: World, db: None) -> None:
    school = _create(world)

    assert school.schema_name == "school_hazelgrove"
    assert Domain.objects.get(tenant=school).domain == "hazelgrove.localhost"
    assert schema_exists("school_hazelgrove")
    with schema_context(school.schema_name):
        codes = set(Category.objects.values_list("code", flat=True))
    assert codes == {c.code for c in DEFAULT_CATEGORIES}


def test_a_new_school_has_every_migration_recorded(world: World, db: None) -> None:
    school = _create(world)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{school.schema_name}".django_migrations')  # noqa: S608
        in_school = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM public.django_migrations")
        in_public = cursor.fetchone()[0]
    assert in_school == in_public


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"urn": "12345"}, "urn", "exactly 6 digits"),
        ({"urn": "12345a"}, "urn", "exactly 6 digits"),
        ({"slug": "Has Spaces"}, "slug", "lower-case letters"),
        ({"slug": "www"}, "slug", "reserved"),
        ({"slug": "template"}, "slug", "reserved"),
        ({"name": ""}, "name", "cannot be blank"),
        ({"phase": "university"}, "phase", "not a valid choice"),
    ],
)
def test_invalid_school_is_refused_with_a_clear_error_and_nothing_created(
    world: World, db: None, overrides: dict[str, str], field: str, message: str
) -> None:
    schools_before = School.objects.count()
    with pytest.raises(ValidationError) as exc:
        _create(world, **overrides)

    assert message in " ".join(exc.value.message_dict[field])
    assert School.objects.count() == schools_before
    assert not Domain.objects.filter(domain__startswith="hazelgrove").exists()
    assert not schema_exists("school_hazelgrove")


def test_creating_the_same_school_twice_is_refused_cleanly(world: World, db: None) -> None:
    _create(world)
    with pytest.raises(ValidationError) as exc:
        _create(world)

    errors = exc.value.message_dict
    assert "already exists" in " ".join(errors["slug"])
    assert "already exists" in " ".join(errors["urn"])
    assert School.objects.filter(slug="hazelgrove").count() == 1


def test_an_existing_subdomain_or_urn_of_another_school_is_refused(world: World, db: None) -> None:
    with pytest.raises(ValidationError) as exc:
        _create(world, slug=world.school_a.slug, urn="954321")
    assert "slug" in exc.value.message_dict

    with pytest.raises(ValidationError) as exc:
        _create(world, urn=world.school_a.urn)
    assert "urn" in exc.value.message_dict


def test_a_failure_after_the_schema_is_cloned_leaves_nothing_behind(
    world: World, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("storage unavailable")

    monkeypatch.setattr("tenants.services.logger.info", explode)
    with pytest.raises(RuntimeError):
        _create(world)

    assert not School.objects.filter(slug="hazelgrove").exists()
    assert not schema_exists("school_hazelgrove")


def test_suspending_and_reactivating_a_school_keeps_its_records(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        categories = Category.objects.count()

    school_suspend(school=school_a)
    school_a.refresh_from_db()
    assert school_a.status == School.Status.SUSPENDED
    assert school_a.status_changed_at is not None

    school_reactivate(school=school_a)
    school_a.refresh_from_db()
    assert school_a.status == School.Status.ACTIVE
    with schema_context(school_a.schema_name):
        assert Category.objects.count() == categories


def test_the_template_is_rebuilt_when_it_lacks_a_migration(world: World, db: None) -> None:
    assert template_schema_ensure() is False  # current after the test database was migrated

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM school_template.django_migrations "
            "WHERE app = 'safeguarding' AND name = '0002_default_categories'"
        )
        cursor.execute("DELETE FROM school_template.safeguarding_category")
        # Run the deferred foreign-key checks now, as a commit would, before the rebuild drops.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    assert template_schema_ensure() is True
    school = _create(world)
    with schema_context(school.schema_name):
        assert Category.objects.count() == len(DEFAULT_CATEGORIES)
