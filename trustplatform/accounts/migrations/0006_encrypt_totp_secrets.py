"""Encrypts every TOTP secret with the key of the environment, and drops the old recovery codes.

The old codes were unsalted SHA-256 hashes of 40-bit codes; they cannot be turned into the new
kind, so their holders make new ones on their account page (or ask for a two-factor reset).
"""

from typing import Any

from django.db import migrations

from trustplatform.accounts.crypto import secret_decrypt, secret_encrypt


def encrypt(apps: Any, schema_editor: Any) -> None:
    User = apps.get_model("accounts", "User")
    for user in User.objects.exclude(totp_secret="").only("pk", "totp_secret"):
        User.objects.filter(pk=user.pk).update(
            totp_secret_encrypted=secret_encrypt(user.totp_secret), totp_secret=""
        )
    apps.get_model("accounts", "RecoveryCode").objects.all().delete()


def decrypt(apps: Any, schema_editor: Any) -> None:
    User = apps.get_model("accounts", "User")
    for user in User.objects.exclude(totp_secret_encrypted="").only("pk", "totp_secret_encrypted"):
        User.objects.filter(pk=user.pk).update(
            totp_secret=secret_decrypt(user.totp_secret_encrypted), totp_secret_encrypted=""
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_totp_secret_encrypted"),
    ]

    operations = [migrations.RunPython(encrypt, decrypt)]
