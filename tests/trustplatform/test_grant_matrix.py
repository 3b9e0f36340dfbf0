"""The grant matrix: every acting role, by every role of the person acted on, by someone else /
themselves / someone with more access, by every way of granting, driven through the services.

The expected answers are the table "Who may grant what" in docs/security.md, parsed here; never
the permission code under test. A combination the table leaves out fails
`test_the_table_names_every_combination`. Each combination runs in a savepoint that is rolled
back, and checks both what changed and the audit row it left.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import Category, KeyHolderGrant
from safeguarding.services.access import key_holder_access_set
from tests.conftest import World
from trustplatform.accounts.crypto import secret_encrypt
from trustplatform.accounts.models import (
    SCHOOL_ROLES,
    DslHandoverRequest,
    Role,
    SchoolMembership,
    User,
)
from trustplatform.accounts.services import (
    dsl_handover,
    dsl_handover_confirm,
    invitation_send,
    school_dsl_assign,
    school_membership_add,
    school_membership_remove,
    school_membership_set_role,
    totp_reset,
    trust_membership_add,
    user_create,
)
from trustplatform.audit.models import AuditAction, AuditEvent

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"

# The table's words for roles. "operator": the SaaS operator, a superuser with no role anywhere.
ROLE_NAMES: dict[str, Role] = {
    "staff": Role.STAFF,
    "key holder": Role.KEY_HOLDER,
    "deputy DSL": Role.DEPUTY_DSL,
    "DSL": Role.DSL,
    "headteacher": Role.HEADTEACHER,
    "governor": Role.GOVERNOR,
    "school administrator": Role.SCHOOL_ADMIN,
    "trust admin": Role.TRUST_ADMIN,
    "trust safeguarding lead": Role.TRUST_SAFEGUARDING_LEAD,
    "trustee": Role.TRUSTEE,
}
TARGETS = [name for name, role in ROLE_NAMES.items() if role in SCHOOL_ROLES]
ACTORS = [*ROLE_NAMES, "operator"]
ELSE, SELF, MORE = "someone else", "themselves", "someone with more access"
RELATIONS = (ELSE, SELF, MORE)
ALLOWED, REFUSED, NOBODY = "allowed", "refused", "—"

# Each way, the audit row it leaves when allowed, and the way its refusal names.
WAYS: dict[str, tuple[AuditAction, str]] = {
    "invitation": (AuditAction.INVITATION_SENT, "invitation"),
    "role change": (AuditAction.ROLE_CHANGED, "role change"),
    "removal": (AuditAction.MEMBERSHIP_REMOVED, "removal"),
    "DSL handover": (AuditAction.DSL_HANDOVER, "DSL handover"),
    "key-holder grant": (AuditAction.KEY_HOLDER_ACCESS_CHANGED, "key-holder grant"),
    "two-factor reset": (AuditAction.TOTP_RESET, "two-factor reset"),
    "DSL naming": (AuditAction.DSL_HANDOVER, "DSL naming"),
    "DSL replacement": (AuditAction.DSL_HANDOVER_REQUESTED, "DSL naming"),
    "two-factor reset by the trust": (AuditAction.TOTP_RESET, "two-factor reset by the trust"),
    "DSL confirmation": (AuditAction.DSL_HANDOVER, "DSL confirmation"),
}
# Ways whose target role is the one given; in every other way it is the one held in the school.
GIVING_WAYS = frozenset({"invitation", "role change"})

Key = tuple[str, str, str, str]  # way, acting role, target role, relation


def _cells(text: str) -> list[str]:
    return [cell.strip() for cell in text.strip().strip("|").split("|")]


def _names(cell: str) -> list[str]:
    return TARGETS if cell == "every school role" else [n.strip() for n in cell.split(",")]


def _doc_lines() -> list[str]:
    return DOC.read_text(encoding="utf-8").splitlines()


def parse_access_order() -> dict[str, int]:
    lines = [line.strip() for line in _doc_lines()]
    start = lines.index("| access | roles |") + 2
    order: dict[str, int] = {}
    for line in itertools.takewhile(lambda x: x.startswith("|"), lines[start:]):
        access, roles = _cells(line)
        order |= dict.fromkeys(_names(roles), int(access))
    return order


def parse_table() -> tuple[dict[Key, str], list[Key]]:
    """The table's answer per combination, and any combination it answers twice."""
    lines = _doc_lines()
    start = next(i for i, line in enumerate(lines) if line.startswith("<!-- grant-matrix")) + 3
    answers: dict[Key, str] = {}
    twice: list[Key] = []
    for line in itertools.takewhile(lambda x: x.startswith("|"), lines[start:]):
        way, acting, targets, *outcomes = _cells(line)
        for actor, target in itertools.product(_names(acting), _names(targets)):
            for relation, outcome in zip(RELATIONS, outcomes, strict=True):
                key = (way, actor, target, relation)
                if key in answers:
                    twice.append(key)
                answers[key] = outcome
    return answers, twice


