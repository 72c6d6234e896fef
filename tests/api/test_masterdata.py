"""Master data through the API: units, the category tree, items, warehouses, locations, partners, regions, users."""

from decimal import Decimal as D

from openjxc.catalog.models import Item
from tests.api.conftest import counts


def test_units_and_category_tree(api):
    r = api.post("/catalog/units", {"code": "L", "name": "升"})
    assert r.status_code == 201
    unit = r.json()["id"]
    r = api.patch(f"/catalog/units/{unit}", {"name": "公升"})
    assert r.json()["name"] == "公升"
    r = api.post("/catalog/units", {"code": "L", "name": "again"})
    assert r.status_code == 409 and r.json()["code"] == "unit.code_taken"

    drinks = api.post("/catalog/categories", {"code": "DRINK", "name": "饮料"}).json()
    juice = api.post("/catalog/categories", {"code": "JUICE", "name": "果汁", "parent": drinks["id"]}).json()
    assert juice["path"] == f"{drinks['path']}{juice['id']}/"
    tree = api.get("/catalog/categories/tree").json()
    node = next(n for n in tree if n["code"] == "DRINK")
    assert [c["code"] for c in node["children"]] == ["JUICE"]
    assert api.get("/catalog/categories", {"parent": drinks["id"]}).json()["count"] == 1


def test_item_with_barcodes_units_levels(api, shop):
    cat = api.post("/catalog/categories", {"code": "OIL", "name": "食用油", "parent": shop.food.pk}).json()
    r = api.post("/catalog/items", {
        "code": "O001", "name": "花生油", "base_unit": shop.pcs.pk, "category": cat["id"],
        "barcodes": ["6940000000001"], "units": [{"unit": shop.box.pk, "factor": "6"}],
        "purchase_price": "45.5", "sale_price": "59.9",
    })
    assert r.status_code == 201, r.content
    item = r.json()
    assert item["barcodes"] == [{"code": "6940000000001", "unit": None}]
    assert item["units"][0]["code"] == "BOX" and D(item["units"][0]["factor"]) == 6
    r = api.post(f"/catalog/items/{item['id']}/barcodes", {"code": "6940000000002", "unit": shop.box.pk})
    assert r.status_code == 201 and len(r.json()["barcodes"]) == 2
    r = api.put(f"/catalog/items/{item['id']}/levels/{shop.main.pk}", {"safety_stock": "5", "reorder_point": "10"})
    assert r.status_code == 200 and D(r.json()["reorder_point"]) == 10
    levels = api.get(f"/catalog/items/{item['id']}").json()["levels"]
    assert levels[0]["warehouse"] == shop.main.pk

    # the subtree filter finds it under 食品 (its grandparent category)
    found = api.get("/catalog/items", {"category": shop.food.pk, "q": "花生"}).json()
    assert [i["code"] for i in found["items"]] == ["O001"]
    # a barcode in q finds the item too
    assert api.get("/catalog/items", {"q": "6940000000002"}).json()["count"] == 1

    # no hard delete: deactivate
    r = api.patch(f"/catalog/items/{item['id']}", {"is_active": False, "name": "花生油(停售)"})
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert api.get("/catalog/items", {"active": "false"}).json()["count"] == 1
    assert api.delete(f"/catalog/items/{item['id']}").status_code == 405


def test_item_list_is_paginated(api, shop):
    page = api.get("/catalog/items", {"limit": 2, "offset": 1}).json()
    assert page["count"] == 3 and len(page["items"]) == 2 and page["limit"] == 2
    assert api.get("/catalog/items", {"limit": 501}).status_code == 422
    assert api.get("/catalog/items", {"limit": 0}).status_code == 422
    assert api.get("/catalog/items", {"offset": -1}).status_code == 422


def test_duplicate_barcode_and_bad_refs_write_nothing(api, shop):
    before = counts()
    body = {"code": "X1", "name": "x", "base_unit": shop.pcs.pk, "barcodes": ["6901234567892"]}
    r = api.post("/catalog/items", body)
    assert r.status_code == 409 and r.json()["code"] == "barcode.taken"
    r = api.post("/catalog/items", {**body, "barcodes": [], "base_unit": 999999})
    assert r.status_code == 404 and r.json()["code"] == "unit.not_found"
    r = api.post("/catalog/items", {**body, "barcodes": [], "tax_rate": "1.5"})
    assert r.status_code == 422
    assert counts() == before


def test_barcode_lookup_plain_and_gs1(api, shop):
    r = api.get("/catalog/barcodes/6901234567892")
    assert r.status_code == 200 and r.json()["item"]["code"] == "F001" and r.json()["gs1"] is False
    assert r.json()["units"] == []
    water = api.get("/catalog/barcodes/6920000000017").json()  # the scan says which units the item has
    assert [(u["code"], D(u["factor"])) for u in water["units"]] == [("BOX", D(12))]
    # GS1 element string: (01) GTIN, (17) expiry, (10) lot
    r = api.get("/catalog/barcodes/010690123456789217271231" + "10LOT-7")
    assert r.status_code == 200, r.content
    scan = r.json()
    assert scan["item"]["code"] == "F001" and scan["lot"] == "LOT-7" and scan["expires_on"] == "2027-12-31"
    r = api.get("/catalog/barcodes/0000000000000")
    assert r.status_code == 404 and r.json()["code"] == "barcode.unknown"


def test_cost_hidden_from_salesperson(as_user, shop):
    seller = as_user("seller", "salesperson")
    item = seller.get(f"/catalog/items/{shop.flour.pk}").json()
    assert item["purchase_price"] is None and D(item["sale_price"]) == 8


