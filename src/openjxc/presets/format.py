"""The preset file: one JSON document per industry preset (files/*.json) or per exported company.

    {"format": 1, "name": "food", "version": 1, "title": {...}, "description": {...},
     "settings": {"stock_tracking": true, ...},
     "flow_groups": {"stock_adjustments": {"title": {...}, "parameters": {}}},
     "flows": [{"group": "stock_adjustments", "kind": "write_off", "name": {...}, "steps": [...]}],
     "alert_rules": [{"kind": "low_stock", "name": {...}, "params": {}, "recipient_roles": [...]}]}

A text is either a plain string or one per language ({"en": ..., "zh-hans": ...}); installing picks the
company's language. A flow group may declare parameters (a purchase-order threshold); `{name}` in a step's
texts and condition values is replaced by the parameter's value. People, warehouses, categories, items and
channels are named by username / code / name, never by database id, so a file travels between companies.
Steps and rule parameters are checked by the services that install them (workflow, alerts).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from openjxc.core.errors import NotFound, ValidationFailed

FORMAT = 1
FILES = Path(__file__).resolve().parent / "files"
MAX_BYTES = 1_000_000

Text = str | dict[str, str]
Name = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,31}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FlowGroup(_Strict):
    title: Text
    parameters: dict[str, str] = {}


class FlowSpec(_Strict):
    group: str = Field("", max_length=32)
    kind: str = Field(max_length=32)
    name: Text
    note: Text | None = None  # None: the group's title
    priority: int = Field(0, ge=-1000, le=1000)
    active: bool = True
    warehouses: list[str] = Field([], max_length=200)  # warehouse codes; empty = every warehouse
    steps: list[dict[str, Any]] = Field(min_length=1, max_length=20)


class RuleSpec(_Strict):
    kind: str = Field(max_length=32)
    name: Text
    active: bool = True
    warehouse: str | None = None  # codes; none = the whole company
    category: str | None = None
    item: str | None = None
    params: dict[str, int | float | str] = {}
    recipient_roles: list[str] = []
    recipients: list[str] = []  # usernames
    channels: list[str] = []  # channel names
    cooldown_hours: int = Field(24, ge=0, le=24 * 90)

    def scope(self) -> tuple[str | None, str | None, str | None]:
        return self.warehouse, self.category, self.item


class PresetFile(_Strict):
    format: int
    name: str = Name
    version: int = Field(1, ge=1)
    title: Text
    description: Text = ""
    settings: dict[str, Any] = {}
    flow_groups: dict[str, FlowGroup] = {}
    flows: list[FlowSpec] = Field([], max_length=500)
    alert_rules: list[RuleSpec] = Field([], max_length=500)


class PresetInvalid(ValidationFailed):
    code = "preset.invalid"
    http_status = 422
    message = _("The preset file is not valid: %(field)s %(reason)s")


def text(value: Text, language: str | None = None) -> str:
    """A file text in `language` (default: the active one), else English, else the first one given."""
    if isinstance(value, str):
        return value
    language = (language or translation.get_language() or "en").lower()
    for key in (language, language.split("-")[0], "en"):
        if value.get(key):
            return value[key]
    return next(iter(value.values()), "")


def substitute(value, parameters: dict[str, str]):
    """`value` (a step, a text, a list …) with every `{name}` of `parameters` replaced by its value."""
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda m: parameters.get(m[1], m[0]), value)
    if isinstance(value, dict):
        return {k: substitute(v, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, parameters) for v in value]
    return value


def check_parameters(group: str, declared: dict[str, str], given: dict[str, Any] | None) -> dict[str, str]:
    """The group's parameters with the given values (positive amounts) in place of the defaults."""
    out = dict(declared)
    for key, value in (given or {}).items():
        if value in (None, ""):
            continue
        if key not in declared:
            raise PresetInvalid(field=f"flow_groups.{group}.parameters.{key}", reason=_("is not a parameter"))
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            raise PresetInvalid(field=key, reason=_("is not a number")) from None
        if not number.is_finite() or number <= 0:
            raise PresetInvalid(field=key, reason=_("must be greater than zero"))
        out[key] = format(number.normalize(), "f") if number == number.to_integral() else str(number)
    return out


def parse(data: Any) -> PresetFile:
    """Check a preset document; a bad one raises preset.invalid naming the first wrong field."""
    try:
        preset = PresetFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "file"
        raise PresetInvalid(field=field, reason=first["msg"]) from None
    if preset.format != FORMAT:
        raise PresetInvalid(field="format", reason=_("must be %(format)s") % {"format": FORMAT})
    for n, flow in enumerate(preset.flows):
        if flow.group and flow.group not in preset.flow_groups:
            raise PresetInvalid(field=f"flows.{n}.group", reason=_("is not one of the file's flow groups"))
    return preset


def loads(raw: str | bytes) -> PresetFile:
    """Parse a preset file's text."""
    if len(raw) > MAX_BYTES:
        raise PresetInvalid(field="file", reason=_("is larger than 1 MB"))
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PresetInvalid(field="file", reason=_("is not JSON (%(error)s)") % {"error": exc}) from None
    return parse(data)


def builtin_names() -> list[str]:
    """The industry presets shipped with OpenJXC (general first)."""
    names = sorted(p.stem for p in FILES.glob("*.json"))
    return sorted(names, key=lambda n: n != "general")


def load(name_or_path: str) -> PresetFile:
    """A shipped preset by name (general, food, …) or a preset file by path."""
    if name_or_path in builtin_names():
        return loads((FILES / f"{name_or_path}.json").read_bytes())
    path = Path(name_or_path)
    if path.suffix == ".json" and path.is_file():
        return loads(path.read_bytes())
    raise NotFound("preset", name_or_path)


def dumps(data: Any, indent: int = 0, width: int = 110) -> str:
    """JSON a person can read and diff: what fits on a line stays on one line, the rest is indented."""
    flat = json.dumps(data, ensure_ascii=False)
    if len(flat) + indent <= width or not isinstance(data, dict | list) or not data:
        return flat
    pad = " " * (indent + 2)
    if isinstance(data, dict):
        body = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {dumps(v, indent + 2, width).lstrip()}"
                for k, v in data.items()]
        return "{\n" + ",\n".join(body) + "\n" + " " * indent + "}"
    body = [pad + dumps(v, indent + 2, width).lstrip() for v in data]
    return "[\n" + ",\n".join(body) + "\n" + " " * indent + "]"
