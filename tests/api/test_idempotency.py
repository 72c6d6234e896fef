"""Idempotency-Key on the API: a retry replays the first answer and changes nothing; a new body is refused."""

import pytest

from openjxc.documents.models import Document
from openjxc.stock.models import StockMove
from tests.api.conftest import counts, receipt_body
from tests.conftest import assert_ledger_consistent


def test_retry_of_document_creation_replays_and_writes_once(api, shop):
    body = receipt_body(shop, qty="10", price="5", advance_to="posted")
    first = api.post("/documents", body, key="till-1-op-42")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first.headers
    after_first = counts()

    # the answer was lost; the till retries with the same key and body
    again = api.post("/documents", body, key="till-1-op-42")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert counts() == after_first
    assert Document.objects.count() == 1
    assert StockMove.objects.filter(document_id=first.json()["id"]).count() == 1
    assert_ledger_consistent()


def test_same_key_different_body_is_refused(api, shop):
    api.post("/documents", receipt_body(shop, qty="10", advance_to="posted"), key="k-1")
    before = counts()
    r = api.post("/documents", receipt_body(shop, qty="11", advance_to="posted"), key="k-1")
    assert r.status_code == 422 and r.json()["code"] == "idempotency.key_reused"
    # the same key on another path is another request too
    r = api.post("/catalog/units", {"code": "L", "name": "升"}, key="k-1")
    assert r.status_code == 422
    assert counts() == before
    assert_ledger_consistent()


def test_refusal_is_not_stored_so_a_retry_may_succeed(api, shop):
    sale = {"kind": "sales_delivery", "warehouse": shop.main.pk, "partner": shop.customer.pk,
            "lines": [{"item": shop.flour.pk, "quantity": "3"}], "advance_to": "posted"}
    r = api.post("/documents", sale, key="sale-1")
    assert r.status_code == 409 and r.json()["code"] == "stock.insufficient"
    assert Document.objects.count() == 0
    api.post("/documents", receipt_body(shop, qty="10", advance_to="posted"))
    r = api.post("/documents", sale, key="sale-1")
    assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    assert_ledger_consistent()


def test_lifecycle_action_retry(api, shop):
    doc = api.post("/documents", receipt_body(shop, advance_to="approved")).json()
    first = api.post(f"/documents/{doc['id']}/post", key="post-it")
    again = api.post(f"/documents/{doc['id']}/post", key="post-it")
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert StockMove.objects.count() == 1
    # the key is per user: another user's same key is a fresh request
    assert_ledger_consistent()


def test_key_too_long(api, shop):
    r = api.post("/documents", receipt_body(shop), key="k" * 256)
    assert r.status_code == 400 and r.json()["code"] == "idempotency.key_invalid"
    assert Document.objects.count() == 0


def _stored_bytes() -> bytes:
    from openjxc.core.models import IdempotencyRecord

    return b"".join(bytes(r.body) + r.content_type.encode() for r in IdempotencyRecord.objects.all())


def test_answers_carrying_a_raw_token_or_code_are_not_kept_and_a_replay_says_already_issued(api, shop):
    from openjxc.core.models import ApiToken
    from openjxc.sync.models import RegistrationCode, Terminal

    walk_in = shop.customer
    calls = [
        ("/tokens", {"name": "erp"}, "token"),
        ("/sync/terminals", {"code": "POS9", "name": "九号台", "kind": "pos", "warehouse": shop.store.pk,
                             "customer": walk_in.pk}, "token"),
        ("/sync/registration-codes", {"kind": "pda", "warehouse": shop.main.pk}, "code"),
        ("/sync/browser-terminal", {"warehouse": shop.main.pk, "device_id": "device-0123456789"}, "token"),
    ]
    for n, (path, body, secret) in enumerate(calls):
        first = api.post(path, body, key=f"secret-{n}")
        assert first.status_code == 201, first.content
        raw = first.json()[secret]
        assert raw.encode() not in _stored_bytes()  # not at rest in the idempotency table
        rows = (ApiToken.objects.count(), Terminal.objects.count(), RegistrationCode.objects.count())
        again = api.post(path, body, key=f"secret-{n}")
        assert again.status_code == 409 and again.json()["code"] == "idempotency.secret_issued"
        assert again.headers["Idempotent-Replayed"] == "true" and raw not in again.content.decode()
        assert (ApiToken.objects.count(), Terminal.objects.count(), RegistrationCode.objects.count()) == rows


def test_the_worker_purges_idempotency_records_after_the_retention_period(api, shop, settings):
    import datetime as dt

    from huey.contrib.djhuey import HUEY

    from openjxc.core import clock
    from openjxc.core.models import IdempotencyRecord
    from openjxc.core.tasks import purge_idempotency

    assert settings.JXC_IDEMPOTENCY_DAYS == 7  # the default
    for n in range(3):
        assert api.post("/catalog/units", {"code": f"U{n}", "name": f"单位{n}"}, key=f"k-{n}").status_code == 201
    now = clock.now()
    IdempotencyRecord.objects.filter(key="k-0").update(created_at=now - dt.timedelta(days=8))
    IdempotencyRecord.objects.filter(key="k-1").update(created_at=now - dt.timedelta(days=6))
    assert "core.purge_idempotency_records" in {t.__name__ for t in HUEY._registry._periodic_tasks}
    assert purge_idempotency.call_local() == 1
    assert sorted(IdempotencyRecord.objects.values_list("key", flat=True)) == ["k-1", "k-2"]
    settings.JXC_IDEMPOTENCY_DAYS = 1
    assert purge_idempotency.call_local() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["k-2"]


@pytest.mark.django_db(transaction=True)
def test_a_refusal_in_the_keys_transaction_leaves_nothing_behind_when_committed_for_real(wipeable_ledger):
    # the document is created in the Idempotency-Key's transaction itself, without a savepoint of its own
    # (core.idempotency.one_transaction): a refusal after its first writes must still leave no row at all
    from openjxc.core.models import AuditRecord, Event, IdempotencyRecord
    from tests.api.conftest import Api
    from tests.conftest import Shop

    shop = Shop()
    api = Api(shop.admin)

    before = (Event.objects.count(), AuditRecord.objects.count())
    sale = {"kind": "sales_delivery", "warehouse": shop.main.pk, "partner": shop.customer.pk,
            "lines": [{"item": shop.flour.pk, "quantity": "3"}], "advance_to": "posted"}
    r = api.post("/documents", sale, key="sale-9")
    assert r.status_code == 409 and r.json()["code"] == "stock.insufficient"
    assert Document.objects.count() == 0 and not IdempotencyRecord.objects.filter(key="sale-9").exists()
    assert (Event.objects.count(), AuditRecord.objects.count()) == before
    assert api.post("/documents", receipt_body(shop, qty="10", advance_to="posted"), key="r-9").status_code == 201
    r = api.post("/documents", sale, key="sale-9")
    assert r.status_code == 201 and Document.objects.count() == 2
    assert IdempotencyRecord.objects.filter(key="sale-9", status_code=201).exists()
    assert_ledger_consistent()
