"""Cockpit endpoints: the user's tiles with their figures, and the company's choice of tiles."""

from __future__ import annotations

from decimal import Decimal

from ninja import Router, Schema
from pydantic import Field

from openjxc.core import permissions
from openjxc.reports.access import require_reader
from openjxc.reports.cockpit import MAX_TILES, TILES, chosen_tiles, tiles_for
from openjxc.reports.cockpit_settings import set_cockpit_tiles

router = Router(tags=["reports"])


class FigureOut(Schema):
    key: str
    label: str
    value: str | None
    unit: str
    masked: bool


class TileOut(Schema):
    key: str
    title: str
    value: str | None
    unit: str
    masked: bool
    formula: str
    link: str
    delta: str | None
    figures: list[FigureOut]
    lists: dict[str, list[tuple[str, str | None]]]


class CockpitOut(Schema):
    tiles: list[TileOut]


class TileChoice(Schema):
    key: str
    label: str
    kpis: list[str]


class TilesOut(Schema):
    tiles: list[str]
    available: list[TileChoice]


class TilesIn(Schema):
    tiles: list[str] = Field(..., max_length=MAX_TILES * 2, description="5 to 8 tile keys, in their order")


def _s(v) -> str | None:
    return None if v is None else str(v) if isinstance(v, Decimal | int) else str(v)


@router.get("/cockpit", response=CockpitOut, summary="The cockpit's tiles and figures, for the calling user")
def cockpit(request):
    require_reader(request.auth)
    out = []
    for t in tiles_for(request.auth):
        out.append({"key": t.key, "title": t.title, "value": None if t.masked else _s(t.value), "unit": t.unit,
                    "masked": t.masked, "formula": t.formula, "link": t.link, "delta": _s(t.delta),
                    "figures": [{"key": f.key, "label": f.label, "value": None if f.masked else _s(f.value),
                                 "unit": f.unit, "masked": f.masked} for f in t.figures],
                    "lists": {str(name): [(label, _s(v)) for label, v in rows] for name, rows in t.lists}})
    return {"tiles": out}


def _tiles_out(company) -> dict:
    return {"tiles": chosen_tiles(company),
            "available": [{"key": k, "label": str(d.label), "kpis": list(d.kpis)} for k, d in TILES.items()]}


@router.get("/cockpit/tiles", response=TilesOut, summary="The company's cockpit tiles and the tiles to choose from")
def get_tiles(request):
    require_reader(request.auth)
    return _tiles_out(request.auth.company)


@router.put("/cockpit/tiles", response=TilesOut, summary="Choose and order the company's cockpit tiles (5 to 8)")
def put_tiles(request, payload: TilesIn):
    permissions.require(request.auth, "reports.configure")
    set_cockpit_tiles(by=request.auth, tiles=payload.tiles)
    request.auth.company.refresh_from_db(fields=["settings"])
    return _tiles_out(request.auth.company)
