"""The demo company's master data as tables: units, categories, products, regions, partners, people.

Fictional brands and names; products carry realistic purchase prices (per base unit) and pack sizes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

import barcode

from openjxc.catalog.models import Tracking
from openjxc.core.models import Role

D = Decimal

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
class Product:
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


def catalogue() -> dict[str, list[Product]]:
    """Every product the tables describe, grouped by leaf category, in a fixed order."""
    out: dict[str, list[Product]] = {}
    for top, _name, brands, leaves in CATEGORIES:
        for leaf, _leaf_name in leaves:
            key = top + leaf
            for brand in brands:
                for name, base, pack, specs, tracking, shelf in PRODUCTS.get(key, []):
                    for spec, price, factor in specs:
                        n = len(out.setdefault(key, [])) + 1
                        out[key].append(Product(
                            code=f"{key}{n:03d}", name=f"{brand}{name}", spec=spec, leaf=key, top=top, brand=brand,
                            base=base, pack=pack, factor=factor, price=D(price), tracking=tracking, shelf_life=shelf,
                        ))
    return out


def pick_products(count: int, rng: random.Random) -> list[Product]:
    """`count` products, taken round-robin over the leaf categories so every category is represented."""
    groups = {k: rng.sample(v, len(v)) for k, v in catalogue().items()}
    picked: list[Product] = []
    while len(picked) < count and any(groups.values()):
        for key in sorted(groups):
            if groups[key] and len(picked) < count:
                picked.append(groups[key].pop())
    return picked


def catalogue_size() -> int:
    return sum(len(v) for v in catalogue().values())
