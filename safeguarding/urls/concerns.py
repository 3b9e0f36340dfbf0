from __future__ import annotations

from django.urls import path

from safeguarding.views import allegations, categories, concerns, encompass

urlpatterns = [
    path("concerns/new/", concerns.concern_new, name="concern_new"),
    path("concerns/encompass/new/", encompass.encompass_new, name="encompass_new"),
    path("concerns/mine/", concerns.my_concerns, name="my_concerns"),
    path("concerns/<int:concern_id>/receipt/", concerns.concern_receipt, name="concern_receipt"),
    path("alerts/", concerns.alerts, name="alerts"),
    path("concerns/", concerns.concern_inbox, name="concern_inbox"),
    path("concerns/<int:concern_id>/", concerns.concern_detail, name="concern_detail"),
    path("concerns/<int:concern_id>/screen/", concerns.concern_screen, name="concern_screen"),
    path("concerns/<int:concern_id>/actions/", concerns.action_add, name="action_add"),
    path(
        "concerns/<int:concern_id>/actions/<int:action_id>/complete/",
        concerns.action_complete,
        name="action_complete",
    ),
    path("concerns/<int:concern_id>/status/", concerns.concern_status, name="concern_status"),
    path("concerns/<int:concern_id>/correct/", concerns.concern_correct, name="concern_correct"),
    path("concerns/<int:concern_id>/printed/", concerns.concern_printed, name="concern_printed"),
    path(
        "concerns/<int:concern_id>/allegation/",
        allegations.allegation_update,
        name="allegation_update",
    ),
    path("allegations/<int:concern_id>/", allegations.allegation_detail, name="allegation_detail"),
    path(
        "allegations/case-manager/",
        allegations.allegation_case_manager,
        name="allegation_case_manager",
    ),
]

urlpatterns += [
    path("categories/", categories.category_list, name="category_list"),
    path("categories/add/", categories.category_edit, name="category_add"),
    path("categories/<int:category_id>/", categories.category_edit, name="category_edit"),
    path(
        "categories/<int:category_id>/retire/",
        categories.category_retire,
        name="category_retire",
    ),
]
