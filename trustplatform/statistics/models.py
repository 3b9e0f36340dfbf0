"""Trust statistics: counts per school, rolled up from each school's schema. Never identities.

These tables live in the public schema and hold counts only: no pupil, no name, no text. They
are rewritten for one school at a time by `services.school_statistics_refresh`, which runs the
aggregate queries inside that school's schema (trust statistics read from a rollup, not by
visiting every schema: docs/rules.md, "Trust statistics").

The unit of the concern counts is **a concern about a child**: a concern about two children
counts once for each of them, under each child's year group. That is how each child's
chronology holds it, and it makes every breakdown add up (each unit has exactly one month and one
year group), which the secondary suppression relies on. A concern is counted under the month it
happened (occurred_at, Europe/London) and its children's current year groups. Only the current
version of a corrected concern is counted.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models


class SchoolSnapshot(models.Model):
    """Current counts of one school, refreshed from its schema by the rollup.

    Open cases, overdue actions and concerns waiting for screening count concerns/actions (cases),
    not children; `refreshed_at` is when the school's rollup rows were last rewritten.
    """

    school = models.OneToOneField(
        "tenants.School", on_delete=models.CASCADE, related_name="snapshot"
    )
    pupils_on_roll = models.PositiveIntegerField(default=0)
    open_cases = models.PositiveIntegerField(default=0)
    overdue_actions = models.PositiveIntegerField(default=0)
    unscreened_over_24h = models.PositiveIntegerField(default=0)
    # Alert emails the school's outbox gave up on: not a count of children or concerns, shown
    # to the trust lead as it is, so that someone makes sure the alert is heard.
    alerts_undelivered = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    # When a figure changes with no commit at all (a concern passes 24 hours unscreened, an
    # action passes its due date, a pupil's leaving date arrives): the school is refreshed then.
    next_change_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["next_change_at"], name="snapshot_next_change"),
            # The few schools with undelivered alerts, found without reading every snapshot.
            models.Index(
                fields=["school"],
                condition=models.Q(alerts_undelivered__gt=0),
                name="snapshot_alerts_undelivered",
            ),
        ]

    def __str__(self) -> str:
        return f"snapshot of school {self.school_id}"


class ConcernCounts(models.Model):
    """The counts of one month and year group, for a school's rollup and a trust's alike."""

    month = models.DateField(help_text="The first day of the month.")
    year_group = models.SmallIntegerField()
    concerns = models.PositiveIntegerField(default=0)
    screened_late = models.PositiveIntegerField(default=0)
    referrals_social_care = models.PositiveIntegerField(default=0)
    referrals_police = models.PositiveIntegerField(default=0)
    referrals_early_help = models.PositiveIntegerField(default=0)
    lado_referrals = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class ConcernRollup(ConcernCounts):
    """Concerns about a child in one school, month and year group, and what followed them.

    Each follow-up column counts the concerns-about-a-child of the cell that had at least one
    such follow-up (a referral to social care, the police, early help; an allegation reported
    to the LADO), or that were not screened within 24 hours of being recorded.
    """

    school = models.ForeignKey(
        "tenants.School", on_delete=models.CASCADE, related_name="concern_rollups"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school", "month", "year_group"], name="concernrollup_one_row_per_key"
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="concernrollup_month_first_day"
            ),
        ]
        indexes = [models.Index(fields=["month", "school"], name="concernrollup_month")]

    def __str__(self) -> str:
        return f"rollup of school {self.school_id} {self.month:%Y-%m} year {self.year_group}"


class SchoolMonthRollup(models.Model):
    """One school's concerns of one month and what followed them, all year groups together.

    The sum of the school's `ConcernRollup` rows of that month, rewritten with them by every
    refresh of the school (and for every school by the nightly rebuild). The trust dashboard's
    per-school table reads it: a school's figures over a period are its rows of the period's
    months, a dozen at most, where its `ConcernRollup` rows are as many again per year group.
    `trust` is the school's, copied here so that the rows of a trust's schools over a period are
    one range of one index, read without visiting the schools' other rows.
    """

    school = models.ForeignKey(
        "tenants.School", on_delete=models.CASCADE, related_name="month_rollups"
    )
    trust = models.ForeignKey(
        "tenants.Trust", on_delete=models.CASCADE, related_name="school_month_rollups"
    )
    month = models.DateField(help_text="The first day of the month.")
    concerns = models.PositiveIntegerField(default=0)
    screened_late = models.PositiveIntegerField(default=0)
    referrals_social_care = models.PositiveIntegerField(default=0)
    referrals_police = models.PositiveIntegerField(default=0)
    referrals_early_help = models.PositiveIntegerField(default=0)
    lado_referrals = models.PositiveIntegerField(default=0)
    # The year groups and category codes whose cells the school's own page of this month hides
    # (the same suppression, decided when the rows are rewritten): the trust's cell is hidden
    # when exactly one school hides its part (docs/rules.md, "Small numbers in statistics").
    hidden_year_groups = ArrayField(models.SmallIntegerField(), default=list, blank=True)
    hidden_categories = ArrayField(models.CharField(max_length=50), default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school", "month"], name="schoolmonthrollup_one_row_per_key"
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="schoolmonthrollup_month_first_day"
            ),
        ]
        indexes = [
            models.Index(
                fields=["trust", "month"],
                include=[
                    "school",
                    "concerns",
                    "screened_late",
                    "referrals_social_care",
                    "referrals_police",
                    "referrals_early_help",
                    "lado_referrals",
                ],
                name="schoolmonthrollup_trust_month",
            )
        ]

    def __str__(self) -> str:
        return f"month rollup of school {self.school_id} {self.month:%Y-%m}"


class CategoryRollup(models.Model):
    """Concerns about a child in one school, month, category and year group.

    A concern can carry several categories, so it counts once under each: the categories of a
    month add up to at least that month's concerns, never less. Categories are added up across
    schools by their stable code; a school's own categories (no code) share the code "".
    """

    school = models.ForeignKey(
        "tenants.School", on_delete=models.CASCADE, related_name="category_rollups"
    )
    month = models.DateField(help_text="The first day of the month.")
    category_code = models.CharField(max_length=50, blank=True)
    year_group = models.SmallIntegerField()
    concerns = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school", "month", "category_code", "year_group"],
                name="categoryrollup_one_row_per_key",
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="categoryrollup_month_first_day"
            ),
        ]
        indexes = [models.Index(fields=["month", "school"], name="categoryrollup_month")]

    def __str__(self) -> str:
        return f"category rollup of school {self.school_id} {self.month:%Y-%m}"


class TrustConcernRollup(ConcernCounts):
    """The sum of a trust's `ConcernRollup` rows per month and year group (all its schools).

    Rewritten from the school rows, in the same transaction, at the end of every school refresh
    (and so by the nightly rebuild), under a lock on the trust: it always equals the sum of its
    schools' rows. The trust dashboard's month, year-group and follow-up figures read it, so they
    cost the same rows whatever the number of schools.
    """

    trust = models.ForeignKey(
        "tenants.Trust", on_delete=models.CASCADE, related_name="concern_rollups"
    )
    # How many schools' own pages of the month hide their cell of this year group
    # (`SchoolMonthRollup.hidden_year_groups`): at exactly 1 the trust's cell is hidden too.
    schools_hiding = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["trust", "month", "year_group"], name="trustconcernrollup_one_row_per_key"
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="trustconcernrollup_month_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"rollup of trust {self.trust_id} {self.month:%Y-%m} year {self.year_group}"


class TrustCategoryRollup(models.Model):
    """The sum of a trust's `CategoryRollup` rows per month and category code (all year groups).

    Kept like `TrustConcernRollup`. Without the year group: the trust's category table and chart
    add categories up over year groups, and this keeps the table a few hundred rows at most.
    """

    trust = models.ForeignKey(
        "tenants.Trust", on_delete=models.CASCADE, related_name="category_rollups"
    )
    month = models.DateField(help_text="The first day of the month.")
    category_code = models.CharField(max_length=50, blank=True)
    concerns = models.PositiveIntegerField(default=0)
    # How many schools' own pages of the month hide their cell of this category, as above.
    schools_hiding = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["trust", "month", "category_code"],
                name="trustcategoryrollup_one_row_per_key",
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="trustcategoryrollup_month_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"category rollup of trust {self.trust_id} {self.month:%Y-%m}"


class TrustMonthRollup(models.Model):
    """How many of a trust's schools have each total and follow-up of a month at 1 to 5.

    A school's own page hides such a figure, and the trust's figure of that month is hidden too
    when exactly one school hides its part (docs/rules.md, "Small numbers in statistics").
    Rewritten with the trust's other aggregate rows, so the dashboard reads a row per month, not
    a row per school and month.
    """

    trust = models.ForeignKey(
        "tenants.Trust", on_delete=models.CASCADE, related_name="month_rollups"
    )
    month = models.DateField(help_text="The first day of the month.")
    schools_hiding_concerns = models.PositiveIntegerField(default=0)
    schools_hiding_screened_late = models.PositiveIntegerField(default=0)
    schools_hiding_referrals_social_care = models.PositiveIntegerField(default=0)
    schools_hiding_referrals_police = models.PositiveIntegerField(default=0)
    schools_hiding_referrals_early_help = models.PositiveIntegerField(default=0)
    schools_hiding_lado_referrals = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["trust", "month"], name="trustmonthrollup_one_row_per_key"
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="trustmonthrollup_month_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"month rollup of trust {self.trust_id} {self.month:%Y-%m}"


class TrustSnapshot(models.Model):
    """The trust's figures as of now, summed over its schools' snapshots, and the schools most
    in need of attention: one row per trust, rewritten with its aggregate rows after every
    school refresh (a school's snapshot changes only then), so the dashboard reads one row."""

    trust = models.OneToOneField(
        "tenants.Trust", on_delete=models.CASCADE, related_name="statistics_snapshot"
    )
    pupils_on_roll = models.PositiveIntegerField(default=0)
    # The oldest refresh of the trust's schools' figures.
    refreshed_at = models.DateTimeField(null=True, blank=True)
    open_cases = models.PositiveIntegerField(default=0)
    overdue_actions = models.PositiveIntegerField(default=0)
    unscreened_over_24h = models.PositiveIntegerField(default=0)
    # How many schools have each figure at 1 to 5 (their own figure hidden).
    schools_hiding_open_cases = models.PositiveIntegerField(default=0)
    schools_hiding_overdue_actions = models.PositiveIntegerField(default=0)
    schools_hiding_unscreened_over_24h = models.PositiveIntegerField(default=0)
    # The schools with a figure needing attention, most in need first, as many as the dashboard
    # shows (`services.SCHOOLS_RANKED`); schools needing none follow them by name.
    most_in_need = ArrayField(models.BigIntegerField(), default=list, blank=True)

    def __str__(self) -> str:
        return f"snapshot of trust {self.trust_id}"
