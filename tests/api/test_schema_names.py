"""OpenAPI keeps one component per schema *name*: two of our schemas with the same class name would make the
documentation (and schemathesis, and any generated client) describe one endpoint with the other's schema."""

from __future__ import annotations

from collections import defaultdict

from ninja import Schema

from openjxc.config.api import api


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_api_schema_has_its_own_name():
    api.get_openapi_schema()  # imports every router's module
    names = defaultdict(set)
    for cls in _subclasses(Schema):
        if cls.__module__.startswith("openjxc.") and "[" not in cls.__name__:
            names[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    clashes = {n: sorted(m) for n, m in names.items() if len(m) > 1}
    assert clashes == {}
