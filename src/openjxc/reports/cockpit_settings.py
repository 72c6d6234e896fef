"""The company's cockpit tiles: which 5–8 of cockpit.TILES, in which order (Company.settings["reports"]), written
through the one settings writer (core.company_settings.save_settings: the event and the audit record)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import permissions
from openjxc.core.company_settings import locked_company, save_settings
from openjxc.core.errors import ValidationFailed
from openjxc.core.models import User
from openjxc.reports.cockpit import MAX_TILES, MIN_TILES, TILES, chosen_tiles


@transaction.atomic
def set_cockpit_tiles(*, by: User, tiles: list[str]) -> list[str]:
    """Choose and order the company's cockpit tiles (5 to 8 different ones of cockpit.TILES)."""
    permissions.require(by, "reports.configure")
    if not isinstance(tiles, list | tuple) or not all(isinstance(t, str) for t in tiles):
        raise ValidationFailed(field="tiles", reason=_("must be a list of tile names"))
    unknown = [t for t in tiles if t not in TILES]
    if unknown:
        raise ValidationFailed(field="tiles", reason=_("has unknown tiles %(names)s") % {"names": ", ".join(unknown)})
    if len(set(tiles)) != len(tiles):
        raise ValidationFailed(field="tiles", reason=_("names a tile twice"))
    if not MIN_TILES <= len(tiles) <= MAX_TILES:
        raise ValidationFailed(field="tiles", reason=_("must hold %(min)s to %(max)s tiles")
                               % {"min": MIN_TILES, "max": MAX_TILES})
    company = locked_company(by)
    reports = (company.settings or {}).get("reports") or {}
    save_settings(company, by=by, changes={"reports": {**reports, "cockpit_tiles": list(tiles)}},
                  before={"reports": {**reports, "cockpit_tiles": chosen_tiles(company)}})
    return list(tiles)
