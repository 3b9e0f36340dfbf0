"""How long ago, as the DSL's dashboard and the statistics pages say it."""

from __future__ import annotations

import datetime as dt

from django.template import Context, Template

from trustplatform.when import ago

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def test_under_a_minute_is_just_now_and_longer_says_how_long_ago() -> None:
    assert ago(NOW, NOW) == "just now"
    assert ago(NOW - dt.timedelta(seconds=59), NOW) == "just now"
    assert ago(NOW + dt.timedelta(seconds=5), NOW) == "just now"  # a clock a little ahead
    assert ago(NOW - dt.timedelta(minutes=5), NOW) == "5\xa0minutes ago"
    assert ago(NOW - dt.timedelta(hours=2, minutes=3), NOW) == "2\xa0hours, 3\xa0minutes ago"
    assert ago(None, NOW) == ""


def test_templates_load_it_by_name() -> None:
    page = Template("{% load when %}Recorded {{ at|ago:now }}.")
    assert page.render(Context({"at": NOW, "now": NOW})) == "Recorded just now."
    earlier = Context({"at": NOW - dt.timedelta(days=1), "now": NOW})
    assert page.render(earlier) == "Recorded 1\xa0day ago."
