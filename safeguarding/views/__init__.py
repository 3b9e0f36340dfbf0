"""Pages of a school's site, one module per area."""
