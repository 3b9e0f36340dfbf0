"""Reads of a school's records, one module per area (as models/, services/ and views/).

Every read that decides what a person may see is here and takes the reader. Runs inside the
school's schema: never filters by school.
"""

from __future__ import annotations

# Read from outside the app by these names (the accounts pages of a school).
from safeguarding.selectors.access import access_log_list, key_holder_grant_get
from safeguarding.selectors.categories import category_list_current

__all__ = ["access_log_list", "category_list_current", "key_holder_grant_get"]
