from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "trustplatform.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from axes.signals import user_locked_out  # noqa: PLC0415 - needs the app registry

        from trustplatform.accounts.lockout import lockout_recorded  # noqa: PLC0415

        user_locked_out.connect(lockout_recorded, dispatch_uid="accounts_lockout_recorded")
