"""The cockpit page (desktop, phone, and `?mode=screen` for a wall screen) and its tile settings form."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.core import permissions
from openjxc.core.errors import DomainError
from openjxc.reports.cockpit import MAX_TILES, MIN_TILES, TILES, chosen_tiles, periods_for, tiles_for
from openjxc.reports.cockpit_settings import set_cockpit_tiles
from openjxc.reports.pages import require_page
from openjxc.web.pages import company_page

WIDE = {"items": 2}  # tiles two columns wide on a wide desktop (cockpit.css)
ROTATE_SECONDS = 12  # the big screen shows each panel of tiles this long (?rotate=N to change)


@company_page
def cockpit(request):
    user = request.user
    require_page(user)  # reads the facts as the worker left them: a GET writes nothing (the page refreshes on the
    # consumer's reports.facts event, reports/facts/consumer.py)
    screen = request.GET.get("mode") == "screen"
    rotate = request.GET.get("rotate", "")
    rotate_seconds = min(max(int(rotate), 3), 600) if rotate.isdigit() else ROTATE_SECONDS
    tiles = tiles_for(user)
    charts = {t.key: t.chart for t in tiles if t.chart and not t.masked}
    # on a wide desktop (four columns, the items tile two wide) the last tile fills its row
    cells = sum(WIDE.get(t.key, 1) for t in tiles)
    fill = 4 - cells % 4 + 1 if cells % 4 else 0
    return render(request, "reports/cockpit.html", {
        "tiles": tiles, "charts": charts, "screen": screen, "periods": periods_for(user.company),
        "may_configure": permissions.allowed(user, "reports.configure"),
        "title": _("Cockpit"), "rotate_seconds": rotate_seconds, "fill": fill,
    })


class TilesForm(forms.Form):
    """Tile 1 … tile 8: the first five required, each a tile of cockpit.TILES, none twice."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(key, str(d.label)) for key, d in TILES.items()]
        for n in range(1, MAX_TILES + 1):
            self.fields[f"tile_{n}"] = forms.ChoiceField(
                label=gettext_lazy("Tile %(n)s") % {"n": n}, choices=choices, required=n <= MIN_TILES)

    def tiles(self) -> list[str]:
        return [self.cleaned_data[f"tile_{n}"] for n in range(1, MAX_TILES + 1) if self.cleaned_data.get(f"tile_{n}")]


@company_page
def cockpit_settings(request):
    user = request.user
    if not permissions.allowed(user, "reports.configure"):
        raise DjangoPermissionDenied
    current = chosen_tiles(user.company)
    error = None
    if request.method == "POST":
        form = TilesForm(request.POST)
        if form.is_valid():
            try:
                set_cockpit_tiles(by=user, tiles=form.tiles())
            except DomainError as err:
                error = err.render_message()
            else:
                messages.success(request, _("The cockpit's tiles are saved."))
                return redirect("web:cockpit")
    else:
        form = TilesForm(initial={f"tile_{n}": key for n, key in enumerate(current, 1)})
    return render(request, "reports/cockpit_settings.html", {"form": form, "error": error,
                                                             "min": MIN_TILES, "max": MAX_TILES})
