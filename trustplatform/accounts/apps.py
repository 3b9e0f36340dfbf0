from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "trustplatform.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from axes.signals import user_locked_out  # noqa: PLC0415 - needs the app registry
        from django.contrib.auth.signals import user_login_failed  # noqa: PLC0415

        # Registers the outbox's email of a role given (an invitation), for the workers too.
        from trustplatform.accounts import services  # noqa: F401, PLC0415
        from trustplatform.accounts.lockout import (  # noqa: PLC0415
            account_failure_recorded,
            lockout_recorded,
        )

        user_locked_out.connect(lockout_recorded, dispatch_uid="accounts_lockout_recorded")
        user_login_failed.connect(
            account_failure_recorded, dispatch_uid="accounts_account_failure_recorded"
        )
