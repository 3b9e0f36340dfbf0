"""The REST API of a school's site, under /api/v1/ (docs/api.md).

Thin views over the same permission layer, selectors and services as the pages: nothing here
decides who may read or write what.
"""
