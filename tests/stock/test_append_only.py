"""The ledger is append-only in the database itself: raw UPDATE, DELETE (and TRUNCATE) are refused."""

import pytest
from django.db import DatabaseError, connection, transaction

from openjxc.stock.ledger import append_only_enforced
from openjxc.stock.models import StockMove


@pytest.fixture
def move(shop):
    shop.receive(shop.flour, 10, "5.00")
    return StockMove.objects.get()


def _refused(sql, params=()):
    # a savepoint, so that PostgreSQL's aborted statement does not poison the test's transaction
    with pytest.raises(DatabaseError) as info, transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
    assert "append-only" in str(info.value)


def test_raw_update_of_a_move_is_refused(move):
    _refused("UPDATE stock_stockmove SET quantity = 99 WHERE id = %s", [move.pk])
    _refused("UPDATE stock_stockmove SET value = 0")
    move.refresh_from_db()
    assert move.quantity == 10


def test_raw_delete_of_a_move_is_refused(move):
    _refused("DELETE FROM stock_stockmove WHERE id = %s", [move.pk])
    _refused("DELETE FROM stock_stockmove")
    assert StockMove.objects.filter(pk=move.pk).exists()


def test_the_orm_cannot_update_or_delete_moves_either(move):
    with pytest.raises(DatabaseError), transaction.atomic():
        StockMove.objects.filter(pk=move.pk).update(value=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        StockMove.objects.filter(pk=move.pk).delete()
    assert StockMove.objects.get(pk=move.pk).value == 50


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_truncate_of_the_ledger_is_refused_on_postgresql(wipeable_ledger, shop):
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only (SQLite has none; its DELETE is refused above)")
    # committed moves: inside one transaction PostgreSQL would refuse for pending FK checks instead
    shop.receive(shop.flour, 10, "5.00")
    _refused("TRUNCATE stock_stockmove")
    _refused("TRUNCATE stock_stockmove CASCADE")
    assert StockMove.objects.count() == 1


def test_the_ledger_check_knows_the_protection_is_in_place(db):
    assert append_only_enforced()


def test_the_ledger_is_protected_again_after_a_committing_test(db):
    # runs after the TRUNCATE test above: its flush must not leave the triggers switched off
    assert append_only_enforced()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = 'stockmove_no_truncate'")
            assert cur.fetchone()[0] == "O"
