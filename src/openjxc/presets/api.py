"""Presets over HTTP: the shipped industry presets, installing one (or a preset file), exporting the company,
and the approval flow groups an administrator or manager installs on their own (/api/workflow/presets, where
they have always been)."""

from __future__ import annotations

from typing import Any

from ninja import Field, Router, Schema
from ninja import Status as HttpStatus
from pydantic import ConfigDict

from openjxc.core.errors import NotFound
from openjxc.core.schemas import company_id
from openjxc.workflow.api import FlowOut

from . import format as preset_format
from .export import export_company
from .install import flow_groups, install_flow_group, install_preset

router = Router(tags=["presets"])
flow_groups_router = Router(tags=["workflow"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class PresetOut(Schema):
    name: str
    version: int
    title: str
    description: str


class InstallIn(Strict):
    language: str | None = Field(None, pattern="^(zh-hans|en)$", description="names created (default: mine)")
    parameters: dict[str, dict[str, str]] = Field(
        default_factory=dict, description='flow groups\' parameters, e.g. {"purchase_order_threshold": '
                                          '{"threshold": "5000"}}')


class FileInstallIn(InstallIn):
    preset: dict[str, Any] = Field(description="a preset file, as `GET /api/presets/export` writes it")


class InstalledOut(Schema):
    preset: str
    version: int
    changed: bool
    flows: list[str]
    alert_rules: list[str]
    kept_flows: int
    kept_rules: int
    settings: dict[str, Any]


def _installed(result) -> dict:
    return {"preset": result.preset, "version": result.version, "changed": result.changed,
            "flows": [f.name for f in result.flows], "alert_rules": [r.name for r in result.rules],
            "kept_flows": result.kept_flows, "kept_rules": result.kept_rules,
            "settings": {k: (v if isinstance(v, bool | int | str | dict) else str(v))
                         for k, v in result.settings.items()}}


@router.get("", response=list[PresetOut], summary="The industry presets shipped with OpenJXC")
def list_presets(request):
    company_id(request, "document.view")
    out = []
    for name in preset_format.builtin_names():
        p = preset_format.load(name)
        out.append({"name": p.name, "version": p.version, "title": preset_format.text(p.title),
                    "description": preset_format.text(p.description)})
    return out


@router.post("/{name}/install", response=InstalledOut,
             summary="Install a shipped preset into my company (idempotent; administrators)")
def install(request, name: str, payload: InstallIn = None):
    payload = payload or InstallIn()
    if name not in preset_format.builtin_names():
        raise NotFound("preset", name)
    result = install_preset(preset_format.load(name), by=request.auth, language=payload.language,
                            parameters=payload.parameters)
    return _installed(result)


@router.post("/install", response=InstalledOut, summary="Install a preset file into my company (idempotent)")
def install_file(request, payload: FileInstallIn):
    result = install_preset(preset_format.parse(payload.preset), by=request.auth, language=payload.language,
                            parameters=payload.parameters)
    return _installed(result)


@router.get("/export", response=dict[str, Any], summary="What my company has, as a preset file (administrators)")
def export(request):
    company_id(request, "company.setup")
    return export_company(request.auth.company, by=request.auth)


# ---------------------------------------------------------------- approval flow groups


class GroupIn(Strict):
    threshold: str | None = Field(None, max_length=32, description="purchase orders: the amount above which the "
                                  "general manager approves (default 10000)")


@flow_groups_router.get("/presets", summary="The approval flow presets an administrator can install")
def list_flow_groups(request):
    return [{"name": k, "label": preset_format.text(v)} for k, v in flow_groups(company_id(request, "document.view")).items()]


@flow_groups_router.post("/presets/{name}/install", response={201: list[FlowOut]},
                         summary="Install an approval flow preset (idempotent)")
def install_group(request, name: str, payload: GroupIn = None):
    return HttpStatus(201, install_flow_group(name, by=request.auth, threshold=payload.threshold if payload else None))
