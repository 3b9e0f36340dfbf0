"""The operator's read-only view of the platform audit log: no one adds, changes or deletes."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from trustplatform.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "occurred_at",
        "action",
        "actor_id",
        "school_id",
        "trust_id",
        "target_type",
        "target_id",
        "ip_address",
    )
    list_filter = ("action",)
    search_fields = ("=actor_id", "=school_id", "=target_id")
    ordering = ("-id",)
    readonly_fields = (
        "occurred_at",
        "action",
        "actor_id",
        "school_id",
        "trust_id",
        "target_type",
        "target_id",
        "data",
        "ip_address",
        "prev_hash",
        "row_hash",
    )
    # Counting every row of a long log on each page is slow and tells the reader nothing.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
