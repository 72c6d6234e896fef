"""Schemathesis against our own OpenAPI schema, in process: no operation answers a 5xx to any input.

Every operation of /api/openapi.json gets a bounded, seeded run of generated requests (the same ones on every
run, so CI is stable), authenticated with an API token twice: as the company admin, and as a cashier scoped to the
store (issue 14: a run as admin alone missed what other roles reach; the cashier's run exercises the refusals and
the store-scoped reads). Path ids alternate between generated numbers and ids of rows that exist, so the handlers
behind the 404s run too. A 5xx it finds fails the test: fix it with a DomainError or validation, and keep the
request as a plain regression test in this file.

The budget is fixed: the coverage phase (every boundary case the schema defines, deterministic) plus
MAX_EXAMPLES fuzzed cases per operation and role. A deeper hunt, outside CI:
JXC_SCHEMATHESIS_EXAMPLES=200 JXC_SCHEMATHESIS_SEED=7 pytest tests/api/test_schemathesis.py
"""

from __future__ import annotations

import itertools
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from openjxc.core.models import ApiToken, Role, User
from openjxc.core.tokens import create_token
from openjxc.documents.kinds import KINDS
from openjxc.stock.models import Location
from tests.api.conftest import Api, receipt_body

# CI runs the small fixed budget (see the module's docstring for a deeper hunt)
MAX_EXAMPLES = int(os.environ.get("JXC_SCHEMATHESIS_EXAMPLES") or 5)
SEED = int(os.environ.get("JXC_SCHEMATHESIS_SEED") or 20261124)
# status_code_conformance is left out: the schema documents only the success answers, not the 4xx
CHECKS = (os.environ.get("JXC_SCHEMATHESIS_CHECKS")
          or "not_a_server_error,response_schema_conformance,content_type_conformance").split(",")

# The phases each role runs: the schema's own examples, the coverage phase (every boundary and wrong-type case the
# schema defines: ~10-120 requests an operation, most of the cost) and MAX_EXAMPLES fuzzed cases. The admin reaches
# every handler, so it gets the coverage phase; the cashier's requests mostly end at the permission check, so
# fuzzed cases find what its store-scoped reads and writes do (measured in docs/benchmarks.md "CI time").
ADMIN_PHASES = (os.environ.get("JXC_SCHEMATHESIS_PHASES") or "examples,coverage,fuzzing").split(",")
CASHIER_PHASES = (os.environ.get("JXC_SCHEMATHESIS_CASHIER_PHASES") or "examples,fuzzing").split(",")


def _schema(phases: list[str]):
    config = SchemathesisConfig.from_dict({
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
        "phases": {**{name: {"enabled": name in phases} for name in ("examples", "coverage", "fuzzing")},
                   "stateful": {"enabled": False}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    })
    return schemathesis.openapi.from_wsgi("/api/openapi.json", WSGIHandler(), config=config)


ADMIN_SCHEMA = _schema(ADMIN_PHASES)
CASHIER_SCHEMA = _schema(CASHIER_PHASES)
BUDGET = settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))


