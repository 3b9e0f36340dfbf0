"""A working day on the demo, in headless Chromium: each person's real jobs, timed end to end.

Runs against a running demo (`make demo`, or `manage.py demo --port PORT`) whose accounts and
2FA URIs `manage.py demo` printed; pass that printout with --accounts so the 2FA codes can be
made. Each job is timed with time.monotonic() around everything the person does, page loads
included, and counted in clicks and pages loaded. The figures of the previous run (kept in
test-artifacts/walkthrough/day-last.json) are printed beside this run's; screenshots of each
step land in test-artifacts/walkthrough/.

    python manage.py demo --no-serve > demo-accounts.txt
    python bench/day.py --base http://localhost:8000 --accounts demo-accounts.txt

The demo gains a concern, an action, a call and an export each run: run it on demo data only.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUT = Path("test-artifacts") / "walkthrough"
LAST = OUT / "day-last.json"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1366, "height": 768}}
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
ACCOUNT = "Said her arm hurt when she hung up her coat; a bruise on the right forearm."
PUPIL_SEARCH = "Westerleigh"  # an invented demo pupil of Oakfield
TASK = "Check in with the pupil at lunchtime and note what is said."


@dataclass
class Job:
    who: str
    what: str
    seconds: float = 0.0
    clicks: int = 0
    pages: int = 0
    notes: list[str] = field(default_factory=list)


_open: list[Counted] = []


class Counted:
    """A page whose clicks and loaded pages are counted for the job in hand."""

    def __init__(self, page: Page, job: Job, shot_prefix: str) -> None:
        self.page = page
        self.job = job
        self.prefix = shot_prefix
        _open.append(self)
        page.on("framenavigated", self._navigated)

    def _navigated(self, frame: object) -> None:
        if frame is self.page.main_frame:
            self.job.pages += 1

    def click(self, locator: object) -> None:
        self.job.clicks += 1
        locator.click()  # type: ignore[attr-defined]

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(OUT / f"{self.prefix}-{name}.png"), full_page=True)


def read_accounts(path: Path) -> dict[str, str]:
    """email -> otpauth URI, and "" -> the shared password, from what `manage.py demo` printed."""
    uris: dict[str, str] = {}
    last_email = ""
    for line in path.read_text().splitlines():
        email = re.search(r"\s(\S+@example\.org)\s*$", line)
        if email:
            last_email = email.group(1)
        uri = re.search(r"2FA: (otpauth://\S+)", line)
        if uri and last_email:
            uris[last_email] = uri.group(1)
        password = re.match(r"Every demo account's password: (\S+)", line)
        if password:
            uris[""] = password.group(1)
    return uris


_used: dict[str, int] = {}


def code_for(uri: str) -> str:
    """A TOTP code not used before in this run (each code signs in once)."""
    totp = pyotp.parse_uri(uri)
    step = int(time.time() // 30)
    if _used.get(uri, -1) >= step:
        time.sleep(30 - time.time() % 30 + 0.5)
        step = int(time.time() // 30)
    _used[uri] = step
    return str(totp.at(step * 30))  # type: ignore[attr-defined]


def sign_in(c: Counted, url: str, email: str, uris: dict[str, str]) -> None:
    c.page.goto(url + "/accounts/login/")
    c.page.get_by_label("Email address").fill(email)
    c.page.get_by_label("Password").fill(uris[""])
    c.click(c.page.get_by_role("button", name="Sign in"))
    c.page.wait_for_load_state()
    if "/accounts/two-factor/" in c.page.url:
        c.page.get_by_label("Code from your authenticator app, or a recovery code").fill(
            code_for(uris[email])
        )
        c.click(c.page.get_by_role("button", name="Continue"))
        c.page.wait_for_load_state()
    assert "/accounts/" not in c.page.url, f"{email} was not signed in ({c.page.url})"


@contextmanager
def timed(job: Job) -> Iterator[None]:
    start = time.monotonic()
    try:
        yield
    finally:
        job.seconds = time.monotonic() - start


def school(base: str, slug: str) -> str:
    parts = urlsplit(base)
    return f"{parts.scheme}://{slug}.{parts.netloc}"


def staff_records_a_concern(browser: Browser, base: str, uris: dict[str, str], job: Job) -> None:
    ctx = browser.new_context(**PHONE)  # type: ignore[arg-type]
    c = Counted(ctx.new_page(), job, "1-staff")
    url = school(base, "oakfield")
    with timed(job):
        sign_in(c, url, "staff.oakfield@example.org", uris)
        c.shot("1-home")
        c.click(c.page.get_by_role("main").get_by_role("link", name="Record a concern"))
        c.page.get_by_label("Search by name").fill(PUPIL_SEARCH)
        c.click(c.page.get_by_label(re.compile(PUPIL_SEARCH)).first)
        c.click(c.page.get_by_label("Physical abuse"))
        c.page.get_by_label("Where").fill("Cloakroom")
        c.page.get_by_label("What you saw or heard").fill(ACCOUNT)
        c.page.get_by_label("Attach a photo of a note or a document (optional)").set_input_files(
            {"name": "note.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        job.clicks += 1  # choosing the file
        c.click(c.page.get_by_text("Body map (optional)"))
        c.page.get_by_label("Place on the body").select_option("front:right_forearm")
        job.clicks += 1
        c.click(c.page.get_by_role("button", name="Add mark"))
        expect(c.page.get_by_text("Mark 1 added")).to_be_visible()
        c.shot("2-form")
        c.click(c.page.get_by_role("button", name="Record concern"))
        expect(c.page.get_by_role("heading", name="Receipt for your concern")).to_be_visible()
        expect(c.page.get_by_text(ACCOUNT)).to_be_visible()
        expect(c.page.get_by_text("note.pdf")).to_be_visible()
        c.shot("3-receipt")


def staff_completes_a_task(browser: Browser, base: str, uris: dict[str, str], job: Job) -> None:
    ctx = browser.new_context(**PHONE)  # type: ignore[arg-type]
    c = Counted(ctx.new_page(), job, "5-staff")
    url = school(base, "oakfield")
    with timed(job):
        sign_in(c, url, "staff.oakfield@example.org", uris)
        c.shot("1-home")
        link = c.page.get_by_role("link", name="All your tasks")
        if not link.count():
            job.notes.append("no link to My tasks from the home page")
            c.page.goto(url + "/tasks/")
        else:
            c.click(link)
        expect(c.page.get_by_role("heading", name="My tasks")).to_be_visible()
        task = c.page.locator("article, li, section").filter(has_text=TASK).last
        task.get_by_label("What you did (required)").fill("Spoke with her at lunch; she is fine.")
        c.click(task.get_by_role("button", name="Complete task"))
        expect(c.page.get_by_text("Task completed.")).to_be_visible()
        c.shot("2-done")


def dsl_screens_and_builds_the_case(
    browser: Browser, base: str, uris: dict[str, str], job: Job
) -> None:
    ctx = browser.new_context(accept_downloads=True, **DESK)  # type: ignore[arg-type]
    c = Counted(ctx.new_page(), job, "2-dsl")
    p = c.page
    url = school(base, "oakfield")
    with timed(job):
        sign_in(c, url, "dsl.oakfield@example.org", uris)
        c.shot("1-dashboard")
        waiting = p.locator("#awaiting-screening li a")
        if PUPIL_SEARCH not in waiting.first.inner_text():
            place = [PUPIL_SEARCH in t for t in waiting.all_inner_texts()].index(True) + 1
            job.notes.append(f"the new concern is number {place} under Awaiting screening")
        c.click(waiting.filter(has_text=PUPIL_SEARCH).last)
        expect(p.get_by_text(ACCOUNT)).to_be_visible()
        expect(p.get_by_role("link", name="note.pdf")).to_be_visible()
        c.click(p.get_by_label("Medium"))
        p.get_by_label("Why this level").fill("Injury with an unclear explanation.")
        c.click(p.get_by_role("button", name="Save screening"))
        expect(p.get_by_text("Screening recorded.")).to_be_visible()
        c.click(p.get_by_text("Add an action"))
        p.get_by_label("Action", exact=True).select_option("conversation_pupil")
        job.clicks += 1
        p.get_by_label("Description").fill(TASK)
        # To the member of staff who recorded it, named on the case as its author.
        recorded = p.locator("dt:text-is('Recorded') + dd").inner_text()
        author = re.search(r" by (.+?) \(", recorded)
        assert author, recorded
        p.get_by_label("Assign to").select_option(label=author.group(1))
        job.clicks += 1
        c.click(p.get_by_role("button", name="Add action"))
        expect(p.get_by_text("Action added to the case and the chronology.")).to_be_visible()
        c.shot("2-case")
        # The pupil's name on the case leads to the chronology; the pupil's page is linked there.
        c.click(p.locator("dt:text-matches('^Pupils?$') + dd a").first)
        c.click(p.get_by_role("link", name="Pupil page"))
        c.shot("3-pupil")
        c.click(p.get_by_role("link", name=re.compile("^The full chronology")))
        c.click(p.get_by_role("link", name="a telephone call"))
        p.get_by_label("Call: agency").fill("Children's social care")
        p.get_by_label("Call: with whom").fill("Duty social worker")
        p.get_by_label("Summary").fill("Consulted about the bruise; no referral needed now.")
        c.click(p.get_by_role("button", name="Add to the chronology"))
        c.shot("4-chronology")
        c.click(p.get_by_role("button", name="Export as PDF"))
        c.click(p.get_by_role("button", name="Make the PDF"))
        expect(p.locator("#export-status")).to_contain_text("The PDF is ready", timeout=120_000)
        with p.expect_download():
            c.click(p.get_by_role("link", name="Download the PDF"))
        c.shot("5-export")
        c.click(p.get_by_role("navigation", name="Main").get_by_role("link", name="Access log"))
        expect(p.get_by_role("heading", level=1)).to_contain_text("Access log")
        c.shot("6-access-log")


def governor_reviews(browser: Browser, base: str, uris: dict[str, str], job: Job) -> None:
    ctx = browser.new_context(**DESK)  # type: ignore[arg-type]
    c = Counted(ctx.new_page(), job, "3-governor")
    p = c.page
    url = school(base, "oakfield")
    with timed(job):
        sign_in(c, url, "governor.oakfield@example.org", uris)
        c.shot("1-home")
        c.click(p.get_by_role("navigation", name="Main").get_by_role("link", name="Policies"))
        row = p.get_by_role("row", name=re.compile("Use of the safeguarding records system"))
        expect(row.get_by_text("Overdue", exact=True)).to_be_visible()
        c.shot("2-policies")
        c.click(p.get_by_role("navigation", name="Main").get_by_role("link", name="Statistics"))
        expect(p.get_by_role("heading", level=1)).to_contain_text("tatistics")
        c.shot("3-statistics")


def trust_lead_compares_terms(browser: Browser, base: str, uris: dict[str, str], job: Job) -> None:
    ctx = browser.new_context(**DESK)  # type: ignore[arg-type]
    c = Counted(ctx.new_page(), job, "4-trust")
    p = c.page
    with timed(job):
        sign_in(c, base, "trust.lead@example.org", uris)
        c.shot("1-home")
        c.click(p.get_by_role("link", name="Statistics").first)
        period = p.get_by_label("Period", exact=True)
        terms = [
            o.get_attribute("value")
            for o in period.locator("option").all()
            if "term" in (o.inner_text() or "").lower()
        ]
        period.select_option(terms[0])
        job.clicks += 1
        # The term before: the first other term offered (a school year holding this term is
        # offered too, and refused).
        compare = p.get_by_label("Compare with")
        before = next(
            o.get_attribute("value")
            for o in compare.locator("option").all()
            if "term" in o.inner_text().lower() and o.get_attribute("value") != terms[0]
        )
        compare.select_option(before)
        job.clicks += 1
        c.click(p.get_by_role("button", name="Show"))
        expect(p.get_by_text(re.compile("^Comparison: .* cannot be compared"))).to_have_count(0)
        c.shot("2-compare")
        schools = p.get_by_role("table", name="Concerns per 100 pupils, by school")
        c.click(schools.get_by_role("link").first)
        expect(p.get_by_role("heading", level=1)).to_contain_text("Safeguarding statistics")
        c.shot("3-school")


JOBS: list[tuple[str, str, Callable[[Browser, str, dict[str, str], Job], None]]] = [
    ("staff (phone)", "record a concern with a mark and a file", staff_records_a_concern),
    ("DSL (desk)", "screen, assign, call, export, access log", dsl_screens_and_builds_the_case),
    ("staff (phone)", "open My tasks and complete one", staff_completes_a_task),
    ("governor", "overdue policy reviews, statistics", governor_reviews),
    ("trust lead", "term against term before, one school", trust_lead_compares_terms),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://localhost:8000", help="the trust portal's URL")
    parser.add_argument("--accounts", type=Path, required=True, help="manage.py demo's output")
    args = parser.parse_args()
    uris = read_accounts(args.accounts)
    OUT.mkdir(parents=True, exist_ok=True)
    last = json.loads(LAST.read_text()) if LAST.exists() else {}
    results: dict[str, dict[str, float]] = {}
    print(f"{'who':<15} {'job':<42} {'seconds':>8} {'last':>8} {'clicks':>6} {'pages':>5}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for who, what, run in JOBS:
            job = Job(who, what)
            error = ""
            try:
                run(browser, args.base.rstrip("/"), uris, job)
            except Exception as exc:
                error = f"FAILED: {str(exc).splitlines()[0]}"
                if _open:
                    _open[-1].shot("failed")
            for counted in _open:
                counted.page.context.close()
            _open.clear()
            key = f"{who}: {what}"
            before = last.get(key, {}).get("seconds")
            shown = f"{before:8.1f}" if before is not None else f"{'-':>8}"
            print(
                f"{who:<15} {what:<42} {job.seconds:8.1f} {shown} {job.clicks:6} {job.pages:5}"
                + (f"  {error}" if error else "")
            )
            for note in job.notes:
                print(f"{'':<15} note: {note}")
            if not error:
                results[key] = {"seconds": round(job.seconds, 2), "clicks": job.clicks}
        browser.close()
    LAST.write_text(json.dumps({**last, **results}, indent=2))


if __name__ == "__main__":
    main()
