"""Users and roles admin through the web forms: create, edit roles / scope / superior, deactivate,
reset a password; an administrator cannot lock themself out; a keeper cannot open the page."""

from __future__ import annotations

from django.urls import reverse

from openjxc.core.models import Role, User

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _new_user(shop, **over):
    data = {"username": "li.lei", "display_name": "李雷", "email": "li@example.com", "password": "Jxc-pass-2026",
            "roles": ["keeper"], "warehouses": [shop.main.pk], "superior": shop.admin.pk, "language": "zh-hans",
            "is_active": "on"}
    data.update(over)
    return data


def test_pages_render_in_chinese_and_english(client, shop):
    client.force_login(shop.admin)
    for url, zh, en in [(reverse("web:users"), "用户", "Users"), (reverse("web:user_new"), "新建用户", "New user"),
                        (reverse("web:user_edit", args=[shop.admin.pk]), "重置密码", "Reset password")]:
        assert zh in client.get(url, **ZH).content.decode()
        client.cookies.pop("django_language", None)
        assert en in client.get(url, **EN).content.decode()


def test_create_edit_scope_superior_deactivate_and_reset(client, shop):
    client.force_login(shop.admin)
    assert client.post(reverse("web:user_new"), _new_user(shop), **ZH).status_code == 302
    li = User.objects.get(username="li.lei")
    assert li.company == shop.company and li.roles == ["keeper"] and li.superior == shop.admin
    assert list(li.warehouses.all()) == [shop.main] and li.check_password("Jxc-pass-2026")
    listed = client.get(reverse("web:users"), {"role": "keeper"}, **ZH).content.decode()
    assert "li.lei" in listed and "仓管员" in listed
    assert reverse("web:user_edit", args=[shop.admin.pk]) not in listed

    # a duplicate user name is refused beside the field; a weak password too
    page = client.post(reverse("web:user_new"), _new_user(shop), **ZH)
    assert page.status_code == 200 and page.context["form"].errors["username"]
    page = client.post(reverse("web:user_new"), _new_user(shop, username="x", password="123"), **ZH)
    assert page.status_code == 200 and page.context["form"].errors["password"]

    edit = reverse("web:user_edit", args=[li.pk])
    data = _new_user(shop, roles=["keeper", "purchaser"], warehouses=[shop.main.pk, shop.second.pk], is_active="")
    data.pop("password")
    assert client.post(edit, data, **ZH).status_code == 302
    li.refresh_from_db()
    assert sorted(li.roles) == ["keeper", "purchaser"] and not li.is_active
    assert set(li.warehouses.all()) == {shop.main, shop.second}

    assert client.post(edit, {"reset_password": "1", "new_password": "Another-pass-77"}, **ZH).status_code == 302
    li.refresh_from_db()
    assert li.check_password("Another-pass-77")
    page = client.post(edit, {"reset_password": "1", "new_password": "password"}, **ZH)  # too common
    assert page.status_code == 200 and page.context["reset_form"].errors["new_password"]


def test_an_admin_cannot_lock_themself_out(client, shop):
    other = shop.user("boss2", Role.ADMIN)  # another admin exists: only the self-rule stops it
    client.force_login(shop.admin)
    edit = reverse("web:user_edit", args=[shop.admin.pk])
    base = {"display_name": "", "email": "", "roles": ["admin"], "warehouses": [], "superior": "", "language": "",
            "is_active": "on"}
    page = client.post(edit, {**base, "is_active": ""}, **ZH)
    assert page.status_code == 200 and "不能停用自己" in " ".join(page.context["form"].errors["is_active"])
    page = client.post(edit, {**base, "roles": ["manager"]}, **ZH)
    assert page.status_code == 200 and page.context["form"].errors["roles"]
    shop.admin.refresh_from_db()
    assert shop.admin.is_active and shop.admin.roles == ["admin"]
    # the other admin may still be changed
    assert client.post(reverse("web:user_edit", args=[other.pk]), {**base, "roles": ["manager"]}, **ZH).status_code == 302


def test_a_keeper_cannot_open_the_users_admin(client, shop):
    keeper = shop.user("keeper1", Role.KEEPER)
    client.force_login(keeper)
    for url in (reverse("web:users"), reverse("web:user_new"), reverse("web:user_edit", args=[keeper.pk])):
        assert client.get(url, **ZH).status_code == 403
    assert client.post(reverse("web:user_new"), _new_user(shop), **ZH).status_code == 403
    assert not User.objects.filter(username="li.lei").exists()
    assert "/admin/users/" not in client.get(reverse("web:home"), **ZH).content.decode()


def test_users_of_another_company_are_not_found(client, shop):
    from tests.conftest import Shop

    other = Shop("OTHER")
    client.force_login(shop.admin)
    assert client.get(reverse("web:user_edit", args=[other.admin.pk]), **ZH).status_code == 404
