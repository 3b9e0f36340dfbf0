"""Forms of a school's pages, a module per area as in `views/`."""
