"""Fixtures that build a small company through the services, and helpers the stories share."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from openjxc.catalog import services as catalog
from openjxc.core import services as core
from openjxc.core.i18n import compile_all
from openjxc.core.models import Role
from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.partners import services as partners
from openjxc.stock import services as stock
from openjxc.stock.ledger import check_ledger
from tests.browser import browser  # noqa: F401 - Chromium for the browser tests, every directory
from tests.ledger_wipe import pytest_runtest_teardown, wipeable_ledger  # noqa: F401 - for every directory

# the .mo files are build output (not in git): compile the catalogues before any page renders Chinese
compile_all()

D = Decimal


def assert_ledger_consistent(company_id=None):
    problems = check_ledger(company_id)
    assert problems == [], "\n".join(map(str, problems))



@pytest.fixture(autouse=True)
def _language_reset():
    """A page asked for in Chinese leaves zh-hans active in the thread; the next test starts from the default."""
    yield
    translation.deactivate()

class Shop:
    """A small company: two warehouses and a store, units, items, a supplier and a customer."""

    def __init__(self, code="ACME"):
        self.company = core.create_company(code=code, name=f"{code} 商贸有限公司")
        self.admin = core.create_user(
            by=None, company=self.company, username=f"{code.lower()}-admin", password="pw-12345678",
            roles=[Role.ADMIN],
        )
        by = self.admin
        self.pcs = catalog.create_unit(by=by, code="PCS", name="瓶")
        self.box = catalog.create_unit(by=by, code="BOX", name="箱")
        self.kg = catalog.create_unit(by=by, code="KG", name="千克")
        self.main = stock.create_warehouse(by=by, code="WH1", name="总仓")
        self.second = stock.create_warehouse(by=by, code="WH2", name="二号仓")
        self.store = stock.create_warehouse(by=by, code="ST1", name="人民路门店", kind="store")
        self.food = catalog.create_category(by=by, code="FOOD", name="食品")
        self.flour = catalog.create_item(
            by=by, code="F001", name="面粉", base_unit=self.kg, category=self.food,
            barcodes=["6901234567892"], purchase_price=D("5"), sale_price=D("8"),
        )
        self.water = catalog.create_item(
            by=by, code="W001", name="矿泉水", base_unit=self.pcs, category=self.food,
            barcodes=["6920000000017"], units=[(self.box, D("12"))], purchase_price=D("1.2"), sale_price=D("2"),
        )
        self.milk = catalog.create_item(
            by=by, code="M001", name="鲜牛奶", base_unit=self.pcs, category=self.food, tracking="lot_expiry",
            shelf_life_days=10, barcodes=["6930000000016"], purchase_price=D("3"), sale_price=D("5"),
        )
        self.supplier = partners.create_partner(by=by, code="S001", name="面粉厂", kind="supplier")
        self.customer = partners.create_partner(by=by, code="C001", name="好运超市", kind="customer")

    def user(self, username, *roles, warehouses=()):
        return core.create_user(by=self.admin, username=username, password="pw-12345678", roles=list(roles),
                                warehouses=warehouses)

    def post(self, kind, lines, *, warehouse=None, partner=None, by=None, **kw):
        by = by or self.admin
        doc = docs.create_document(by=by, kind=kind, warehouse=warehouse or self.main, partner=partner,
                                   lines=lines, **kw)
        return docs.advance_document(doc, by=by, to="posted")

    def receive(self, item, quantity, cost, *, warehouse=None, lot="", expires_on=None, produced_on=None, by=None):
        return self.post("purchase_receipt", [LineInput(item=item.pk, quantity=D(str(quantity)),
                                                        unit_price=D(str(cost)), lot_code=lot,
                                                        expires_on=expires_on, produced_on=produced_on)],
                         warehouse=warehouse, partner=self.supplier, by=by)

    def sell(self, item, quantity, *, warehouse=None, price=None, lot="", by=None):
        return self.post("sales_delivery", [LineInput(item=item.pk, quantity=D(str(quantity)),
                                                      unit_price=None if price is None else D(str(price)),
                                                      lot_code=lot)],
                         warehouse=warehouse, partner=self.customer, by=by)


def pytest_sessionstart(session):
    """With JXC_REQUIRE_POSTGRES=1 the run must be on PostgreSQL: fail at once instead of skipping."""
    import os

    from django.conf import settings

    if os.environ.get("JXC_REQUIRE_POSTGRES") == "1":
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError(f"JXC_REQUIRE_POSTGRES=1 but the database engine is {engine}")
        import psycopg

        db = settings.DATABASES["default"]
        try:
            psycopg.connect(host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432,
                            user=db.get("USER") or "postgres", dbname="postgres", connect_timeout=5).close()
        except psycopg.OperationalError as exc:
            raise pytest.UsageError(f"PostgreSQL is required but unreachable: {exc}") from None


def pytest_collection_modifyitems(config, items):
    """CI runs browser tests on one engine (SQLite) unless they are about the engine (`engine`). A test that takes
    the `browser` fixture is a browser test, marked or not; a postgres_only browser test is about the engine."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()) and "e2e" not in item.keywords:
            item.add_marker(pytest.mark.e2e)
        if "postgres_only" in item.keywords and "engine" not in item.keywords:
            item.add_marker(pytest.mark.engine)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test databases, and before it drops them on PostgreSQL: the sessions some test left open on
    them (a thread's connection nobody closed) are named on stderr and ended, so the drop does not fail with "is
    being accessed by other users" and leave the database behind."""
    yield
    import sys

    from django.db import connections

    with django_db_blocker.unblock():
        for conn in connections.all(initialized_only=True):
            if conn.vendor != "postgresql":
                continue
            with conn.cursor() as cursor:
                cursor.execute("SELECT pid, state, left(query, 200), pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()")
                for pid, state, query, _ended in cursor.fetchall():
                    print(f"\n[teardown] ended a session left open on the test database: pid {pid}, {state}, "
                          f"last statement: {query}", file=sys.stderr)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """A migrated, empty database of the run's engine for tests that start real servers on databases of their own
    (tests/sync/terminal_servers.py): migrated once per run (a minute of `migrate`), copied per test."""
    from tests.sync.terminal_servers import drop_template, engine, make_template, pg_url

    template = make_template(engine(), tmp_path_factory.mktemp("template"), pg_url=pg_url())
    yield template
    drop_template(template)


@pytest.fixture
def shop(db):
    return Shop()


@pytest.fixture
def today():
    return dt.date.today()
