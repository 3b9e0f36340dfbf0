"""What the API reads and writes: plain shapes over the models, no rules of their own."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from safeguarding.models import Action, Category, ChronologyEntry, Concern, Pupil
from safeguarding.services.pupils import EDITABLE_FIELDS

ROLL_FIELDS = ("id", *EDITABLE_FIELDS, "updated_at")


class ErrorBodySerializer(serializers.Serializer[Any]):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.JSONField())  # type: ignore[assignment]


class ErrorSerializer(serializers.Serializer[Any]):
    """Every refusal of the API has this shape."""

    error = ErrorBodySerializer()


class SafeguardingFlagsSerializer(serializers.ModelSerializer[Pupil]):
    class Meta:
        model = Pupil
        fields = (
            "child_protection_plan",
            "child_protection_plan_since",
            "child_in_need_plan",
            "child_in_need_plan_since",
            "looked_after",
            "looked_after_since",
            "early_help",
            "early_help_since",
        )


class PupilSerializer(serializers.ModelSerializer[Pupil]):
    """A pupil as the MIS knows them; `safeguarding` only for readers of child records (null
    for a pupil-sync key, which never reads the safeguarding flags)."""

    safeguarding = serializers.SerializerMethodField()

    class Meta:
        model = Pupil
        fields = (*ROLL_FIELDS, "safeguarding")

    @extend_schema_field(SafeguardingFlagsSerializer(allow_null=True))
    def get_safeguarding(self, pupil: Pupil) -> dict[str, Any] | None:
        if not self.context.get("with_flags"):
            return None
        return dict(SafeguardingFlagsSerializer(pupil).data)


class CategorySerializer(serializers.ModelSerializer[Category]):
    class Meta:
        model = Category
        fields = ("id", "code", "name", "parent", "sensitivity")


class ActionSerializer(serializers.ModelSerializer[Action]):
    class Meta:
        model = Action
        fields = (
            "id",
            "concern",
            "kind",
            "description",
            "assignee_id",
            "assignee_name",
            "due_on",
            "outcome",
            "completed_at",
            "created_by_id",
            "created_by_name",
            "created_at",
        )


class ConcernSerializer(serializers.ModelSerializer[Concern]):
    pupils = serializers.PrimaryKeyRelatedField[Pupil](many=True, read_only=True)
    categories = serializers.PrimaryKeyRelatedField[Category](many=True, read_only=True)

    class Meta:
        model = Concern
        fields = (
            "id",
            "pupils",
            "categories",
            "source",
            "occurred_at",
            "recorded_at",
            "location",
            "account",
            "action_taken",
            "told_dsl_in_person",
            "author_id",
            "author_name",
            "author_role",
            "status",
            "level",
            "screened_at",
            "closed_at",
        )


class ConcernCreateSerializer(serializers.Serializer[Any]):
    """A concern as any member of staff records it (the service checks every rule)."""

    pupil_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=50,
    )
    category_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=50,
    )
    account = serializers.CharField(max_length=20000)
    occurred_at = serializers.DateTimeField(required=False)
    backdate_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    location = serializers.CharField(required=False, allow_blank=True, max_length=200)
    action_taken = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    told_dsl_in_person = serializers.BooleanField(required=False, default=False)


class ConcernReceiptSerializer(serializers.ModelSerializer[Concern]):
    """What its author gets back: the receipt, as on the page after recording."""

    class Meta:
        model = Concern
        fields = ("id", "recorded_at", "occurred_at", "status", "author_name")


class EncompassNotificationSerializer(serializers.Serializer[Any]):
    """A police force's Operation Encompass notification (the service checks every rule)."""

    # Blank is left to the service, whose message says what to give.
    police_force = serializers.CharField(
        max_length=200, allow_blank=True, help_text="The force that sent it."
    )
    incident_reference = serializers.CharField(max_length=100, allow_blank=True)
    incident_at = serializers.DateTimeField(help_text="When the incident happened.")
    notification = serializers.CharField(max_length=20000, help_text="What the police said.")
    upn = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=13,
        help_text="The pupil's UPN (a pupil on roll here); or give pupil_id.",
    )
    pupil_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class EncompassReceiptSerializer(serializers.ModelSerializer[Concern]):
    """The concern the notification became, and when it must be screened by."""

    due_at = serializers.SerializerMethodField()

    class Meta:
        model = Concern
        fields = ("id", "recorded_at", "occurred_at", "status", "author_name", "due_at")

    def get_due_at(self, concern: Concern) -> dt.datetime:
        return self.context["due_at"]


class ChronologyEntrySerializer(serializers.ModelSerializer[ChronologyEntry]):
    class Meta:
        model = ChronologyEntry
        fields = (
            "id",
            "pupil",
            "kind",
            "occurred_at",
            "recorded_at",
            "source",
            "author_id",
            "author_name",
            "author_role",
            "title",
            "body",
            "category_ids",
            "concern",
            "supersedes",
        )


# Dates a record can carry: anything outside is a typing error, refused with a message.
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def _within(day: dt.date) -> None:
    if not EARLIEST <= day <= LATEST:
        raise serializers.ValidationError(f"Give a date between {EARLIEST} and {LATEST}.")


class RecordsFilterSerializer(serializers.Serializer[Any]):
    """The filters of a list of records: dates (London days, inclusive) and a category."""

    since = serializers.DateField(required=False, validators=[_within])
    until = serializers.DateField(required=False, validators=[_within])
    category = serializers.IntegerField(required=False, min_value=1, max_value=2**62)


class PupilFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=("on_roll", "leavers", "all"), required=False, default="all"
    )
    year_group = serializers.IntegerField(required=False, min_value=-1, max_value=13)


class PupilSyncSerializer(serializers.Serializer[Any]):
    pupils = serializers.ListField(
        child=serializers.DictField(child=serializers.JSONField()),
        min_length=1,
        max_length=5000,
        help_text=(
            "One object per pupil, keyed on upn (and mis_id, the MIS's own pupil id, when "
            "given); other fields as in the pupil import "
            f"({', '.join(EDITABLE_FIELDS)}). A field left out is left as it is."
        ),
    )


class SyncRowResultSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField()
    upn = serializers.CharField(allow_blank=True)
    outcome = serializers.ChoiceField(choices=("created", "updated", "unchanged", "rejected"))
    pupil_id = serializers.IntegerField(allow_null=True)
    changes = serializers.ListField(child=serializers.CharField())
    reasons = serializers.ListField(child=serializers.CharField())
    marks_leaver = serializers.BooleanField()


class PupilSyncResultSerializer(serializers.Serializer[Any]):
    run_id = serializers.IntegerField(help_text="The run's id on the sync report page.")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    leavers = serializers.IntegerField()
    rows = SyncRowResultSerializer(many=True)
