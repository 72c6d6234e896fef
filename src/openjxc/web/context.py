"""What every page's layout needs: the navigation for the user's roles, the languages, the user's label."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from openjxc.core.models import Role
from openjxc.web import layout


def role_labels(user) -> list[str]:
    if user.is_superuser and not user.roles:
        return [str(Role.ADMIN.label)]
    return [str(Role(r).label) for r in (user.roles or []) if r in Role.values]


def navigation(request):
    assets = {"jxc_stylesheets": layout.stylesheets(), "jxc_scripts": layout.scripts(),
              "jxc_languages": settings.LANGUAGES}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return assets
    path = request.path
    shown = [(entry, reverse(entry.url_name)) for entry in layout.nav_entries() if entry.visible(user)]
    exact_urls = {url for entry, url in shown if entry.exact}
    entries = []
    for entry, url in shown:  # registered in section order: pages keep their order inside a section
        active = path == url if entry.exact else path.startswith(url) and path not in exact_urls
        entries.append({"url": url, "label": entry.label, "icon": entry.icon, "active": active,
                        "group": layout.SECTION_INDEX[entry.section]})
    sections = []
    for e in entries:
        if not sections or sections[-1]["n"] != e["group"]:
            sections.append({"n": e["group"], "label": layout.SECTIONS[e["group"]][1], "entries": []})
        sections[-1]["entries"].append(e)
    return {
        **assets,
        "jxc_nav": entries,
        "jxc_nav_sections": sections,
        "jxc_roles": role_labels(user),
        "jxc_company": user.company,
    }
