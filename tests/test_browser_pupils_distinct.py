"""The browser journeys commit their pupils for real (the test server's connections see nothing
else), all into school A for the whole session: two journeys enrolling the same serial number would
collide on the pupil's UPN, and the second would fail before it starts."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

SERIAL = re.compile(r"\bserial=(\d+)")


def test_each_browser_journey_enrols_pupils_of_its_own() -> None:
    found = Counter(
        serial
        for path in (Path(__file__).parent / "browser").glob("test_*.py")
        for serial in SERIAL.findall(path.read_text())
    )
    assert found, "no pupil enrolled by a journey: the pattern no longer matches"
    assert [serial for serial, count in found.items() if count > 1] == []
