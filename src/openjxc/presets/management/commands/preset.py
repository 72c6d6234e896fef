"""jxc preset: list the industry presets, install one (or a preset file) into a company, export a company."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from openjxc.core.errors import DomainError
from openjxc.core.models import Company, Role, User
from openjxc.presets import format as preset_format
from openjxc.presets.export import export_company
from openjxc.presets.install import install_preset


def company_and_admin(code: str | None, username: str | None) -> tuple[Company, User]:
    """The company (the only one when no code is given) and who acts for it (an administrator by default)."""
    if code:
        company = Company.objects.filter(code=code).first()
        if company is None:
            raise CommandError(f"No company with code {code!r}.")
    else:
        companies = list(Company.objects.order_by("pk")[:2])
        if len(companies) != 1:
            raise CommandError("Name the company with --company CODE" if companies else
                               "There is no company yet: run `jxc init` first.")
        company = companies[0]
    users = User.objects.filter(company=company, is_active=True)
    if username:
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(f"No active user {username!r} in company {company.code}.")
    else:
        user = next((u for u in users.order_by("pk") if Role.ADMIN in (u.roles or [])), None)
        if user is None:
            raise CommandError(f"Company {company.code} has no active administrator; name one with --user.")
    return company, user


def parameters(values: list[str]) -> dict:
    """--param stock.threshold=5000 style values as {group: {name: value}}."""
    out: dict[str, dict[str, str]] = {}
    for raw in values:
        key, sep, value = raw.partition("=")
        group, dot, name = key.partition(".")
        if not sep or not dot or not group or not name:
            raise CommandError(f"--param {raw!r}: write it as GROUP.NAME=VALUE (e.g. purchase_order_threshold.threshold=5000)")
        out.setdefault(group, {})[name] = value
    return out


class Command(BaseCommand):
    help = "Industry presets: list them, install one (or a preset file) into a company, export a company as one."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{list,install,export}")
        sub.add_parser("list", help="the presets shipped with OpenJXC")
        install = sub.add_parser("install", help="install a preset into a company (idempotent)")
        install.add_argument("preset", help="a preset name (general, food, …) or the path of a preset file")
        export = sub.add_parser("export", help="write what a company has as a preset file")
        export.add_argument("--output", "-o", metavar="PATH", help="file to write (default: standard output)")
        for p in (install, export):
            p.add_argument("--company", metavar="CODE", help="the company (default: the only one)")
            p.add_argument("--user", metavar="USERNAME", help="who acts, an administrator (default: the first one)")
        install.add_argument("--language", choices=["zh-hans", "en"],
                             help="language of the names it creates (default: JXC_LANGUAGE)")
        install.add_argument("--param", action="append", default=[], metavar="GROUP.NAME=VALUE",
                             help="a flow group's parameter, e.g. purchase_order_threshold.threshold=5000")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.render_message()}") from None

    def _list(self, **options):
        for name in preset_format.builtin_names():
            preset = preset_format.load(name)
            self.stdout.write(f"{name:<15} v{preset.version}  {preset_format.text(preset.title)}")
            self.stdout.write(f"{'':<15}      {preset_format.text(preset.description)}")

    def _install(self, *, preset, company, user, language, param, **options):
        company, by = company_and_admin(company, user)
        data = preset_format.load(preset)
        with translation.override(language or translation.get_language()):
            result = install_preset(data, by=by, language=language, parameters=parameters(param))
        w = self.stdout.write
        if not result.changed:
            w(f"Nothing to do: company {company.code} already has everything preset {data.name} holds.")
            return
        w(self.style.SUCCESS(f"Installed preset {data.name} v{data.version} into company {company.code} "
                             f"(as {by.username}):"))
        w(f"  approval flows added: {len(result.flows)} (already there: {result.kept_flows})")
        for flow in result.flows:
            w(f"    - {flow.name}")
        w(f"  alert rules added: {len(result.rules)} (already there: {result.kept_rules})")
        for rule in result.rules:
            w(f"    - {rule.name}")
        for key, value in result.settings.items():
            w(f"  setting {key} = {value}")

    def _export(self, *, company, user, output, **options):
        company, by = company_and_admin(company, user)
        text = preset_format.dumps(export_company(company, by=by)) + "\n"
        if output:
            path = Path(output).expanduser()
            path.write_text(text, encoding="utf-8")
            self.stderr.write(f"preset file written: {path}")
        else:
            self.stdout.write(text, ending="")
