from __future__ import annotations

from django.urls import path

from trustplatform.accounts import views_school

app_name = "staff"

urlpatterns = [
    path("", views_school.staff_list, name="list"),
    path("invite/", views_school.staff_invite, name="invite"),
    path("handover/", views_school.dsl_handover, name="handover"),
    path("handover/<int:request_id>/confirm/", views_school.dsl_confirm, name="dsl_confirm"),
    path("handover/<int:request_id>/decline/", views_school.dsl_decline, name="dsl_decline"),
    path("api-keys/", views_school.api_keys, name="api_keys"),
    path("api-keys/<int:key_id>/revoke/", views_school.api_key_revoke_view, name="api_key_revoke"),
    path("<int:membership_id>/role/", views_school.staff_role_change, name="role_change"),
    path("<int:membership_id>/remove/", views_school.staff_remove, name="remove"),
    path("<int:membership_id>/access/", views_school.key_holder_access, name="key_holder_access"),
    path(
        "<int:membership_id>/two-factor-reset/",
        views_school.staff_two_factor_reset,
        name="two_factor_reset",
    ),
]
