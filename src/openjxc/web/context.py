"""What every page's layout needs: the navigation for the user's roles, the languages, the user's label."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from openjxc.core import permissions
from openjxc.core.models import Role
from openjxc.documents.kinds import KINDS


@dataclass(frozen=True)
class NavEntry:
    url_name: str
    label: object
    icon: str  # a short glyph shown before the label, so the entry reads at a glance on a phone
    visible: object  # user -> bool


def can_create_documents(user) -> bool:
    return any(permissions.allowed(user, "document.create", roles=set(k.create_roles)) for k in KINDS.values())


def _finance(user, action: str) -> bool:
    from openjxc.finance.services import ROLES

    return permissions.allowed(user, action, ROLES[action][0])


def _may_import(user) -> bool:
    from openjxc.web.excel_views import may_import

    return may_import(user)


# A later app adds its pages here: one entry, one predicate.
NAVIGATION: list[NavEntry] = [
    NavEntry("web:home", _("Dashboard"), "◧", lambda u: True),
    NavEntry("web:balances", _("Stock balances"), "▤", lambda u: permissions.allowed(u, "stock.view")),
    NavEntry("web:documents", _("Documents"), "▦", lambda u: permissions.allowed(u, "document.view")),
    NavEntry("workflow:inbox", _("To-do"), "✔", lambda u: True),
    NavEntry("web:alerts", _("Alerts"), "⚠", lambda u: permissions.allowed(u, "alerts.view")),
    NavEntry("web:pos", _("Till (POS)"), "¤", lambda u: u.is_superuser or u.has_role(Role.CASHIER, Role.ADMIN, Role.MANAGER)),
    NavEntry("web:counts", _("Stock counts"), "✓", lambda u: permissions.allowed(u, "stock.view")),
    NavEntry("web:document_new", _("New document"), "+", can_create_documents),
    NavEntry("web:items", _("Items"), "▣", lambda u: permissions.allowed(u, "masterdata.view")),
    NavEntry("web:partners", _("Partners"), "☷", lambda u: permissions.allowed(u, "masterdata.view")),
    NavEntry("web:warehouses", _("Warehouses"), "⌂", lambda u: permissions.allowed(u, "masterdata.view")),
    NavEntry("web:categories", _("Categories"), "⊞", lambda u: permissions.allowed(u, "masterdata.view")),
    NavEntry("web:units", _("Units"), "⚖", lambda u: permissions.allowed(u, "masterdata.view")),
    NavEntry("web:regions", _("Regions"), "◎", lambda u: permissions.allowed(u, "masterdata.view")),
    NavEntry("web:price_lists", _("Price lists"), "¥", lambda u: permissions.allowed(u, "masterdata.view")),
    NavEntry("web:settlements", _("Receipts & payments"), "⇄", lambda u: _finance(u, "finance.view")),
    NavEntry("web:finance_balances", _("Receivables & payables"), "≡", lambda u: _finance(u, "finance.view")),
    NavEntry("web:aging", _("Aging"), "▥", lambda u: _finance(u, "finance.view")),
    NavEntry("web:statement", _("Statements"), "✉", lambda u: _finance(u, "finance.view")),
    NavEntry("workflow:flows", _("Approval flows"), "⇶", lambda u: u.is_superuser or u.has_role(Role.ADMIN, Role.MANAGER)),
    NavEntry("web:cycle_times", _("Cycle times"), "◷", lambda u: permissions.allowed(u, "reports.view")),
    NavEntry("web:users", _("Users"), "☺", lambda u: permissions.allowed(u, "users.manage")),
    NavEntry("web:terminals", _("Terminals"), "⌨", lambda u: permissions.allowed(u, "users.manage")),
    NavEntry("web:channels", _("Notification channels"), "✆", lambda u: permissions.allowed(u, "users.manage")),
    NavEntry("web:import", _("Import"), "⇪", _may_import),
    NavEntry("web:jobs", _("Jobs"), "⧗", lambda u: True),
]


# The sidebar's sections, in order; a page not named here goes under "More".
NAV_GROUPS: list[tuple[object, set[str]]] = [
    ("", {"web:home", "workflow:inbox", "web:alerts", "web:pos"}),
    (_("Stock and documents"), {"web:balances", "web:documents", "web:document_new", "web:counts"}),
    (_("Master data"), {"web:items", "web:partners", "web:warehouses", "web:categories", "web:units", "web:regions",
                        "web:price_lists"}),
    (_("Finance"), {"web:settlements", "web:finance_balances", "web:aging", "web:statement"}),
    (_("Reports"), {"web:cycle_times", "web:count_accuracy"}),
    (_("Settings"), {"workflow:flows", "web:users", "web:terminals", "web:channels", "web:import", "web:jobs"}),
]


def _group_of(url_name: str) -> int:
    for n, (_label, names) in enumerate(NAV_GROUPS):
        if url_name in names:
            return n
    return len(NAV_GROUPS)


def role_labels(user) -> list[str]:
    if user.is_superuser and not user.roles:
        return [str(Role.ADMIN.label)]
    return [str(Role(r).label) for r in (user.roles or []) if r in Role.values]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"jxc_languages": settings.LANGUAGES}
    path = request.path
    entries = []
    for entry in NAVIGATION:
        if not entry.visible(user):
            continue
        url = reverse(entry.url_name)
        if entry.url_name == "web:home":
            active = path == url
        elif entry.url_name == "web:document_new":
            active = path == url
        else:
            active = path.startswith(url) and path != reverse("web:document_new")
        entries.append({"url": url, "label": entry.label, "icon": entry.icon, "active": active,
                        "group": _group_of(entry.url_name)})
    entries.sort(key=lambda e: e["group"])  # stable: pages keep their order inside a section
    sections = []
    for e in entries:
        if not sections or sections[-1]["n"] != e["group"]:
            label = NAV_GROUPS[e["group"]][0] if e["group"] < len(NAV_GROUPS) else _("More")
            sections.append({"n": e["group"], "label": label, "entries": []})
        sections[-1]["entries"].append(e)
    return {
        "jxc_nav": entries,
        "jxc_nav_sections": sections,
        "jxc_languages": settings.LANGUAGES,
        "jxc_roles": role_labels(user),
        "jxc_company": user.company,
        "jxc_can_create": can_create_documents(user),
    }
