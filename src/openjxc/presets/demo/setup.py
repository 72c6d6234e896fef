"""How the demo company is set up and left for today: its preset (approval flows, alert rules, settings), the
store's tills, today's unfinished work in people's 待办, and the first alert scan."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation

from openjxc.alerts.engine import scan_company
from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.sync import terminals
from openjxc.sync.models import TerminalKind

from .. import format as preset_format
from ..install import install_preset
from .context import Demo

D = Decimal
PRESET = "general"


def preset(demo: Demo) -> None:
    """Set up as a company does for real: the general preset, named in Chinese."""
    with translation.override("zh-hans"):
        install_preset(preset_format.load(PRESET), by=demo.admin, language="zh-hans")


def till(demo: Demo) -> None:
    """The store's till, registered before the history starts: it uploads the store's sales."""
    demo.till, _token = terminals.register_terminal(
        by=demo.admin, code="POS-01", name="人民路门店 1号收银台", kind=TerminalKind.POS, warehouse=demo.store,
        customer=demo.walk_in)


def second_till_code(demo: Demo) -> None:
    """Today, a one-time code that registers a browser as the store's second till (/pos/): a known code,
    printed by `jxc demo` and in the README, valid for a week."""
    _rc, demo.till_code = terminals.create_registration_code(
        by=demo.admin, kind=TerminalKind.POS, warehouse=demo.store, customer=demo.walk_in,
        known=f"{demo.code}-POS-0002")


def open_work(demo: Demo) -> None:
    """Leave today's 待办 realistic: a receipt and a write-off waiting for approval, a delivery being typed."""
    demo.tick(30)
    on_hand = demo.on_hand(demo.main, sellable=False)
    low = sorted((i for i in demo.items if not i.tracks_lots), key=lambda i: on_hand.get(i.pk, 0))[:3]
    if low:
        doc = docs.create_document(
            by=demo.users["purchaser"], kind="purchase_receipt", warehouse=demo.main,
            partner=demo.supplier_for(low[0]).pk, business_on=demo.day, memo="待审核的采购入库：供应商直送",
            lines=[demo.purchase_line(i, demo.demand[i.pk] * 10) for i in low],
        )
        demo.count_doc(docs.submit_document(doc, by=demo.users["purchaser"]))
    on_hand = demo.on_hand(demo.main)
    damaged = [i for i in demo.items if not i.tracks_lots and on_hand.get(i.pk, 0) >= 5][:1]
    if damaged:  # waits at the first level of the write-off flow (the manager's and the keeper's 待办)
        doc = docs.create_document(by=demo.users["keeper"], kind="write_off", warehouse=demo.main,
                                   business_on=demo.day, memo="待审批的报损：包装破损",
                                   lines=[LineInput(item=damaged[0].pk, quantity=D(2), memo="破损")])
        demo.count_doc(docs.submit_document(doc, by=demo.users["keeper"]))
    lines = demo.sale_lines(demo.main, 3, scale=1.0, packs=True)
    if lines:
        doc = docs.create_document(by=demo.users["sales"], kind="sales_delivery", warehouse=demo.main,
                                   partner=demo.rng.choice(demo.customers["EC"]).pk, business_on=demo.day,
                                   memo="草稿：客户电话下单", lines=lines)
        demo.count_doc(doc)


def first_alert_scan(demo: Demo) -> None:
    """Check the alert rules once, so the dashboard shows them (titles sent in Chinese)."""
    with translation.override("zh-hans"):
        scan_company(demo.company.pk)
