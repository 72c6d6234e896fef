"""A small company's March 2026, posted through the services with the clock set to each business day.

    2025-09-01 QCRK 总仓 白糖 20 kg @ 4.00 (opening balance); 2026-01-10 CGRK 白糖 10 @ 4.50
    (the facts consumer runs on 03-01: February's checkpoint is written)
    regions: 华东 → 上海 (好运超市), 浙江 (街坊便利); categories: 食品 → 粮油 (面粉, 白糖), 饮料 (矿泉水)
    03-01  CGRK R1  总仓  面粉 100 kg @ 5.00, 矿泉水 240 @ 1.20                  (supplier 面粉厂)
    03-02  CGDD PO1 面粉 50 promised 03-19, 鲜牛奶 20 promised 03-25; PO2 矿泉水 60 promised 03-05
    03-05  XSCK S1  总仓  面粉 40 @ 8.00 −10 %, VAT 13 %                         (customer 好运超市)
    03-10  XSCK S2  总仓  矿泉水 100 @ 2.00, VAT 13 %                            (customer 好运超市)
    03-12  XSTH RT1 总仓  10 of S1's 面粉 back
    03-15  DBCK/DBRK 总仓 → 人民路门店 矿泉水 60
    03-18  BSD  W1  总仓  面粉 5 written off
    03-20  CGRK R3  总仓  面粉 50 @ 6.00 from PO1 (a day late)
    03-21  CGRK R5  总仓  白糖 5 @ 4.00 dated back to 02-10 (into a closed month)
    03-22  CGRK R4  总仓  矿泉水 60 @ 1.00 from PO2, dated back to 03-03 (on time; re-costs what came after)
    03-25  XSCK S3  门店  矿泉水 30 @ 3.00, VAT 13 %                              (customer 街坊便利)
    03-26  收款 200.00 from 好运超市
    03-28  S2 voided
Then the clock stands at 2026-04-02 10:00 (Shanghai): March is over.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from openjxc.catalog import services as catalog
from openjxc.core import clock
from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.finance import services as finance
from openjxc.partners import services as partners
from openjxc.reports.facts.consumer import consume

VAT = D("0.13")


def at(day: dt.date) -> None:
    clock.freeze(dt.datetime(day.year, day.month, day.day, 2, 0, tzinfo=dt.UTC))  # 10:00 in Shanghai


def march(n: int) -> dt.date:
    return dt.date(2026, 3, n)


class March:
    def __init__(self, shop):
        self.shop = shop
        by = self.by = shop.admin
        at(dt.date(2025, 9, 1))
        consume(shop.company)  # the facts start empty and follow everything through the feed
        self.drinks = catalog.create_category(by=by, code="DRINK", name="饮料", parent=shop.food)
        self.grain = catalog.create_category(by=by, code="GRAIN", name="粮油", parent=shop.food)
        catalog.update_item(shop.flour, by=by, category=self.grain)
        catalog.update_item(shop.water, by=by, category=self.drinks)
        self.east = partners.create_region(by=by, code="E", name="华东")
        self.shanghai = partners.create_region(by=by, code="SH", name="上海", parent=self.east)
        self.zhejiang = partners.create_region(by=by, code="ZJ", name="浙江", parent=self.east)
        partners.update_partner(shop.customer, by=by, region=self.shanghai)
        self.walk_in = partners.create_partner(by=by, code="C002", name="街坊便利", kind="customer",
                                               region=self.zhejiang)
        s = shop
        self.sugar = catalog.create_item(by=by, code="S001", name="白糖", base_unit=shop.kg, category=self.grain,
                                         purchase_price=D("4"), sale_price=D("6"))
        self.opening = self.post("opening", [self.line(self.sugar, 20, "4.00")])
        at(dt.date(2026, 1, 10))
        self.r0 = self.post("purchase_receipt", [self.line(self.sugar, 10, "4.50")], partner=s.supplier)
        at(march(1))
        consume(shop.company)
        self.r1 = self.post("purchase_receipt", [self.line(s.flour, 100, "5.00"), self.line(s.water, 240, "1.20")],
                            partner=s.supplier)
        at(march(2))
        self.po1 = self.post("purchase_order", [self.line(s.flour, 50, "6.00", promised_on=march(19)),
                                                self.line(s.milk, 20, "3.00", promised_on=march(25))],
                             partner=s.supplier)
        self.po2 = self.post("purchase_order", [self.line(s.water, 60, "1.00", promised_on=march(5))],
                             partner=s.supplier)
        at(march(5))
        self.s1 = self.post("sales_delivery", [self.line(s.flour, 40, "8.00", tax=VAT, discount="0.10")],
                            partner=s.customer)
        at(march(10))
        self.s2 = self.post("sales_delivery", [self.line(s.water, 100, "2.00", tax=VAT)], partner=s.customer)
        at(march(12))
        s1_line = self.s1.lines.get()
        self.rt1 = self.post("sales_return", [LineInput(item=s.flour.pk, quantity=D(10), source_line=s1_line.pk)],
                             partner=s.customer, source=self.s1)
        at(march(15))
        self.out = self.post("transfer_out", [self.line(s.water, 60)], to_warehouse=s.store)
        self.into = self.post("transfer_in", [LineInput(item=s.water.pk, quantity=D(60),
                                                         source_line=self.out.lines.get().pk)],
                              warehouse=s.store, source=self.out)
        at(march(16))
        consume(shop.company, limit=7)  # small batches: a posting's events may fall into two of them
        at(march(18))
        self.w1 = self.post("write_off", [self.line(s.flour, 5)])
        at(march(20))
        po1_flour = self.po1.lines.get(item=s.flour)
        self.r3 = self.post("purchase_receipt", [self.line(s.flour, 50, "6.00", source_line=po1_flour.pk)],
                            partner=s.supplier, source=self.po1)
        at(march(21))
        self.r5 = self.post("purchase_receipt", [self.line(self.sugar, 5, "4.00")], partner=s.supplier,
                            business_on=dt.date(2026, 2, 10))
        at(march(22))
        self.r4 = self.post("purchase_receipt", [self.line(s.water, 60, "1.00", source_line=self.po2.lines.get().pk)],
                            partner=s.supplier, source=self.po2, business_on=march(3))
        at(march(25))
        self.s3 = self.post("sales_delivery", [self.line(s.water, 30, "3.00", tax=VAT)], partner=self.walk_in,
                            warehouse=s.store)
        at(march(26))
        self.money = finance.create_settlement(by=by, kind="receipt", partner=s.customer, amount=D("200.00"),
                                               business_on=march(26), post=True)
        at(march(28))
        docs.void_document(self.s2, by=by, reason="客户取消")
        at(dt.date(2026, 4, 2))

    @staticmethod
    def line(item, qty, price=None, *, tax=None, discount=None, source_line=None, promised_on=None):
        return LineInput(item=item.pk, quantity=D(str(qty)), unit_price=None if price is None else D(price),
                         tax_rate=tax, discount_rate=None if discount is None else D(discount),
                         source_line=source_line, promised_on=promised_on)

    def post(self, kind, lines, *, warehouse=None, partner=None, **kw):
        doc = docs.create_document(by=self.by, kind=kind, warehouse=warehouse or self.shop.main, partner=partner,
                                   lines=lines, **kw)
        return docs.advance_document(doc, by=self.by, to="posted")

