"""The users of the load benchmark (bench/load.py runs locust on this file; not on its own).

Staff record concerns with an attachment, DSLs read their busiest pupil's chronology and their
dashboards, the trust's safeguarding lead reads the trust statistics; `Bare` asks only the bare
view (bench/load_wsgi.py: signed in as a member of staff, behind the same middleware), for the
ceiling, and `Recorder` only records concerns, its peer at the same number of users. Every
school's rows carry a sentinel token of their own: a page showing another
school's token is counted as a cross-school row (failure "cross-school row").

Reads its sessions and hosts from the JSON file named by LOAD_DATA; writes the number of
cross-school rows seen to LOAD_LEAKS when the run ends.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, events, task

DATA: dict[str, Any] = json.loads(Path(os.environ["LOAD_DATA"]).read_text())
TOKEN = re.compile(r"SENTINEL(\d{3})X[0-9a-f]{6}")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# The smallest document the content check accepts as a PDF.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
LEAKS = [0]


def _arrivals_at_random(user: Any) -> float:
    """Seconds until the user's next task: starts at random moments, one a second on average
    (exponential gaps: each user a Poisson process, as people working independently are).

    Locust starts a stage's users together; with a fixed pace of one a second they would then
    ask all at the same instant, every second, a burst no school's staff make. The schedule is
    kept from start to start, so the offered rate stays one a second even when tasks take time;
    a task that overruns its slot does not make the next ones bunch up."""
    now = time.monotonic()
    due = max(getattr(user, "next_start", now) + random.expovariate(1.0), now)
    user.next_start = due
    return due - now


@events.quitting.add_listener
def _write_leaks(**kwargs: Any) -> None:
    Path(os.environ["LOAD_LEAKS"]).write_text(str(LEAKS[0]))


class Visitor(HttpUser):
    abstract = True
    # Each user starts a task a second on average, at random: the offered rate is the number of
    # users.
    wait_time = _arrivals_at_random
    school: dict[str, Any] | None = None
    session_key = ""

    def start_at_random(self) -> None:
        """Waits before the first task as between two (the users of a stage start together)."""
        gevent.sleep(_arrivals_at_random(self))

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        host = self.school["host"] if self.school else DATA["root_host"]
        cookies = {DATA["session_cookie"]: self.session_key} | (extra or {})
        return {
            "Host": host,
            # Behind the load balancer, as production is: HTTPS ended there.
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        }

    def get(self, path: str, name: str) -> str:
        with self.client.get(
            path, headers=self.headers(), name=name, catch_response=True, allow_redirects=False
        ) as response:
            self.check(response, 200)
            return response.text

    def check(self, response: Any, status: int) -> None:
        if response.status_code != status:
            response.failure(f"status {response.status_code}")
            return
        mine = self.school["index"] if self.school else None
        others = [int(n) for n in TOKEN.findall(response.text) if int(n) != mine]
        if others:
            LEAKS[0] += len(others)
            response.failure("cross-school row")
        else:
            response.success()

    def post_concern(self, token: str, csrf_cookie: str) -> None:
        school = self.school
        assert school is not None
        headers = self.headers({DATA["csrf_cookie"]: csrf_cookie}) | {
            "Origin": f"https://{school['host']}"
        }
        fields = {
            "csrfmiddlewaretoken": token,
            "pupils": [str(random.choice(school["pupils"]))],
            "categories": [str(school["category"])],
            "occurred_at": time.strftime("%Y-%m-%dT%H:%M"),
            "location": "Playground",
            "account": f"{school['token']}: said a parent shouted at him this morning.",
        }
        with self.client.post(
            "/concerns/new/",
            data=fields,
            files={"attachments": ("note.pdf", PDF, "application/pdf")},
            headers=headers,
            name="record concern",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            self.check(response, 302)


class Staff(Visitor):
    weight = 3

    def on_start(self) -> None:
        self.school = random.choice(DATA["schools"])
        self.session_key = self.school["staff_session"]
        self.start_at_random()

    @task
    def record_a_concern(self) -> None:
        form = self.client.get(
            "/concerns/new/", headers=self.headers(), name="concern form", allow_redirects=False
        )
        found = CSRF_FIELD.search(form.text)
        csrf_cookie = form.cookies.get(DATA["csrf_cookie"])
        if form.status_code != 200 or not found or not csrf_cookie:
            return
        self.post_concern(found.group(1), csrf_cookie)


class Recorder(Visitor):
    """Only records concerns (with the attachment), the peer of `Bare` at the same number of
    users: the form is fetched once, for its CSRF token, as a page left open would be."""

    token = ""
    csrf_cookie = ""

    def on_start(self) -> None:
        self.school = random.choice(DATA["schools"])
        self.session_key = self.school["staff_session"]
        form = self.client.get(
            "/concerns/new/", headers=self.headers(), name="concern form", allow_redirects=False
        )
        found = CSRF_FIELD.search(form.text)
        self.token = found.group(1) if found else ""
        self.csrf_cookie = form.cookies.get(DATA["csrf_cookie"]) or ""
        self.start_at_random()

    @task
    def record_only(self) -> None:
        self.post_concern(self.token, self.csrf_cookie)


class Dsl(Visitor):
    weight = 2

    def on_start(self) -> None:
        self.school = random.choice(DATA["schools"])
        self.session_key = self.school["dsl_session"]
        self.start_at_random()

    @task(3)
    def chronology(self) -> None:
        assert self.school is not None
        self.get(f"/pupils/{self.school['busiest']}/chronology/", "chronology (busiest pupil)")

    @task(1)
    def concern_inbox(self) -> None:
        self.get("/concerns/", "concern inbox")

    @task(1)
    def school_dashboard(self) -> None:
        self.get("/statistics/", "school dashboard")


class TrustLead(Visitor):
    weight = 1

    def on_start(self) -> None:
        self.session_key = DATA["lead_session"]
        self.start_at_random()

    @task
    def trust_statistics(self) -> None:
        self.get("/portal/statistics/", "trust statistics")


class Bare(Visitor):
    def on_start(self) -> None:
        self.school = random.choice(DATA["schools"])
        self.session_key = self.school["staff_session"]
        self.start_at_random()

    @task
    def bare(self) -> None:
        self.get("/bare/", "bare view")
