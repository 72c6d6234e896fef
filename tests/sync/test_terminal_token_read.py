"""A terminal's token is read with one statement built once per process (sync/terminals.py): it gives what the ORM's
select_related query gave — the terminal and its company, warehouse, customer, user and operator, column by column
and with each related row cached on it, a missing one as None — and nothing for a revoked or unknown token."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openjxc.partners import services as partners
from openjxc.sync import terminals
from openjxc.sync.models import Terminal

pytestmark = pytest.mark.django_db


def _columns(obj) -> dict | None:
    return None if obj is None else {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def _orm(raw: str) -> Terminal | None:
    """What terminal_for_token read before (its query then)."""
    return (Terminal.objects.select_related(*terminals._WITH_TERMINAL)
            .filter(token_hash=terminals._hash(raw), revoked_at__isnull=True).first())


def _same(raw: str) -> Terminal:
    read, orm = terminals.terminal_for_token(raw), _orm(raw)
    assert read is not None and orm is not None
    assert _columns(read) == _columns(orm)
    with CaptureQueriesContext(connection) as ctx:
        for name in terminals._WITH_TERMINAL:
            assert _columns(getattr(read, name)) == _columns(getattr(orm, name)), name
    assert ctx.captured_queries == []  # every related row came with the terminal, a missing one as None
    return read


def test_the_token_read_is_what_select_related_reads(shop):
    walk_in = partners.create_partner(by=shop.admin, code="C000", name="门店散客", kind="customer")
    pos, pos_raw = terminals.register_terminal(by=shop.admin, code="POS1", name="一号收银台", kind="pos",
                                               warehouse=shop.store, customer=walk_in)
    pda, pda_raw = terminals.register_terminal(by=shop.admin, code="PDA1", name="盘点机", kind="pda",
                                               warehouse=shop.main)
    Terminal.objects.filter(pk=pda.pk).update(operator=shop.admin)

    read = _same(pos_raw)
    assert read.customer == walk_in and read.operator is None and read.warehouse == shop.store
    assert read.user.company is read.company  # the service asks the user's company: no statement for it
    read = _same(pda_raw)
    assert read.customer is None and read.operator == shop.admin

    assert terminals.terminal_for_token("jxt_" + "x" * 40) is None
    terminals.revoke_terminal(by=shop.admin, terminal_id=pos.pk)
    assert terminals.terminal_for_token(pos_raw) is None and _orm(pos_raw) is None
