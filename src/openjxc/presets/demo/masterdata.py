"""The demo company's master data: company and people, units and categories, items, partners, warehouses,
payment terms and price lists (built through the services, from the tables in catalogue.py)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from openjxc.catalog import pricing
from openjxc.catalog import services as catalog
from openjxc.core import services as core
from openjxc.core.models import Role
from openjxc.finance import services as finance
from openjxc.partners import services as partners
from openjxc.partners.models import PartnerKind
from openjxc.stock import services as stock
from openjxc.stock.models import WarehouseKind

from .catalogue import (
    CATEGORIES,
    CITIES,
    CUSTOMER_KINDS,
    CUSTOMER_WORDS,
    GIVEN,
    REGIONS,
    ROLE_USERS,
    STREETS,
    SUPPLIERS,
    SURNAMES,
    UNITS,
    ean13,
    pick_products,
)
from .context import Demo

D = Decimal


def company_and_users(demo: Demo) -> None:
    """The company and one person per role; everyone but the administrator reports to the manager."""
    demo.company = core.create_company(code=demo.code, name=demo.name, time_zone=demo.tz_name)
    prefix = demo.code.lower()
    demo.admin = core.create_user(
        by=None, company=demo.company, username=f"{prefix}-admin", password=demo.password,
        roles=[Role.ADMIN], display_name="系统管理员",
    )
    demo.users = {"admin": demo.admin}
    demo.user_list = [(demo.admin.username, Role.ADMIN.value, demo.admin.display_name)]
    for key, role, display in ROLE_USERS[1:]:
        u = core.create_user(
            by=demo.admin, username=f"{prefix}-{key}", password=demo.password, roles=[role], display_name=display,
            email=f"{key}@demo.openjxc.local", superior=demo.users.get("manager"),
        )
        demo.users[key] = u
        demo.user_list.append((u.username, role.value, display))


def units_and_categories(demo: Demo) -> None:
    by = demo.admin
    demo.units = {code: catalog.create_unit(by=by, code=code, name=name) for code, name in UNITS}
    demo.categories = {}
    for top, name, _brands, leaves in CATEGORIES:
        parent = catalog.create_category(by=by, code=top, name=name)
        demo.categories[top] = parent
        for leaf, leaf_name in leaves:
            demo.categories[top + leaf] = catalog.create_category(
                by=by, code=top + leaf, name=leaf_name, parent=parent
            )


def items(demo: Demo) -> None:
    by, rng = demo.admin, demo.rng
    demo.items = []
    demo.item_by_pk = {}
    demo.pack = {}
    demo.demand = {}  # base units a day at the main warehouse
    demo.top_of = {}
    demo.index = {}  # item pk -> its position: choices must not depend on database ids
    for n, p in enumerate(pick_products(demo.n_items, rng), start=1):
        markup = D(rng.choice(["1.25", "1.30", "1.35", "1.40", "1.50", "1.60"]))
        sale = (p.price * markup).quantize(D("0.1"), ROUND_HALF_UP)
        fields = {"spec": p.spec, "category": demo.categories[p.leaf], "purchase_price": p.price,
                  "sale_price": sale, "tax_rate": D("0.09") if p.leaf == "101" else D("0.13")}
        if p.tracking:
            fields.update(tracking=p.tracking, shelf_life_days=p.shelf_life)
        item = catalog.create_item(
            by=by, code=p.code, name=p.name, base_unit=demo.units[p.base],
            barcodes=[ean13(f"6923456{n:05d}")], units=[(demo.units[p.pack], D(p.factor))], **fields,
        )
        # the carton has its own barcode, which stands for a whole pack
        catalog.add_barcode(item, by=by, code=ean13(f"6923457{n:05d}"), unit=demo.units[p.pack])
        demo.items.append(item)
        demo.item_by_pk[item.pk] = item
        demo.index[item.pk] = n
        demo.pack[item.pk] = (demo.units[p.pack], p.factor)
        demo.top_of[item.pk] = p.top
        cheap = p.price < 5
        demo.demand[item.pk] = rng.choice([6, 10, 16, 24] if cheap else [2, 3, 4, 6])


def partners_and_warehouses(demo: Demo) -> None:
    by, rng = demo.admin, demo.rng
    regions = {}
    for code, name, provinces in REGIONS:
        top = partners.create_region(by=by, code=code, name=name)
        for pcode, pname in provinces:
            regions[pcode] = partners.create_region(by=by, code=pcode, name=pname, parent=top)
    demo.region_of_province = {p: top for top, _n, provs in REGIONS for p, _pn in provs}

    def contact() -> tuple[str, str]:
        return (rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
                "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9)))

    def address(province: str) -> str:
        city, districts = CITIES[province]
        return f"{city}{rng.choice(districts)}{rng.choice(STREETS)}{rng.randint(1, 899)}号"

    demo.suppliers = []
    for n, (name, province, tops) in enumerate(SUPPLIERS, start=1):
        person, phone = contact()
        city = CITIES[province][0].rstrip("市")
        p = partners.create_partner(
            by=by, code=f"S{n:03d}", name=f"{city}{name}", kind=PartnerKind.SUPPLIER, region=regions[province],
            contact=person, phone=phone, address=address(province), tax_number=tax_number(demo),
        )
        demo.suppliers.append((p, tops))
    demo.customers = {"EC": [], "SC": [], "other": []}
    provinces = list(CITIES)
    n_customers = 24
    for n in range(1, n_customers + 1):
        province = provinces[(n - 1) % len(provinces)]
        city = CITIES[province][0].rstrip("市")
        name = f"{city}{rng.choice(CUSTOMER_WORDS)}{rng.choice(CUSTOMER_KINDS)}"
        person, phone = contact()
        p = partners.create_partner(
            by=by, code=f"C{n:03d}", name=f"{name}{n:02d}", kind=PartnerKind.CUSTOMER, region=regions[province],
            contact=person, phone=phone, address=address(province),
            credit_limit=D(rng.choice([20000, 50000, 100000, 200000])),
        )
        region = demo.region_of_province[province]
        demo.customers[region if region in ("EC", "SC") else "other"].append(p)
    person, phone = contact()
    demo.both = partners.create_partner(
        by=by, code="B001", name="上海华联商贸有限公司", kind=PartnerKind.BOTH, region=regions["SH"],
        contact=person, phone=phone, address=address("SH"), credit_limit=D(300000),
        tax_number=tax_number(demo),
    )
    demo.walk_in = partners.create_partner(by=by, code="C000", name="门店散客", kind=PartnerKind.CUSTOMER,
                                           region=regions["SH"], is_walk_in=True)  # pays at the till, owes nothing

    demo.main = stock.create_warehouse(by=by, code="WH01", name="上海总仓", address="上海市闵行区华漕镇物流园8号",
                                       manager=demo.users["keeper"])
    demo.second = stock.create_warehouse(by=by, code="WH02", name="广州分仓", address="广州市白云区太和镇仓储路21号")
    # a store whose till keeps selling offline may go negative; the alert engine reports it
    demo.store = stock.create_warehouse(by=by, code="ST01", name="人民路门店", kind=WarehouseKind.STORE,
                                        address="上海市徐汇区人民路188号", allow_negative=True)
    demo.users["cashier"].warehouses.set([demo.store])
    for item in demo.items:
        d = demo.demand[item.pk]
        catalog.set_levels(item, demo.main, by=by, safety_stock=D(d * 4), reorder_point=D(d * 7),
                           max_stock=D(d * 30))


def tax_number(demo) -> str:
    return "91" + "".join(demo.rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(16))


def terms_and_price_lists(demo: Demo) -> None:
    """Payment terms (customers 15–60 days, suppliers 30–45) and the price lists wholesale orders are priced
    from: key accounts (supermarkets), hotels and canteens with carton breaks, one customer's own list, and a
    drinks promotion for everyone that runs until two weeks from today."""
    by, rng = demo.users["finance"], demo.rng
    for p in demo.all_customers():
        finance.set_payment_terms(p, by=by, days=rng.choice([15, 30, 30, 30, 45, 60]))
    for p, _tops in demo.suppliers:
        finance.set_payment_terms(p, by=by, days=rng.choice([30, 30, 45]))
    admin = demo.admin
    key_accounts = [c for c in demo.all_customers() if "超市" in c.name]
    horeca = [c for c in demo.all_customers() if any(w in c.name for w in ("酒店", "学校食堂", "餐饮"))]
    ka = pricing.create_customer_group(by=admin, code="KA", name="重点商超", members=key_accounts)
    food_service = pricing.create_customer_group(by=admin, code="HORECA", name="酒店餐饮", members=horeca)
    start = demo.first_day

    def prices(share: str, *, packs: bool = False, items=None) -> list[pricing.PriceInput]:
        out = []
        for item in items or demo.items:
            out.append(pricing.PriceInput(item=item.pk, price=(item.sale_price * D(share)).quantize(D("0.01"))))
            if packs:
                unit, factor = demo.pack[item.pk]
                out.append(pricing.PriceInput(item=item.pk, unit=unit.pk,
                                              price=(item.sale_price * factor * D(share) * D("0.97")).quantize(D("0.01"))))
        return out

    pricing.create_price_list(by=admin, name="重点商超协议价", customer_group=ka, valid_from=start,
                              prices=prices("0.92"))
    pricing.create_price_list(by=admin, name="酒店餐饮渠道价（整箱再优惠）", customer_group=food_service,
                              valid_from=start, prices=prices("0.95", packs=True))
    pricing.create_price_list(by=admin, name="上海华联专供价", partner=demo.both, valid_from=start,
                              prices=prices("0.90"))
    drinks = [i for i in demo.items if demo.top_of[i.pk] == "2"]
    if drinks:
        pricing.create_price_list(by=admin, name="夏季饮料促销", valid_from=demo.today - dt.timedelta(days=13),
                                  valid_to=demo.today + dt.timedelta(days=14), prices=prices("0.88", items=drinks))
