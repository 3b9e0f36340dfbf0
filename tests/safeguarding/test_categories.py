from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from safeguarding.models import Category
from safeguarding.services.categories import category_retire, category_save
from tenants.models import School
from tests.conftest import World, school_client
from trustplatform.accounts.models import Role


def test_the_dsl_adds_a_nested_category_that_staff_then_see_with_its_guidance(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        online = Category.objects.get(code="online-safety")
    client = school_client(school_a, world.person("a", Role.DSL))
    response = client.post(
        "/categories/add/",
        {
            "name": "Gaming chats",
            "parent": online.pk,
            "colour": "#5694ca",
            "sensitivity": "standard",
            "guidance": "Contact from strangers in games.",
        },
    )
    assert response.status_code == 302
    guidance = school_client(school_a, world.person("a", Role.STAFF)).get("/guidance/")
    assert "Gaming chats" in guidance.text
    assert "Contact from strangers in games." in guidance.text


def test_renaming_keeps_the_code_used_by_trust_statistics(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        neglect = Category.objects.get(code="neglect")
        category_save(
            category=neglect,
            name="Neglect and basic needs",
            colour=neglect.colour,
            guidance=neglect.guidance,
            sensitivity=Category.Sensitivity.STANDARD,
            parent=None,
        )
        neglect.refresh_from_db()
        assert (neglect.code, neglect.name) == ("neglect", "Neglect and basic needs")


def test_a_retired_category_is_no_longer_offered(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        category_retire(category=Category.objects.get(code="bullying"))
    page = school_client(school_a, world.person("a", Role.STAFF)).get("/concerns/new/")
    assert "> Bullying</label>" not in page.text
    assert "> Neglect</label>" in page.text


def test_nesting_is_one_level_and_names_are_unique(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        parent = Category.objects.get(code="online-safety")
        child = category_save(
            category=None,
            name="Sharing images",
            colour="#000000",
            guidance="",
            sensitivity=Category.Sensitivity.STANDARD,
            parent=parent,
        )
        with pytest.raises(ValidationError, match="one level"):
            category_save(
                category=None,
                name="Deeper",
                colour="#000000",
                guidance="",
                sensitivity=Category.Sensitivity.STANDARD,
                parent=child,
            )
        with pytest.raises(ValidationError, match="already a category"):
            category_save(
                category=None,
                name="Neglect",
                colour="#000000",
                guidance="",
                sensitivity=Category.Sensitivity.STANDARD,
                parent=None,
            )
