"""Each school's calendar: its terms with their half-terms, and its closure days. Public schema.

Dates only, no child data. Kept beside the school row (not in the school's schema) so that the
trust admin can set one year's dates for every school at once, and so that the trust layer can
ask for a school's current term without entering its schema. Deadlines read them through
`trustplatform.schooldays.calendar` (docs/architecture.md, "School days and working days").
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q


def academic_year_of(day: dt.date) -> int:
    """The calendar year in which the school year holding `day` began (1 September)."""
    return day.year if day.month >= 9 else day.year - 1


def academic_year_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


class Term(models.Model):
    """One of a school year's three terms, with the half-term holiday inside it, if any."""

    class Name(models.TextChoices):
        AUTUMN = "autumn", "Autumn term"
        SPRING = "spring", "Spring term"
        SUMMER = "summer", "Summer term"

    school = models.ForeignKey("tenants.School", on_delete=models.CASCADE, related_name="terms")
    # The year in which the school year begins: 2026 is the school year 2026/27.
    academic_year = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=10, choices=Name.choices)
    first_day = models.DateField()
    last_day = models.DateField()
    half_term_first_day = models.DateField(null=True, blank=True)
    half_term_last_day = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["school", "first_day"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "academic_year", "name"], name="term_one_per_name_and_year"
            ),
            models.CheckConstraint(condition=Q(first_day__lte=F("last_day")), name="term_in_order"),
            models.CheckConstraint(
                condition=Q(half_term_first_day__isnull=True, half_term_last_day__isnull=True)
                | Q(
                    half_term_first_day__gt=F("first_day"),
                    half_term_last_day__lt=F("last_day"),
                    half_term_first_day__lte=F("half_term_last_day"),
                ),
                name="term_half_term_inside",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_name_display()} {academic_year_label(self.academic_year)}"

    @property
    def label(self) -> str:
        return str(self)

    def holds(self, day: dt.date) -> bool:
        """Whether `day` falls within the term's dates, half-term included."""
        return self.first_day <= day <= self.last_day

    def in_half_term(self, day: dt.date) -> bool:
        return (
            self.half_term_first_day is not None
            and self.half_term_last_day is not None
            and self.half_term_first_day <= day <= self.half_term_last_day
        )


class ClosureDay(models.Model):
    """A day in term on which the school is closed: an INSET day, a snow day, a polling day."""

    school = models.ForeignKey(
        "tenants.School", on_delete=models.CASCADE, related_name="closure_days"
    )
    day = models.DateField()
    reason = models.CharField(max_length=100)

    class Meta:
        ordering = ["school", "day"]
        constraints = [
            models.UniqueConstraint(fields=["school", "day"], name="closure_day_once_per_school")
        ]

    def __str__(self) -> str:
        return f"{self.day:%d %b %Y}: {self.reason}"