ACCESS = parse_access_order()
EXPECTED, ANSWERED_TWICE = parse_table()


def test_the_table_names_every_combination() -> None:
    every = set(itertools.product(WAYS, ACTORS, TARGETS, RELATIONS))
    assert not (every - set(EXPECTED)), sorted(every - set(EXPECTED))[:20]
    assert not (set(EXPECTED) - every), sorted(set(EXPECTED) - every)[:20]
    assert not ANSWERED_TWICE, ANSWERED_TWICE[:20]
    assert set(EXPECTED.values()) <= {ALLOWED, REFUSED, NOBODY}
    assert set(ACCESS) == set(ROLE_NAMES)


def _nobody_can_exist(way: str, actor: str, target: str, relation: str) -> bool:
    """Where the table may say "—": a person the school cannot have (docs/security.md)."""
    top = relation == MORE and ACCESS.get(actor, 0) == max(ACCESS.values())
    nothing_of_their_own = (
        relation == SELF
        and way in {"role change", "removal"}
        and ROLE_NAMES.get(actor) not in SCHOOL_ROLES
    )
    one_dsl = (
        relation != SELF
        and target == "DSL"
        and way not in GIVING_WAYS
        and (actor == "DSL" or way == "DSL naming")
    )
    return top or nothing_of_their_own or one_dsl


def test_the_table_says_nobody_exactly_where_nobody_can_exist() -> None:
    wrong = [
        key for key, outcome in EXPECTED.items() if (outcome == NOBODY) != _nobody_can_exist(*key)
    ]
    assert not wrong, wrong[:20]


# --- driving the services ------------------------------------------------------------------------

_serial = itertools.count()


def _new_person() -> User:
    return user_create(
        email=f"grant.target.{next(_serial)}@example.org", full_name="Target Person", password=None
    )


@dataclass
class Scene:
    world: World
    actor: User
    actor_name: str
    # People made once per test, before the savepoints: (role held in school A, more access?).
    people: dict[tuple[Role, bool], User] = field(default_factory=dict)

    @property
    def school(self):  # type: ignore[no-untyped-def]
        return self.world.school_a

    def prepare(self) -> None:
        """Someone else, and someone with more access, for each role but the one DSL."""
        top = ACCESS.get(self.actor_name, 0) == max(ACCESS.values())
        variants = (False,) if top else (False, True)
        for role, more in itertools.product(SCHOOL_ROLES - {Role.DSL}, variants):
            user = _new_person()
            school_membership_add(user=user, school=self.school, role=role)
            if more:
                self.raise_above_actor(user)
            self.people[role, more] = user

    def dsl(self) -> User | None:
        membership = SchoolMembership.objects.filter(school=self.school, role=Role.DSL).first()
        return membership.user if membership else None

    def role_of(self, user: User) -> str | None:
        return (
            SchoolMembership.objects.filter(user=user, school=self.school)
            .values_list("role", flat=True)
            .first()
        )

    def holding(self, role: Role, *, more: bool = False) -> User:
        """Someone else holding `role` in school A; with `more`, also a role above the actor's."""
        if role != Role.DSL:
            return self.people[role, more]
        dsl = self.dsl()
        assert dsl is not None
        if more:
            self.raise_above_actor(dsl)
        return dsl

    def raise_above_actor(self, user: User) -> None:
        """Gives `user` a role elsewhere, one step above the actor's in the access order."""
        wanted = ACCESS.get(self.actor_name, 0) + 1
        name = next(n for n, a in ACCESS.items() if a == wanted and n != "DSL")
        role = ROLE_NAMES[name]
        if role in SCHOOL_ROLES:
            school_membership_add(user=user, school=self.world.school_b, role=role)
        else:
            trust_membership_add(user=user, trust=self.world.trust, role=role)

    def target(self, role: Role, relation: str) -> User:
        if relation == SELF:
            return self.actor
        return self.holding(role, more=relation == MORE)