def test_warehouses_and_locations(api, shop):
    r = api.post("/stock/warehouses", {"code": "ST2", "name": "解放路门店", "kind": "store"})
    assert r.status_code == 201, r.content
    wh = r.json()
    locs = api.get("/stock/locations", {"warehouse": wh["id"]}).json()
    assert [loc["code"] for loc in locs["items"]] == ["ST2-01"]
    r = api.post("/stock/locations", {"warehouse": wh["id"], "code": "ST2-02", "name": "后仓"})
    assert r.status_code == 201
    r = api.patch(f"/stock/locations/{r.json()['id']}", {"is_active": False})
    assert r.json()["is_active"] is False
    r = api.patch(f"/stock/warehouses/{wh['id']}", {"is_active": False, "manager": shop.admin.pk})
    assert r.status_code == 200 and r.json()["is_active"] is False and r.json()["manager"] == shop.admin.pk
    r = api.post("/stock/warehouses", {"code": "T", "name": "t", "kind": "transit"})
    assert r.status_code == 422


def test_partners_and_regions(api):
    east = api.post("/partners/regions", {"code": "EAST", "name": "华东"}).json()
    sh = api.post("/partners/regions", {"code": "SH", "name": "上海", "parent": east["id"]}).json()
    assert sh["parent"] == east["id"]
    r = api.post("/partners", {"code": "C9", "name": "大润发", "kind": "customer", "region": sh["id"],
                               "credit_limit": "50000.00", "email": "buyer@example.com"})
    assert r.status_code == 201, r.content
    partner = r.json()
    assert api.get("/partners", {"kind": "customer", "region": sh["id"]}).json()["count"] == 1
    r = api.patch(f"/partners/{partner['id']}", {"is_active": False})
    assert r.json()["is_active"] is False
    r = api.post("/partners", {"code": "C10", "name": "x", "kind": "customer", "email": "not-an-email"})
    assert r.status_code == 422 and r.json()["code"] == "validation.failed"
    r = api.post("/partners", {"code": "C11", "name": "x", "kind": "alien"})
    assert r.status_code == 422 and r.json()["code"] == "request.invalid"


def test_users_admin_only(api, as_user, shop):
    r = api.post("/users", {"username": "li", "password": "pw-12345678", "roles": ["cashier"],
                            "warehouses": [shop.store.pk], "display_name": "李收银"})
    assert r.status_code == 201, r.content
    li = r.json()
    assert li["warehouses"] == [shop.store.pk]
    r = api.post("/users", {"username": "wang", "password": "pw-12345678", "roles": ["wizard"]})
    assert r.status_code == 422
    r = api.patch(f"/users/{li['id']}", {"is_active": False, "roles": ["cashier", "keeper"]})
    assert r.status_code == 200 and r.json()["is_active"] is False and r.json()["roles"] == ["cashier", "keeper"]
    r = api.patch(f"/users/{shop.admin.pk}", {"is_active": False})
    assert r.status_code == 422
    assert api.get("/users", {"q": "li"}).json()["count"] == 1

    seller = as_user("seller", "salesperson")
    r = seller.get("/users")
    assert r.status_code == 403 and r.json()["code"] == "permission.denied"
    r = seller.post("/users", {"username": "x", "password": "pw-12345678"})
    assert r.status_code == 403


def test_cashier_cannot_edit_master_data(as_user, shop):
    cashier = as_user("till", "cashier", warehouses=[shop.store])
    before = counts()
    r = cashier.post("/catalog/units", {"code": "G", "name": "克"})
    assert r.status_code == 403 and r.json()["code"] == "permission.denied"
    r = cashier.patch(f"/catalog/items/{shop.flour.pk}", {"name": "hacked"})
    assert r.status_code == 403
    assert counts() == before and Item.objects.get(pk=shop.flour.pk).name == "面粉"
    # a scoped user sees only their warehouses
    whs = cashier.get("/stock/warehouses").json()
    assert [w["code"] for w in whs["items"]] == ["ST1"]


def test_another_companys_master_data_is_not_found(api, other):
    for path in (f"/catalog/items/{other.flour.pk}", f"/catalog/units/{other.pcs.pk}",
                 f"/partners/{other.supplier.pk}", f"/stock/warehouses/{other.main.pk}",
                 f"/catalog/categories/{other.food.pk}", f"/users/{other.admin.pk}"):
        r = api.get(path)
        assert r.status_code == 404, path
    before = counts()
    r = api.patch(f"/catalog/items/{other.flour.pk}", {"name": "mine now"})
    assert r.status_code == 404 and r.json()["code"] == "item.not_found"
    r = api.post("/catalog/items", {"code": "Z", "name": "z", "base_unit": other.pcs.pk})
    assert r.status_code == 404
    r = api.put(f"/catalog/items/{other.flour.pk}/levels/{other.main.pk}", {"safety_stock": "1"})
    assert r.status_code == 404
    r = api.post("/catalog/categories", {"code": "Z", "name": "z", "parent": other.food.pk})
    assert r.status_code == 404
    assert counts() == before
    assert all(i["code"] != "Z" for i in api.get("/catalog/items").json()["items"])


def test_an_items_standard_cost_is_set_through_the_api_and_hidden_from_who_may_not_see_costs(api, as_user, shop):
    r = api.patch(f"/catalog/items/{shop.flour.pk}", {"standard_cost": "4.2"})
    assert r.status_code == 200, r.content
    assert D(r.json()["standard_cost"]) == D("4.2")
    shop.flour.refresh_from_db()
    assert shop.flour.standard_cost == D("4.2")
    seller = as_user("seller", "salesperson")
    assert seller.get(f"/catalog/items/{shop.flour.pk}").json()["standard_cost"] is None
