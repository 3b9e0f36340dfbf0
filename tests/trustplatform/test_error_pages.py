"""The error pages: a database out of reach answers "briefly unavailable" (503), anything else
the plain 500 page; neither needs the database to be drawn. The whole path, with PostgreSQL
restarted under gunicorn, is in tests/faults/test_database_restart.py."""

from __future__ import annotations

from django.db.utils import IntegrityError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.test import RequestFactory

from trustplatform.views import server_error


def _page_while_handling(error: Exception) -> HttpResponse:
    request = RequestFactory().get("/concerns/new/")
    try:
        raise error
    except Exception:  # Django calls handler500 inside its own except block, as here
        return server_error(request)


def test_a_lost_database_connection_asks_to_try_again_shortly() -> None:
    for error in (OperationalError("connection refused"), InterfaceError("connection closed")):
        response = _page_while_handling(error)
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        text = response.content.decode()
        assert "The service is briefly unavailable" in text
        assert "may not have been saved" in text


def test_any_other_failure_shows_the_something_went_wrong_page() -> None:
    for error in (IntegrityError("duplicate key"), ValueError("bad value")):
        response = _page_while_handling(error)
        assert response.status_code == 500
        assert "Something went wrong" in response.content.decode()
