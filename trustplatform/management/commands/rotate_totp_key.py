"""`manage.py rotate_totp_key`: re-encrypts every TOTP secret under the first configured key.

Put the new key first in TOTP_ENCRYPTION_KEY (comma-separated, the old one after it), run this,
then drop the old key (docs/security.md).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trustplatform.accounts.services import totp_secrets_rotate


class Command(BaseCommand):
    help = "Re-encrypts every TOTP secret under the first key of TOTP_ENCRYPTION_KEY."

    def handle(self, *args: Any, **options: Any) -> None:
        count = totp_secrets_rotate()
        self.stdout.write(f"Re-encrypted {count} TOTP secrets under the first key.")
