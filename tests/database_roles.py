"""The two database roles of a test run (docs/security.md, "Database roles"), named here, apart
from tests/conftest.py, so that what starts before Django (the fault tests' private servers and
their PgBouncer) can let them in too.

Made by the role of DATABASE_URL (the machine's superuser in tests) when DATABASE_URL and
DATABASE_OWNER_URL do not already name two roles. Both log in (with trust authentication on
127.0.0.1, or with this invented password where the server asks for one); neither is a superuser;
the owner may create the test database.
"""

TEST_OWNER_ROLE = "safeguarding_test_owner"
TEST_APP_ROLE = "safeguarding_test_app"
TEST_ROLE_PASSWORD = "invented-test-role-password"
