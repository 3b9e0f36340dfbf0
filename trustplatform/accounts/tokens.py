"""Password-reset and invitation tokens, each valid only on the site that issued it.

Django's tokens are single-use (they hash the password and last login) and time-limited. Here the
site's schema is hashed in too, so a link of one school opens nothing on another school's site
(it gets the same "invalid link" page as a forged one), and each kind of link has its own salt
and lifetime: an invitation to a role that reads child records lives a day (docs/security.md).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int

from tenants.db import school_connection
from trustplatform.accounts.models import SchoolMembership, User
from trustplatform.permissions import CHILD_DATA_ROLES


class SiteBoundTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "trustplatform.accounts.tokens.PasswordReset"

    def __init__(self, place: str | None = None) -> None:
        super().__init__()
        # The schema of the issuing site; None: the site of the current request.
        self.place = place

    def _place(self) -> str:
        return self.place or school_connection.schema_name

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        return f"{super()._make_hash_value(user, timestamp)}|{self._place()}"

    def max_age(self, user: User) -> int:
        return int(settings.PASSWORD_RESET_TIMEOUT)

    def check_token(self, user: User | None, token: str | None) -> bool:
        # As Django's, with the lifetime of this kind of link instead of PASSWORD_RESET_TIMEOUT.
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return self._num_seconds(self._now()) - ts <= self.max_age(user)


class InvitationTokenGenerator(SiteBoundTokenGenerator):
    key_salt = "trustplatform.accounts.tokens.Invitation"

    def max_age(self, user: User) -> int:
        role = (
            SchoolMembership.objects.filter(user=user, school__schema_name=self._place())
            .values_list("role", flat=True)
            .first()
        )
        if role in CHILD_DATA_ROLES:
            return int(settings.RECORD_ROLE_INVITATION_TIMEOUT)
        return int(settings.INVITATION_TIMEOUT)


password_reset_tokens = SiteBoundTokenGenerator()
invitation_tokens = InvitationTokenGenerator()