@pytest.fixture
def in_test_transaction():
    """Requests reach the WSGI handler directly: keep it from closing the test's connection mid-transaction.

    Django's test Client does the same; without it each request's end would close the connection the
    test transaction lives on.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin(api):
    api.role, api.scope = Role.ADMIN, []
    return api


@pytest.fixture
def cashier(shop):
    """A cashier who works only in the store."""
    caller = Api(shop.user("schema-cashier", Role.CASHIER, warehouses=[shop.store]))
    caller.role, caller.scope = Role.CASHIER, [shop.store.pk]
    return caller


@pytest.fixture
def known_ids(shop, api):
    """Ids of rows that exist, by path parameter name: a draft, a posted receipt, the shop's master data."""
    draft = api.post("/documents", receipt_body(shop)).json()
    posted = api.post("/documents", receipt_body(shop, advance_to="posted")).json()
    return {
        "doc_id": [draft["id"], posted["id"]],
        "item_id": [shop.flour.pk, shop.water.pk, shop.milk.pk],
        "unit_id": [shop.pcs.pk, shop.box.pk],
        "category_id": [shop.food.pk],
        "warehouse_id": [shop.main.pk, shop.store.pk],
        "partner_id": [shop.supplier.pk, shop.customer.pk],
        "location_id": list(Location.objects.filter(warehouse=shop.main).values_list("pk", flat=True)),
        "user_id": [shop.admin.pk, *shop.admin.company.users.exclude(pk=shop.admin.pk).values_list("pk", flat=True)],
        "token_id": [create_token(by=shop.admin, name="to revoke")[0].pk],  # not the one the run signs in with
        "code": ["6901234567892", "F001"],
        "kinds": sorted(KINDS),
        "sources": [None, None, posted["id"]],
        "to_warehouses": [shop.second.pk, None],
        "units": [None],
        # the schema lets decimals be any string (pydantic's Decimal): give the steered half real numbers
        "quantities": ["1", "2.5", "40", "0.0001"],
        "prices": ["5", "0", "12.345678"],
    }


@ADMIN_SCHEMA.parametrize()
@BUDGET
def test_no_operation_answers_5xx_to_the_admin(case, admin, known_ids, turns, in_test_transaction):
    _call(case, admin, known_ids, turns)


@CASHIER_SCHEMA.parametrize()
@BUDGET
def test_no_operation_answers_5xx_to_a_cashier(case, cashier, known_ids, turns, in_test_transaction):
    _call(case, cashier, known_ids, turns)


def _call(case, caller, known_ids, turns):
    if getattr(caller, "dirty", False):  # the example before wrote: it may have signed the caller out
        _keep_signed_in(caller)
    caller.dirty = case.method.upper() not in ("GET", "HEAD")
    # every other example points its path and body at rows that exist, so the handlers get past their 404s
    # (deterministic: a counter, not randomness)
    turn = next(turns)
    if turn % 2:
        for name in case.path_parameters or {}:
            if name in known_ids:
                case.path_parameters[name] = _pick(known_ids[name], turn)
        _steer(case.body, known_ids, turn)
    case.call_and_validate(headers={"Authorization": f"Bearer {caller.token}"})


@pytest.fixture
def turns():
    return itertools.count()


# body fields that name rows, and the known ids (or values) to put there
BODY_REFS = {"item": "item_id", "warehouse": "warehouse_id", "to_warehouse": "to_warehouses",
             "partner": "partner_id", "source": "sources", "location": "location_id", "category": "category_id",
             "parent": "category_id", "base_unit": "unit_id", "kind": "kinds", "warehouses": "warehouse_id",
             "quantity": "quantities", "unit_price": "prices", "unit": "units"}


def _pick(choices, turn):
    return choices[turn // 2 % len(choices)]


def _steer(body, known_ids, turn):
    """Replace id-like fields of a generated JSON body (and its lines) with ids that exist."""
    if isinstance(body, list):
        for element in body:
            _steer(element, known_ids, turn)
        return
    if not isinstance(body, dict):
        return
    for key, value in body.items():
        ref = BODY_REFS.get(key)
        if ref is None:
            _steer(value, known_ids, turn)
        elif key == "warehouses":
            body[key] = known_ids[ref][:1]
        else:
            body[key] = _pick(known_ids[ref], turn + len(key))


def _keep_signed_in(caller):
    """Generated requests may revoke the run's own token, change the caller's roles or store, or deactivate them
    (all allowed to an admin): give everything back before each example that follows a write, so every example runs
    as the same role. (A read writes nothing: decision 0021; resetting before each of them cost a sixth of the run.)"""
    ApiToken.objects.filter(user=caller.user, name="tests").update(revoked_at=None)
    User.objects.filter(pk=caller.user.pk).update(roles=[caller.role], is_active=True, language="")
    caller.user.warehouses.set(caller.scope)
