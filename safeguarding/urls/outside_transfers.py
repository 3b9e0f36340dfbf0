"""A child's file sent to a school outside the trust (docs/transfers.md, "Outside the trust")."""

from __future__ import annotations

from django.urls import URLPattern, path

from safeguarding.views import outside_transfers

urlpatterns: list[URLPattern] = [
    path(
        "pupils/<int:pupil_id>/outside-transfer/",
        outside_transfers.outside_transfer_start_page,
        name="outside_transfer_start",
    ),
    path(
        "outside-transfers/<int:transfer_id>/",
        outside_transfers.outside_transfer_detail,
        name="outside_transfer_detail",
    ),
    path(
        "outside-transfers/<int:transfer_id>/sent/",
        outside_transfers.outside_transfer_sent_record,
        name="outside_transfer_sent",
    ),
    path(
        "outside-transfers/<int:transfer_id>/receipt/",
        outside_transfers.outside_transfer_receipt_record,
        name="outside_transfer_receipt",
    ),
]
