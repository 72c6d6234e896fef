"""The demo company: master data and three months of business, built only through the services.

Deterministic for a given seed (one `random.Random`), so two builds give the same books. The
clock is set to each business day while that day is replayed, so documents, events and audit
records carry times that match their business dates.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import barcode
from django.conf import settings
from django.db import transaction

from openjxc.catalog import services as catalog
from openjxc.catalog.models import Item, Tracking, Unit
from openjxc.core import clock
from openjxc.core import services as core
from openjxc.core.models import Company, Role, User
from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from openjxc.documents.services import LineInput
from openjxc.partners import services as partners
from openjxc.partners.models import Partner, PartnerKind
from openjxc.stock import services as stock
from openjxc.stock.models import StockBalance, Warehouse, WarehouseKind

D = Decimal
CENT = D("0.01")
DEMO_CODE = "DEMO"
DEMO_NAME = "示例商贸有限公司"
DEFAULT_PASSWORD = "demo12345"
DEFAULT_SEED = 20240601

# ---------------------------------------------------------------- master data tables

UNITS = [
    ("PCS", "个"), ("BTL", "瓶"), ("CAN", "罐"), ("BAG", "袋"), ("BOX", "盒"), ("CTN", "箱"), ("PKT", "包"),
    ("PEN", "支"), ("BK", "本"), ("KG", "千克"), ("ROLL", "卷"), ("TI", "提"),
]

# top category: code, name, fictional brands, leaves
CATEGORIES = [
    ("1", "食品", ["金穗", "福满仓", "好滋味"], [
        ("01", "粮油"), ("02", "休闲零食"), ("03", "调味品"),
    ]),
    ("2", "饮料", ["清泉", "山涧", "雪域"], [
        ("01", "饮用水"), ("02", "果汁"), ("03", "碳酸饮料"), ("04", "茶饮料"),
    ]),
    ("3", "乳制品", ["牧场", "草原晨光", "云岭"], [
        ("01", "牛奶"), ("02", "酸奶"),
    ]),
    ("4", "日化", ["净雅", "洁美", "柔丝"], [
        ("01", "洗护用品"), ("02", "家居清洁"), ("03", "纸品"),
    ]),
    ("5", "文具", ["书香", "墨客", "青禾"], [
        ("01", "书写工具"), ("02", "本册"), ("03", "办公用品"),
    ]),
]

# leaf code -> products: (name, base unit, pack unit, [(spec, purchase price per base unit, pack factor)],
#                         tracking, shelf life days)
PRODUCTS: dict[str, list[tuple]] = {
    "101": [
        ("东北大米", "BAG", "CTN", [("5kg", "28.50", 4), ("10kg", "55.00", 2)], None, None),
        ("花生油", "BTL", "CTN", [("5L", "62.00", 4), ("1.8L", "26.00", 6)], None, None),
        ("高筋面粉", "BAG", "CTN", [("2.5kg", "11.80", 8)], None, None),
        ("挂面", "PKT", "CTN", [("500g", "3.60", 20)], None, None),
        ("玉米油", "BTL", "CTN", [("5L", "58.00", 4)], None, None),
        ("糯米", "BAG", "CTN", [("2.5kg", "16.00", 8)], None, None),
    ],
    "102": [
        ("原味薯片", "BAG", "CTN", [("70g", "3.20", 24), ("135g", "5.60", 12)], None, None),
        ("苏打饼干", "PKT", "CTN", [("400g", "7.50", 12)], None, None),
        ("牛肉干", "BAG", "CTN", [("100g", "14.00", 20)], None, None),
        ("坚果礼盒", "BOX", "CTN", [("750g", "48.00", 6)], None, None),
        ("海苔", "PKT", "CTN", [("40g", "4.50", 30)], None, None),
        ("黑巧克力", "BOX", "CTN", [("200g", "15.80", 12)], None, None),
    ],
    "103": [
        ("生抽酱油", "BTL", "CTN", [("500ml", "5.20", 12), ("1.9L", "15.50", 6)], None, None),
        ("香醋", "BTL", "CTN", [("500ml", "4.30", 12)], None, None),
        ("食用盐", "BAG", "CTN", [("400g", "1.60", 50)], None, None),
        ("白砂糖", "BAG", "CTN", [("1kg", "6.80", 20)], None, None),
        ("蚝油", "BTL", "CTN", [("520g", "6.90", 12)], None, None),
        ("料酒", "BTL", "CTN", [("500ml", "3.90", 12)], None, None),
    ],
    "201": [
        ("天然矿泉水", "BTL", "CTN", [("550ml", "1.10", 24), ("1.5L", "2.60", 12)], None, None),
        ("饮用纯净水", "BTL", "CTN", [("555ml", "0.90", 24), ("4.5L", "5.50", 4)], None, None),
        ("苏打水", "BTL", "CTN", [("350ml", "2.20", 24)], None, None),
    ],
    "202": [
        ("橙汁", "BTL", "CTN", [("450ml", "3.10", 15), ("1L", "6.40", 12)], None, None),
        ("苹果汁", "BTL", "CTN", [("1L", "6.00", 12)], None, None),
        ("椰子汁", "CAN", "CTN", [("245ml", "2.40", 24)], None, None),
        ("葡萄汁", "BTL", "CTN", [("1L", "7.20", 12)], None, None),
    ],
    "203": [
        ("可乐", "CAN", "CTN", [("330ml", "1.80", 24), ("2L", "4.90", 6)], None, None),
        ("柠檬汽水", "BTL", "CTN", [("500ml", "2.10", 24)], None, None),
        ("橙味汽水", "BTL", "CTN", [("500ml", "2.10", 24)], None, None),
    ],
    "204": [
        ("冰红茶", "BTL", "CTN", [("500ml", "2.00", 15)], None, None),
        ("绿茶", "BTL", "CTN", [("500ml", "2.00", 15)], None, None),
        ("乌龙茶", "BTL", "CTN", [("500ml", "2.70", 15)], None, None),
        ("茉莉花茶", "BTL", "CTN", [("500ml", "2.50", 15)], None, None),
    ],
    "301": [
        ("鲜牛奶", "BTL", "CTN", [("950ml", "9.20", 12), ("250ml", "3.10", 24)], Tracking.LOT_EXPIRY, 10),
        ("纯牛奶", "BOX", "TI", [("250ml", "2.60", 12)], Tracking.LOT_EXPIRY, 180),
    ],
    "302": [
        ("原味酸奶", "BTL", "CTN", [("200g", "3.40", 24)], Tracking.LOT_EXPIRY, 21),
        ("草莓酸奶", "BTL", "CTN", [("200g", "3.60", 24)], Tracking.LOT_EXPIRY, 21),
    ],
    "401": [
        ("洗发水", "BTL", "CTN", [("400ml", "21.00", 12), ("750ml", "35.00", 8)], None, None),
        ("沐浴露", "BTL", "CTN", [("750ml", "26.00", 8)], None, None),
        ("牙膏", "PCS", "CTN", [("120g", "6.50", 48)], None, None),
        ("洗手液", "BTL", "CTN", [("500ml", "9.80", 12)], None, None),
    ],
    "402": [
        ("洗洁精", "BTL", "CTN", [("1.5kg", "8.90", 8)], None, None),
        ("洗衣液", "BTL", "CTN", [("2kg", "19.50", 6), ("3kg", "27.00", 4)], None, None),
        ("84消毒液", "BTL", "CTN", [("1.2L", "7.20", 12)], None, None),
    ],
    "403": [
        ("抽纸", "TI", "CTN", [("3层100抽×6包", "9.80", 8)], None, None),
        ("卷纸", "TI", "CTN", [("4层140g×10卷", "16.50", 6)], None, None),
        ("湿巾", "PKT", "CTN", [("80片", "6.20", 24)], None, None),
        ("厨房纸", "TI", "CTN", [("2卷", "7.60", 12)], None, None),
    ],
    "501": [
        ("中性笔", "PEN", "BOX", [("0.5mm 黑", "0.85", 12), ("0.5mm 蓝", "0.85", 12)], None, None),
        ("记号笔", "PEN", "BOX", [("双头 黑", "1.60", 10)], None, None),
        ("铅笔", "PEN", "BOX", [("HB", "0.40", 50)], None, None),
        ("钢笔", "PEN", "BOX", [("EF尖", "12.00", 10)], None, None),
    ],
    "502": [
        ("笔记本", "BK", "CTN", [("A5 80页", "3.20", 50), ("B5 60页", "3.80", 40)], None, None),
        ("作业本", "BK", "CTN", [("16K", "0.90", 200)], None, None),
    ],
    "503": [
        ("A4复印纸", "PKT", "CTN", [("70g 500张", "19.00", 5), ("80g 500张", "23.00", 5)], None, None),
        ("订书机", "PCS", "BOX", [("12号", "9.50", 10)], None, None),
        ("文件夹", "PCS", "BOX", [("A4 双夹", "4.20", 20)], None, None),
        ("固体胶", "PCS", "BOX", [("21g", "1.50", 24)], None, None),
    ],
}

REGIONS = [
    ("EC", "华东", [("SH", "上海"), ("JS", "江苏"), ("ZJ", "浙江")]),
    ("SC", "华南", [("GD", "广东"), ("FJ", "福建")]),
    ("NC", "华北", [("BJ", "北京"), ("TJ", "天津"), ("HE", "河北")]),
    ("CC", "华中", [("HB", "湖北"), ("HN", "湖南")]),
    ("SW", "西南", [("SCH", "四川"), ("CQ", "重庆")]),
]
CITIES = {
    "SH": ("上海市", ["浦东新区", "闵行区", "徐汇区"]), "JS": ("南京市", ["鼓楼区", "江宁区"]),
    "ZJ": ("杭州市", ["西湖区", "余杭区"]), "GD": ("广州市", ["天河区", "白云区", "番禺区"]),
    "FJ": ("厦门市", ["思明区", "湖里区"]), "BJ": ("北京市", ["朝阳区", "海淀区"]),
    "TJ": ("天津市", ["河西区", "南开区"]), "HE": ("石家庄市", ["长安区", "裕华区"]),
    "HB": ("武汉市", ["江汉区", "洪山区"]), "HN": ("长沙市", ["岳麓区", "雨花区"]),
    "SCH": ("成都市", ["武侯区", "锦江区"]), "CQ": ("重庆市", ["渝中区", "江北区"]),
}
STREETS = ["人民路", "中山路", "解放路", "建设路", "和平路", "长江路", "新华路", "文化路"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"

# suppliers: name, province, the top categories they supply
SUPPLIERS = [
    ("金穗粮油食品有限公司", "HE", ["1"]),
    ("好滋味食品有限公司", "GD", ["1"]),
    ("清泉饮品有限公司", "ZJ", ["2"]),
    ("山涧饮料有限公司", "FJ", ["2"]),
    ("牧场乳业有限公司", "HE", ["3"]),
    ("云岭乳业有限公司", "SCH", ["3"]),
    ("净雅日化有限公司", "GD", ["4"]),
    ("柔丝纸业有限公司", "JS", ["4"]),
    ("书香文具有限公司", "ZJ", ["5"]),
    ("墨客办公用品有限公司", "SH", ["5"]),
]
CUSTOMER_KINDS = ["超市", "便利店", "酒店", "学校食堂", "文具店", "社区团购", "餐饮"]
CUSTOMER_WORDS = ["好运", "家家乐", "惠民", "万佳", "欣欣", "联华", "百佳", "新世纪", "东方", "金桥", "阳光", "美宜"]

ROLE_USERS = [
    ("admin", Role.ADMIN, "系统管理员"),
    ("manager", Role.MANAGER, "王经理"),
    ("purchaser", Role.PURCHASER, "李采购"),
    ("sales", Role.SALESPERSON, "张销售"),
    ("keeper", Role.KEEPER, "赵库管"),
    ("cashier", Role.CASHIER, "陈收银"),
    ("finance", Role.FINANCE, "刘会计"),
]


def ean13(twelve_digits: str) -> str:
    """A full EAN-13 (with its check digit) from its first 12 digits."""
    return barcode.get_barcode_class("ean13")(twelve_digits).get_fullcode()


@dataclass
class DemoResult:
    company: Company
    users: list[tuple[str, str, str]]  # username, role, display name
    password: str
    items: int
    partners: int
    documents: Counter = field(default_factory=Counter)  # (kind, status) -> count
    first_day: dt.date | None = None
    last_day: dt.date | None = None


@dataclass
class _Product:
    code: str
    name: str
    spec: str
    leaf: str
    top: str
    brand: str
    base: str
    pack: str
    factor: int
    price: Decimal
    tracking: str | None
    shelf_life: int | None


def _catalogue() -> dict[str, list[_Product]]:
    """Every product the tables describe, grouped by leaf category, in a fixed order."""
    out: dict[str, list[_Product]] = {}
    for top, _name, brands, leaves in CATEGORIES:
        for leaf, _leaf_name in leaves:
            key = top + leaf
            for brand in brands:
                for name, base, pack, specs, tracking, shelf in PRODUCTS.get(key, []):
                    for spec, price, factor in specs:
                        n = len(out.setdefault(key, [])) + 1
                        out[key].append(_Product(
                            code=f"{key}{n:03d}", name=f"{brand}{name}", spec=spec, leaf=key, top=top, brand=brand,
                            base=base, pack=pack, factor=factor, price=D(price), tracking=tracking, shelf_life=shelf,
                        ))
    return out


def pick_products(count: int, rng: random.Random) -> list[_Product]:
    """`count` products, taken round-robin over the leaf categories so every category is represented."""
    groups = {k: rng.sample(v, len(v)) for k, v in _catalogue().items()}
    picked: list[_Product] = []
    while len(picked) < count and any(groups.values()):
        for key in sorted(groups):
            if groups[key] and len(picked) < count:
                picked.append(groups[key].pop())
    return picked


def catalogue_size() -> int:
    return sum(len(v) for v in _catalogue().values())


class DemoBuilder:
    """Builds the demo company; call `build()` once inside a transaction."""

    def __init__(self, *, items: int = 200, days: int = 90, seed: int = DEFAULT_SEED,
                 password: str = DEFAULT_PASSWORD, code: str = DEMO_CODE, name: str = DEMO_NAME,
                 today: dt.date | None = None, progress: Callable[[int, int, str], None] | None = None):
        if items < 10:
            raise ValueError("the demo needs at least 10 items")
        if days < 7:
            raise ValueError("the demo needs at least 7 days of history")
        self.n_items, self.days, self.password = items, days, password
        self.code, self.name = code, name
        self.rng = random.Random(seed)
        self.progress = progress or (lambda done, total, label: None)
        self.tz_name = settings.JXC_TIME_ZONE
        self.tz = zoneinfo.ZoneInfo(self.tz_name)
        self.today = today or clock.today(self.tz_name)
        self.first_day = self.today - dt.timedelta(days=days)
        self.day = self.first_day
        self.minute = 0
        self.docs: Counter = Counter()
        self.deliveries: list[Document] = []
        self.returned: set[int] = set()
        self.receipts: list[Document] = []

    # ------------------------------------------------------------ time

    def _at(self, day: dt.date) -> None:
        self.day, self.minute = day, 0
        self._tick()

    def _tick(self, minutes: int = 0) -> None:
        """Move the frozen clock forward within the business day (08:30 onwards)."""
        self.minute += minutes or self.rng.randint(3, 12)
        local = dt.datetime.combine(self.day, dt.time(8, 30), tzinfo=self.tz) + dt.timedelta(minutes=self.minute)
        clock.freeze(local.astimezone(dt.UTC))

    # ------------------------------------------------------------ entry point

    def build(self) -> DemoResult:
        assert transaction.get_connection().in_atomic_block, "build the demo inside one transaction"
        total = self.days + 5
        try:
            self._at(self.first_day - dt.timedelta(days=1))
            self.progress(0, total, "company and users")
            self._company_and_users()
            # approval flows, as a company set up for real starts: two levels for adjustments, big orders to the GM
            from django.utils import translation

            from openjxc.workflow.presets import install_default_presets

            with translation.override("zh-hans"):  # a Chinese company: its flows and steps are named in Chinese
                install_default_presets(by=self.admin)
            self.progress(1, total, "units and categories")
            self._units_and_categories()
            self.progress(2, total, "items")
            self._items()
            self.progress(3, total, "partners and warehouses")
            self._partners_and_warehouses()
            self._at(self.first_day)
            self.progress(4, total, "opening balances")
            self._opening()
            for n in range(1, self.days + 1):
                day = self.first_day + dt.timedelta(days=n)
                self._at(day)
                self._business_day(n)
                self.progress(4 + n, total, f"{day:%Y-%m-%d}")
            self._open_work()
            # alert rules as a company set up for real has them, checked once so the dashboard shows them
            from openjxc.alerts.engine import install_default_rules, scan_company

            with translation.override("zh-hans"):  # rule names, and the alerts' titles sent in the first scan
                install_default_rules(self.company)
            scan_company(self.company.pk)
            self.progress(total, total, "done")
        finally:
            clock.freeze(None)
        return DemoResult(
            company=self.company, users=self.user_list, password=self.password, items=len(self.items),
            partners=len(self.suppliers) + sum(map(len, self.customers.values())) + 2, documents=self.docs,
            first_day=self.first_day, last_day=self.today,
        )

    # ------------------------------------------------------------ master data

    def _company_and_users(self) -> None:
        self.company = core.create_company(code=self.code, name=self.name, time_zone=self.tz_name)
        prefix = self.code.lower()
        self.admin = core.create_user(
            by=None, company=self.company, username=f"{prefix}-admin", password=self.password,
            roles=[Role.ADMIN], display_name="系统管理员",
        )
        self.users: dict[str, User] = {"admin": self.admin}
        self.user_list = [(self.admin.username, Role.ADMIN.value, self.admin.display_name)]
        for key, role, display in ROLE_USERS[1:]:
            u = core.create_user(
                by=self.admin, username=f"{prefix}-{key}", password=self.password, roles=[role], display_name=display,
                email=f"{key}@demo.openjxc.local", superior=self.users.get("manager"),
            )
            self.users[key] = u
            self.user_list.append((u.username, role.value, display))

    def _units_and_categories(self) -> None:
        by = self.admin
        self.units = {code: catalog.create_unit(by=by, code=code, name=name) for code, name in UNITS}
        self.categories = {}
        for top, name, _brands, leaves in CATEGORIES:
            parent = catalog.create_category(by=by, code=top, name=name)
            self.categories[top] = parent
            for leaf, leaf_name in leaves:
                self.categories[top + leaf] = catalog.create_category(
                    by=by, code=top + leaf, name=leaf_name, parent=parent
                )

    def _items(self) -> None:
        by, rng = self.admin, self.rng
        self.items: list[Item] = []
        self.pack: dict[int, tuple[Unit, int]] = {}
        self.demand: dict[int, int] = {}  # base units a day at the main warehouse
        self.top_of: dict[int, str] = {}
        self.index: dict[int, int] = {}  # item pk -> its position: choices must not depend on database ids
        for n, p in enumerate(pick_products(self.n_items, rng), start=1):
            markup = D(rng.choice(["1.25", "1.30", "1.35", "1.40", "1.50", "1.60"]))
            sale = (p.price * markup).quantize(D("0.1"), ROUND_HALF_UP)
            fields = {"spec": p.spec, "category": self.categories[p.leaf], "purchase_price": p.price,
                      "sale_price": sale, "tax_rate": D("0.09") if p.leaf == "101" else D("0.13")}
            if p.tracking:
                fields.update(tracking=p.tracking, shelf_life_days=p.shelf_life)
            item = catalog.create_item(
                by=by, code=p.code, name=p.name, base_unit=self.units[p.base],
                barcodes=[ean13(f"6923456{n:05d}")], units=[(self.units[p.pack], D(p.factor))], **fields,
            )
            # the carton has its own barcode, which stands for a whole pack
            catalog.add_barcode(item, by=by, code=ean13(f"6923457{n:05d}"), unit=self.units[p.pack])
            self.items.append(item)
            self.index[item.pk] = n
            self.pack[item.pk] = (self.units[p.pack], p.factor)
            self.top_of[item.pk] = p.top
            cheap = p.price < 5
            self.demand[item.pk] = rng.choice([6, 10, 16, 24] if cheap else [2, 3, 4, 6])

    def _partners_and_warehouses(self) -> None:
        by, rng = self.admin, self.rng
        regions = {}
        for code, name, provinces in REGIONS:
            top = partners.create_region(by=by, code=code, name=name)
            for pcode, pname in provinces:
                regions[pcode] = partners.create_region(by=by, code=pcode, name=pname, parent=top)
        self.region_of_province = {p: top for top, _n, provs in REGIONS for p, _pn in provs}

        def contact() -> tuple[str, str]:
            return (rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
                    "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9)))

        def address(province: str) -> str:
            city, districts = CITIES[province]
            return f"{city}{rng.choice(districts)}{rng.choice(STREETS)}{rng.randint(1, 899)}号"

        self.suppliers: list[tuple[Partner, list[str]]] = []
        for n, (name, province, tops) in enumerate(SUPPLIERS, start=1):
            person, phone = contact()
            city = CITIES[province][0].rstrip("市")
            p = partners.create_partner(
                by=by, code=f"S{n:03d}", name=f"{city}{name}", kind=PartnerKind.SUPPLIER, region=regions[province],
                contact=person, phone=phone, address=address(province), tax_number=self._tax_number(),
            )
            self.suppliers.append((p, tops))
        self.customers: dict[str, list[Partner]] = {"EC": [], "SC": [], "other": []}
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
            region = self.region_of_province[province]
            self.customers[region if region in ("EC", "SC") else "other"].append(p)
        person, phone = contact()
        self.both = partners.create_partner(
            by=by, code="B001", name="上海华联商贸有限公司", kind=PartnerKind.BOTH, region=regions["SH"],
            contact=person, phone=phone, address=address("SH"), credit_limit=D(300000),
            tax_number=self._tax_number(),
        )
        self.walk_in = partners.create_partner(by=by, code="C000", name="门店散客", kind=PartnerKind.CUSTOMER,
                                               region=regions["SH"])

        self.main = stock.create_warehouse(by=by, code="WH01", name="上海总仓", address="上海市闵行区华漕镇物流园8号",
                                           manager=self.users["keeper"])
        self.second = stock.create_warehouse(by=by, code="WH02", name="广州分仓", address="广州市白云区太和镇仓储路21号")
        # a store whose till keeps selling offline may go negative; the alert engine reports it
        self.store = stock.create_warehouse(by=by, code="ST01", name="人民路门店", kind=WarehouseKind.STORE,
                                            address="上海市徐汇区人民路188号", allow_negative=True)
        self.users["cashier"].warehouses.set([self.store])
        for item in self.items:
            d = self.demand[item.pk]
            catalog.set_levels(item, self.main, by=by, safety_stock=D(d * 4), reorder_point=D(d * 7),
                               max_stock=D(d * 30))

    def _tax_number(self) -> str:
        return "91" + "".join(self.rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(16))

    # ------------------------------------------------------------ documents

    def _run(self, kind: str, *, author: str, poster: str, lines: list[LineInput], **header) -> Document | None:
        """Create, submit, approve (manager) and post one document, as the people who would."""
        if not lines:
            return None
        self._tick()
        doc = docs.create_document(by=self.users[author], kind=kind, lines=lines, business_on=self.day, **header)
        return self._finish(doc, author=author, poster=poster)

    def _finish(self, doc: Document, *, author: str, poster: str) -> Document:
        docs.submit_document(doc, by=self.users[author])
        self._tick(2)
        self._approve(doc)
        self._tick(3)
        doc = docs.post_document(doc, by=self.users[poster])
        self.docs[(doc.kind, Status.POSTED.value)] += 1
        return doc

    def _approve(self, doc: Document) -> None:
        """The manager approves; a document in an approval flow (the presets) goes through each step's first holder."""
        from openjxc.workflow import services as workflow

        in_flow = False
        while (approval := workflow.pending_approval(doc)) is not None:
            in_flow = True
            step = approval.steps.get(position=approval.current)
            holders = workflow.holders_of(step, clock.now())
            by = self.users["manager"] if self.users["manager"].pk in holders else User.objects.get(pk=holders[0])
            doc = docs.approve_document(doc, by=by)
            if doc.status != Status.SUBMITTED:
                return
            self._tick(self.rng.randint(5, 90))
        if not in_flow:
            docs.approve_document(doc, by=self.users["manager"])

    def _on_hand(self, warehouse: Warehouse, *, sellable: bool = True) -> dict[int, Decimal]:
        """Quantity per item in a warehouse; with `sellable`, lots that expired before today don't count."""
        out: dict[int, Decimal] = {}
        rows = StockBalance.objects.filter(location__warehouse=warehouse, quantity__gt=0).values_list(
            "item_id", "quantity", "lot__expires_on"
        )
        for item_id, quantity, expires in rows:
            if sellable and expires is not None and expires < self.day:
                continue
            out[item_id] = out.get(item_id, D(0)) + D(quantity)
        return out

    def _lot(self, item: Item, n: int = 0) -> dict:
        produced = self.day - dt.timedelta(days=self.rng.randint(1, 3) + n)
        return {"lot_code": f"L{produced:%y%m%d}{self.index[item.pk]:03d}{n}", "produced_on": produced,
                "expires_on": produced + dt.timedelta(days=item.shelf_life_days)}

    def _receipt_line(self, item: Item, quantity: int, n: int = 0) -> LineInput:
        unit, factor = self.pack[item.pk]
        wobble = D(1) + D(self.rng.randint(-4, 4)) / 100  # suppliers' prices move a little
        extra = self._lot(item, n) if item.tracks_lots else {}
        if quantity >= factor:
            packs = max(1, quantity // factor)
            price = (item.purchase_price * factor * wobble).quantize(CENT)
            return LineInput(item=item.pk, quantity=D(packs), unit=unit.pk, unit_price=price, **extra)
        return LineInput(item=item.pk, quantity=D(quantity), unit_price=(item.purchase_price * wobble).quantize(CENT),
                         **extra)

    def _opening(self) -> None:
        lines_main, lines_second, lines_store = [], [], []
        for item in self.items:
            d = self.demand[item.pk]
            _unit, factor = self.pack[item.pk]
            lot = self._lot(item) if item.tracks_lots else {}
            qty_main = max(factor, (d * 18 // factor) * factor)
            lines_main.append(LineInput(item=item.pk, quantity=D(qty_main), unit_price=item.purchase_price, **lot))
            if self.rng.random() < 0.7:
                lines_second.append(LineInput(item=item.pk, quantity=D(max(factor, d * 8)),
                                              unit_price=item.purchase_price, **lot))
            if self.rng.random() < 0.6:
                lines_store.append(LineInput(item=item.pk, quantity=D(max(2, d * 3)),
                                             unit_price=item.purchase_price, **lot))
        self._run("opening", author="keeper", poster="keeper", lines=lines_main, warehouse=self.main,
                  memo="期初库存导入")
        self._run("opening", author="keeper", poster="keeper", lines=lines_second, warehouse=self.second,
                  memo="期初库存导入")
        self._run("opening", author="keeper", poster="keeper", lines=lines_store, warehouse=self.store,
                  memo="期初库存导入")

    def _business_day(self, n: int) -> None:
        rng = self.rng
        weekday = self.day.weekday()
        # morning: goods arrive, then what left yesterday for other warehouses is received
        if n % 3 == 1:
            self._replenish(self.main, share=1.0)
        if n % 4 == 2:
            self._replenish(self.second, share=0.6)
        if n % 3 == 0:
            self._fresh_dairy()
        self._receive_transfers()
        # day: sales
        busy = 1 if weekday < 5 else 0
        for _ in range(rng.randint(1, 2) + busy):
            self._wholesale(self.main, self.customers["EC"] + self.customers["other"] + [self.both])
        for _ in range(rng.randint(0, 1) + busy):
            self._wholesale(self.second, self.customers["SC"])
        self._retail()
        # now and then: transfers, returns, write-offs, gains, a voided document
        if n % 7 == 3:
            self._transfer(self.main, self.store, share=0.5, memo="门店补货")
        if n % 14 == 8:
            self._transfer(self.main, self.second, share=0.3, memo="分仓调拨")
        if n % 9 == 5:
            self._sales_return()
        if n % 20 == 11:
            self._purchase_return()
        if n % 7 == 6:
            for wh in (self.main, self.second, self.store):
                self._write_off_expired(wh)
        if n % 10 == 4:
            self._write_off_damaged()
        if n % 15 == 7:
            self._gain()
        if n == max(2, self.days * 4 // 9):
            self._voided_delivery()

    def _replenish(self, warehouse: Warehouse, *, share: float) -> None:
        """Order what fell below its reorder point, one receipt per supplier."""
        on_hand = self._on_hand(warehouse, sellable=False)
        wanted: dict[int, list[LineInput]] = {}
        for item in self.items:
            if item.tracks_lots:
                continue  # dairy comes fresh, on its own rhythm
            d = max(1, int(self.demand[item.pk] * share))
            if on_hand.get(item.pk, D(0)) < d * 7:
                target = d * 20
                quantity = int(target - on_hand.get(item.pk, D(0)))
                supplier = self._supplier_for(item)
                wanted.setdefault(supplier.pk, []).append(self._receipt_line(item, quantity))
        for supplier_id, lines in sorted(wanted.items()):
            doc = self._run("purchase_receipt", author="purchaser", poster="keeper", lines=lines[:25],
                            warehouse=warehouse, partner=supplier_id, memo="按补货点采购")
            self.receipts.append(doc)

    def _supplier_for(self, item: Item) -> Partner:
        top = self.top_of[item.pk]
        candidates = [p for p, tops in self.suppliers if top in tops]
        return candidates[self.index[item.pk] % len(candidates)]

    def _fresh_dairy(self) -> None:
        dairy = [i for i in self.items if i.tracks_lots]
        if not dairy:
            return
        for warehouse, share in ((self.main, 1.0), (self.store, 0.4)):
            lines = []
            for item in dairy:
                quantity = max(6, int(self.demand[item.pk] * share * 4))
                lines.append(self._receipt_line(item, quantity))
            doc = self._run("purchase_receipt", author="purchaser", poster="keeper", lines=lines,
                            warehouse=warehouse, partner=self._supplier_for(dairy[0]), memo="鲜奶到货")
            self.receipts.append(doc)

    def _sale_lines(self, warehouse: Warehouse, count: int, *, scale: float, packs: bool,
                    discount: Decimal | None = None) -> list[LineInput]:
        on_hand = self._on_hand(warehouse)
        candidates = [i for i in self.items if on_hand.get(i.pk, D(0)) > 0]
        lines = []
        for item in self.rng.sample(candidates, min(count, len(candidates))):
            available = int(on_hand[item.pk])
            unit, factor = self.pack[item.pk]
            price = None
            if packs and available >= factor and self.rng.random() < 0.5:
                quantity, unit_ref = min(self.rng.randint(1, 3), available // factor), unit.pk
                if discount is not None:
                    price = (item.sale_price * factor * discount).quantize(CENT)
            else:
                want = max(1, int(self.demand[item.pk] * scale * self.rng.uniform(0.3, 1.2)))
                quantity, unit_ref = min(want, available), None
                if discount is not None:
                    price = (item.sale_price * discount).quantize(CENT)
            if quantity <= 0:
                continue
            lines.append(LineInput(item=item.pk, quantity=D(quantity), unit=unit_ref, unit_price=price))
        return lines

    def _wholesale(self, warehouse: Warehouse, customers: list[Partner]) -> None:
        customer = self.rng.choice(customers)
        discount = D(self.rng.choice(["0.90", "0.92", "0.95", "1"]))
        lines = self._sale_lines(warehouse, self.rng.randint(2, 6), scale=1.0, packs=True, discount=discount)
        doc = self._run("sales_delivery", author="sales", poster="keeper", lines=lines, warehouse=warehouse,
                        partner=customer.pk)
        if doc is not None:
            self.deliveries.append(doc)

    def _retail(self) -> None:
        lines = self._sale_lines(self.store, self.rng.randint(4, 12), scale=0.3, packs=False)
        self._run("sales_delivery", author="cashier", poster="cashier", lines=lines, warehouse=self.store,
                  partner=self.walk_in.pk, memo="门店日结")

    def _transfer(self, source: Warehouse, target: Warehouse, *, share: float, memo: str) -> None:
        """Send goods the target is short of; they are received the next morning (in transit overnight)."""
        have = self._on_hand(source)
        there = self._on_hand(target, sellable=False)
        lines = []
        for item in self.items:
            if item.tracks_lots:
                continue
            d = max(1, int(self.demand[item.pk] * share))
            short = d * 10 - int(there.get(item.pk, D(0)))
            if short > d * 4 and have.get(item.pk, D(0)) > short * 2:
                lines.append(LineInput(item=item.pk, quantity=D(short)))
        self._run("transfer_out", author="keeper", poster="keeper", lines=lines[:30], warehouse=source,
                  to_warehouse=target, memo=memo)

    def _receive_transfers(self) -> None:
        pending = Document.objects.filter(
            company=self.company, kind="transfer_out", status=Status.POSTED, business_on__lt=self.day
        ).exclude(derived__kind="transfer_in").order_by("pk")
        for out in pending:
            self._tick()
            doc = docs.create_from(out, by=self.users["keeper"], kind="transfer_in", business_on=self.day)
            self._finish(doc, author="keeper", poster="keeper")

    def _sales_return(self) -> None:
        recent = [d for d in self.deliveries[-8:] if d.pk not in self.returned]
        if not recent:
            return
        delivery = self.rng.choice(recent)
        self.returned.add(delivery.pk)
        line = self.rng.choice(list(delivery.lines.all()))
        back = max(D(1), (line.quantity / 3).to_integral_value())
        self._tick()
        ret = docs.create_from(delivery, by=self.users["sales"], kind="sales_return", business_on=self.day)
        ret = docs.update_document(ret, by=self.users["sales"], memo="客户退货：包装破损",
                                   lines=[LineInput(item=line.item_id, quantity=back, source_line=line.pk)])
        self._finish(ret, author="sales", poster="keeper")

    def _purchase_return(self) -> None:
        recent = [r for r in self.receipts[-10:] if r.warehouse_id == self.main.pk]
        on_hand = self._on_hand(self.main)
        for receipt in reversed(recent):
            lines = [ln for ln in receipt.lines.all() if not ln.item.tracks_lots and on_hand.get(ln.item_id, 0) > 0]
            if not lines:
                continue
            line = lines[0]
            back = min(on_hand[line.item_id], max(D(1), (line.quantity / 4).to_integral_value()))
            self._tick()
            ret = docs.create_from(receipt, by=self.users["purchaser"], kind="purchase_return", business_on=self.day)
            ret = docs.update_document(ret, by=self.users["purchaser"], memo="质量问题退回供应商",
                                       lines=[LineInput(item=line.item_id, quantity=back, source_line=line.pk)])
            self._finish(ret, author="purchaser", poster="keeper")
            return

    def _write_off_expired(self, warehouse: Warehouse) -> None:
        rows = (
            StockBalance.objects.filter(location__warehouse=warehouse, quantity__gt=0, lot__expires_on__lt=self.day)
            .select_related("lot").order_by("item_id", "lot_id")
        )
        lines = [LineInput(item=b.item_id, quantity=D(b.quantity), lot_code=b.lot.code, memo="过期")
                 for b in rows]
        self._run("write_off", author="keeper", poster="keeper", lines=lines, warehouse=warehouse,
                  memo="过期商品报损")

    def _write_off_damaged(self) -> None:
        on_hand = self._on_hand(self.main)
        candidates = [i for i in self.items if not i.tracks_lots and on_hand.get(i.pk, 0) >= 5]
        if not candidates:
            return
        item = self.rng.choice(candidates)
        self._run("write_off", author="keeper", poster="keeper", warehouse=self.main, memo="搬运破损",
                  lines=[LineInput(item=item.pk, quantity=D(self.rng.randint(1, 3)), memo="破损")])

    def _gain(self) -> None:
        item = self.rng.choice([i for i in self.items if not i.tracks_lots])
        self._run("gain", author="keeper", poster="keeper", warehouse=self.second, memo="盘点盘盈",
                  lines=[LineInput(item=item.pk, quantity=D(self.rng.randint(1, 4)))])

    def _voided_delivery(self) -> None:
        lines = self._sale_lines(self.main, 3, scale=1.0, packs=False)
        doc = self._run("sales_delivery", author="sales", poster="keeper", lines=lines, warehouse=self.main,
                        partner=self.rng.choice(self.customers["EC"]).pk)
        if doc is None:
            return
        self._tick(45)
        docs.void_document(doc, by=self.users["manager"], reason="客户取消订单，单据作废")
        self.docs[(doc.kind, Status.POSTED.value)] -= 1
        self.docs[(doc.kind, Status.VOIDED.value)] += 1

    def _open_work(self) -> None:
        """Leave today's inbox realistic: receipts awaiting approval and a draft order being typed."""
        self._tick(30)
        on_hand = self._on_hand(self.main, sellable=False)
        low = sorted((i for i in self.items if not i.tracks_lots), key=lambda i: on_hand.get(i.pk, 0))[:6]
        for chunk in (low[:3], low[3:6]):
            if not chunk:
                continue
            doc = docs.create_document(
                by=self.users["purchaser"], kind="purchase_receipt", warehouse=self.main,
                partner=self._supplier_for(chunk[0]).pk, business_on=self.day, memo="待审核的采购入库",
                lines=[self._receipt_line(i, self.demand[i.pk] * 10) for i in chunk],
            )
            docs.submit_document(doc, by=self.users["purchaser"])
            self.docs[(doc.kind, Status.SUBMITTED.value)] += 1
        on_hand = self._on_hand(self.main)
        damaged = [i for i in self.items if not i.tracks_lots and on_hand.get(i.pk, 0) >= 5][:1]
        if damaged:  # waits at the first level of the write-off flow (the manager's 待办)
            doc = docs.create_document(by=self.users["keeper"], kind="write_off", warehouse=self.main,
                                       business_on=self.day, memo="待审批的报损：包装破损",
                                       lines=[LineInput(item=damaged[0].pk, quantity=D(2), memo="破损")])
            docs.submit_document(doc, by=self.users["keeper"])
            self.docs[(doc.kind, Status.SUBMITTED.value)] += 1
        lines = self._sale_lines(self.main, 3, scale=1.0, packs=True)
        if lines:
            docs.create_document(by=self.users["sales"], kind="sales_delivery", warehouse=self.main,
                                 partner=self.rng.choice(self.customers["EC"]).pk, business_on=self.day,
                                 memo="草稿：客户电话下单", lines=lines)
            self.docs[("sales_delivery", Status.DRAFT.value)] += 1


def demo_exists(code: str = DEMO_CODE) -> bool:
    return Company.objects.filter(code=code).exists()


def build_demo(**options) -> DemoResult:
    """Build the demo company in one transaction: all of it, or nothing."""
    with transaction.atomic():
        return DemoBuilder(**options).build()
