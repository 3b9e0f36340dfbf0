"""Fixtures for a school's records: invented pupils and the people who record and screen."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguarding.models import Category, Pupil
from safeguarding.services.chronology import Person
from tenants.models import School
from trustplatform.accounts.models import Role, User

_upns = itertools.count(1)


def make_pupil(first: str, last: str, *, year_group: int = 5, form: str = "5B") -> Pupil:
    """An invented pupil on roll in the current school's schema."""
    return Pupil.objects.create(
        upn=f"A{next(_upns):012d}",
        legal_first_name=first,
        legal_last_name=last,
        date_of_birth=dt.date(2015, 3, 14),
        sex=Pupil.Sex.FEMALE,
        year_group=year_group,
        form=form,
    )


def person(user: User, role: Role) -> Person:
    return Person(user_id=user.pk, name=user.full_name, role=str(role))


def category_ids(*codes: str) -> list[int]:
    return list(Category.objects.filter(code__in=codes).values_list("pk", flat=True))


@pytest.fixture
def in_school_a(school_a: School) -> Iterator[None]:
    """Enters school A's schema for the rest of the test."""
    with schema_context(school_a.schema_name):
        yield


@pytest.fixture
def private_storage(settings: SettingsWrapper, tmp_path: Path) -> Path:
    """Documents and exports kept in a folder of this test's own."""
    root = tmp_path / "documents"
    settings.SCHOOL_DOCUMENTS_ROOT = root
    return root


@pytest.fixture
def school_a_entered(school_a: School) -> Iterator[School]:
    """School A, its schema entered for the rest of the test."""
    with schema_context(school_a.schema_name):
        yield school_a