def _with_two_factor(user: User) -> User:
    User.objects.filter(pk=user.pk).update(
        totp_secret_encrypted=secret_encrypt("JBSWY3DPEHPK3PXP"), totp_confirmed_at=timezone.now()
    )
    user.refresh_from_db()
    return user


# Each driver sets the scene and returns: who is acted on (None: no account yet), the call,
# and a snapshot of what the call would change.
Driver = Callable[
    [Scene, Role, str], tuple[User | None, Callable[[], object], Callable[[], object]]
]


def _invitation(scene: Scene, role: Role, relation: str):  # type: ignore[no-untyped-def]
    if relation == ELSE:
        target, email = None, f"grant.invitee.{next(_serial)}@example.org"
    else:
        target = scene.actor if relation == SELF else _new_person()
        if relation == MORE:
            scene.raise_above_actor(target)
        email = target.email

    def call() -> object:
        return invitation_send(
            school=scene.school,
            email=email,
            full_name="Target Person",
            role=role,
            actor=scene.actor,
        )

    return (
        target,
        call,
        lambda: list(SchoolMembership.objects.filter(user__email=email).values_list("role")),
    )


def _role_change(scene: Scene, role: Role, relation: str):  # type: ignore[no-untyped-def]
    base = Role.GOVERNOR if role == Role.STAFF else Role.STAFF
    target = scene.target(base, relation)
    membership = SchoolMembership.objects.get(user=target, school=scene.school)

    def call() -> object:
        return school_membership_set_role(membership=membership, role=role, actor=scene.actor)

    return target, call, lambda: scene.role_of(target)


def _removal(scene: Scene, role: Role, relation: str):  # type: ignore[no-untyped-def]
    target = scene.target(role, relation)
    membership = SchoolMembership.objects.get(user=target, school=scene.school)

    def call() -> object:
        return school_membership_remove(membership=membership, actor=scene.actor)

    return target, call, lambda: scene.role_of(target)


def _handover(scene: Scene, role: Role, relation: str):  # type: ignore[no-untyped-def]
    target = scene.target(role, relation)

    def call() -> object:
        return dsl_handover(school=scene.school, new_dsl=target, actor=scene.actor)

    return target, call, lambda: (scene.dsl(), scene.role_of(target))


def _key_holder_grant(scene: Scene, role: Role, relation: str):  # type: ignore[no-untyped-def]
    target = scene.target(role, relation)

    def call() -> object:
        with schema_context(scene.school.schema_name):
            return key_holder_access_set(
                school=scene.school,
                key_holder=target,
                # A grant names at least one category and one year group.
                category_ids=list(
                    Category.objects.filter(sensitivity=Category.Sensitivity.STANDARD)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:1]
                ),
                year_groups=[7],
                actor=scene.actor,
            )

    def snapshot() -> object:
        with schema_context(scene.school.schema_name):
            return KeyHolderGrant.objects.filter(user_id=target.pk).exists()

    return target, call, snapshot


def _two_factor_reset(scene: Scene, role: Role, relation: str):  # type: ignore[no-untyped-def]
    target = _with_two_factor(scene.target(role, relation))

    def call() -> object:
        return totp_reset(user=target, actor=scene.actor, school=scene.school)

    return target, call, lambda: User.objects.get(pk=target.pk).has_two_factor


def _trust_two_factor_reset(scene: Scene, role: Role, relation: str):  # type: ignore[no-untyped-def]
    target = _with_two_factor(scene.target(role, relation))

    def call() -> object:
        return totp_reset(user=target, actor=scene.actor, trust=scene.world.trust)

    return target, call, lambda: User.objects.get(pk=target.pk).has_two_factor


def _naming(scene: Scene, role: Role, relation: str):  # type: ignore[no-untyped-def]
    target = scene.target(role, relation)

    def call() -> object:
        return school_dsl_assign(
            school=scene.school,
            email=target.email,
            full_name=target.full_name,
            actor=scene.actor,
        )

    def snapshot() -> object:
        waiting = DslHandoverRequest.objects.filter(nominee=target, status="pending").exists()
        return scene.dsl(), waiting

    return target, call, snapshot


def _naming_without_dsl(scene: Scene, role: Role, relation: str):  # type: ignore[no-untyped-def]
    SchoolMembership.objects.filter(school=scene.school, role=Role.DSL).delete()
    return _naming(scene, role, relation)


