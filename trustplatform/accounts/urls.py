"""Account pages, served on every school's site and on the root domain alike."""

from __future__ import annotations

from django.urls import path

from trustplatform.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("", views.account, name="account"),
    path("session/", views.session_time, name="session_time"),
    path("sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path(
        "two-factor/recovery-codes/",
        views.recovery_codes_regenerate,
        name="recovery_codes_regenerate",
    ),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        views.simple_message(
            "Check your email",
            "If that address belongs to an account for this site, a link to set a new password "
            "is on its way. It works once, within an hour.",
        ),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        views.simple_message("Password saved", "Your new password is saved. You can sign in now."),
        name="password_reset_complete",
    ),
    path(
        "invite/<uidb64>/<token>/", views.InvitationAcceptView.as_view(), name="invitation_accept"
    ),
]
