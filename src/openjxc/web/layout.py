"""What the shared layout shows from the apps, filled by each app in its AppConfig.ready().

The layout (base.html) knows no app: the sidebar lists the `NavEntry`s the apps registered, the top bar
shows their `HeaderItem`s (the live indicator, the notification bell) and the page head links their style
sheets and scripts. An app adds a page to the navigation with one `register_nav(...)` line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# the sidebar's sections, in order; an entry names its section by key ("more" is last, untitled "More")
SECTIONS: list[tuple[str, object]] = [
    ("main", ""),
    ("stock", _("Stock and documents")),
    ("masterdata", _("Master data")),
    ("finance", _("Finance")),
    ("reports", _("Reports")),
    ("settings", _("Settings")),
    ("more", _("More")),
]
SECTION_INDEX = {key: n for n, (key, _label) in enumerate(SECTIONS)}


@dataclass(frozen=True)
class NavEntry:
    url_name: str
    label: object
    icon: str  # a short glyph shown before the label, so the entry reads at a glance on a phone
    visible: Callable  # user -> bool
    section: str = "more"
    order: int = 1000  # place inside the section
    exact: bool = False  # active only on its own address, not on the pages below it


@dataclass(frozen=True)
class HeaderItem:
    """A piece of the top bar: `template` rendered with `context(request)` (read only when a full page renders)."""

    template: str
    context: Callable  # request -> dict
    order: int = 1000


_nav: list[NavEntry] = []
_header: list[HeaderItem] = []
_stylesheets: list[str] = []
_scripts: list[str] = []


def register_nav(*entries: NavEntry) -> None:
    for entry in entries:
        if entry.section not in SECTION_INDEX:
            raise ValueError(f"unknown navigation section {entry.section!r}")
        if all(e.url_name != entry.url_name for e in _nav):  # ready() may run twice (tests, reloads)
            _nav.append(entry)
    _nav.sort(key=lambda e: (SECTION_INDEX[e.section], e.order))


def register_header(item: HeaderItem) -> None:
    if item.template not in {h.template for h in _header}:
        _header.append(item)
        _header.sort(key=lambda h: h.order)


def register_assets(*, stylesheets: tuple[str, ...] = (), scripts: tuple[str, ...] = ()) -> None:
    """Static files every page links (paths under STATIC_URL)."""
    _stylesheets.extend(s for s in stylesheets if s not in _stylesheets)
    _scripts.extend(s for s in scripts if s not in _scripts)


def nav_entries() -> list[NavEntry]:
    return list(_nav)


def header_items() -> list[HeaderItem]:
    return list(_header)


def stylesheets() -> list[str]:
    return list(_stylesheets)


def scripts() -> list[str]:
    return list(_scripts)