def _confirmation(scene: Scene, role: Role, relation: str):  # type: ignore[no-untyped-def]
    target = scene.target(role, relation)
    waiting = DslHandoverRequest.objects.create(
        school=scene.school,
        nominee=target,
        requested_by=scene.world.person("trust", Role.TRUST_ADMIN),
    )

    def call() -> object:
        return dsl_handover_confirm(handover_request=waiting, actor=scene.actor)

    return target, call, lambda: (scene.dsl(), scene.role_of(target))


DRIVERS: dict[str, Driver] = {
    "invitation": _invitation,
    "role change": _role_change,
    "removal": _removal,
    "DSL handover": _handover,
    "key-holder grant": _key_holder_grant,
    "two-factor reset": _two_factor_reset,
    "DSL naming": _naming_without_dsl,
    "DSL replacement": _naming,
    "two-factor reset by the trust": _trust_two_factor_reset,
    "DSL confirmation": _confirmation,
}


def _actor(world: World, name: str) -> User:
    if name == "operator":
        operator = _new_person()
        User.objects.filter(pk=operator.pk).update(is_staff=True, is_superuser=True)
        operator.refresh_from_db()
        return operator
    role = ROLE_NAMES[name]
    return world.person("a" if role in SCHOOL_ROLES else "trust", role)


def _run(scene: Scene, way: str, target_name: str, relation: str, expected: str) -> str | None:
    """One combination; a description of what went wrong, or None."""
    dsl_before = scene.dsl()
    target, call, snapshot = DRIVERS[way](scene, ROLE_NAMES[target_name], relation)
    before, last_event = snapshot(), AuditEvent.objects.order_by("-id").values("id")[:1]
    last_id = last_event[0]["id"] if last_event else 0
    try:
        call()
    except ValidationError:
        outcome = REFUSED
    else:
        outcome = ALLOWED
    if outcome != expected:
        return f"{outcome}, the table says {expected}"
    changed = snapshot() != before
    new = list(AuditEvent.objects.filter(id__gt=last_id, actor_id=scene.actor.pk))
    if expected == ALLOWED and way == "DSL replacement" and scene.dsl() != dsl_before:
        return "the current DSL was replaced before the school confirmed"
    return _audit_problem(way, expected, target, changed, new)


def _audit_problem(
    way: str, expected: str, target: User | None, changed: bool, new: list[AuditEvent]
) -> str | None:
    success, refusal_way = WAYS[way]
    successes = [e for e in new if e.action == success]
    refusals = [e for e in new if e.action == AuditAction.GRANT_REFUSED]
    actions = [e.action for e in new]
    if expected == ALLOWED:
        ok = changed and len(successes) == 1 and not refusals
        return None if ok else f"allowed, but changed={changed}, audited {actions}"
    if changed or successes:
        return f"refused, but changed={changed}, audited {actions}"
    target_id = str(target.pk) if target is not None else ""
    if [(e.data["way"], e.target_id) for e in refusals] != [(refusal_way, target_id)]:
        return f"refused, but its audit rows are {[(e.action, e.data) for e in refusals]}"
    return None


@pytest.mark.parametrize("actor_name", ACTORS)
def test_grant_matrix(world: World, db: None, actor_name: str) -> None:
    """Every way, target role and relation for one acting role; each wrong answer is listed."""
    scene = Scene(world=world, actor=_actor(world, actor_name), actor_name=actor_name)
    scene.prepare()
    wrong = []
    for way, target_name, relation in itertools.product(WAYS, TARGETS, RELATIONS):
        expected = EXPECTED.get((way, actor_name, target_name, relation))
        assert expected is not None, "missing from the table: see the first test"
        if expected == NOBODY:
            continue
        savepoint = transaction.savepoint()
        try:
            problem = _run(scene, way, target_name, relation, expected)
        finally:
            transaction.savepoint_rollback(savepoint)
        if problem:
            wrong.append(f"{way}: {actor_name} → {target_name} ({relation}): {problem}")
    assert not wrong, "\n".join(wrong)


def test_the_docs_table_is_the_one_the_matrix_reads() -> None:
    # A guard on the parser: the table has the columns in the order the matrix reads them.
    header = next(
        line for line in _doc_lines() if re.match(r"\| way \| acting role \| target role", line)
    )
    assert _cells(header) == ["way", "acting role", "target role", *RELATIONS]
