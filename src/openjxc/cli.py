"""The `jxc` command: a thin entry point over Django's management commands.

    jxc init            create the database, a company and its administrator
    jxc demo            load the demo company (3 months of history)
    jxc serve           web server + background worker
    jxc worker          the background worker alone
    jxc check-ledger    verify the stock ledger (and the partner ledger and report facts)
    jxc preset ...      industry presets: list, install (idempotent), export a company
    jxc period          month-end closing: status, close YYYY-MM, reopen YYYY-MM
    jxc rebuild-facts   recompute the report facts from the ledgers
    jxc check-facts     verify the report facts against the ledgers
    jxc consume-facts   bring the report facts up to date now
    jxc backup / restore
    jxc token create --user NAME --label LABEL   an API token, printed once (also: list, revoke)
    jxc bi-schema       create or update the PostgreSQL `bi` views, fill the calendar
    jxc bi-role ...     read-only BI database logins, one company each: create, list, drop
    jxc terminal ...    an offline POS/PDA terminal client (register, sell, push, pull, sync, status)

Hyphens in command names are accepted (`check-ledger` runs `check_ledger`); any other Django
management command works too (`jxc migrate`, `jxc shell`, ...).
"""

from __future__ import annotations

import os
import sys

DEFAULT_SETTINGS = "openjxc.config.settings.dev"

# Our commands, in the order `jxc --help` lists them.
COMMANDS = ["init", "demo", "preset", "serve", "worker", "check_ledger", "period", "backup", "restore", "token",
            "rebuild_facts", "check_facts", "consume_facts", "bi_schema", "bi_role"]


def _usage() -> str:
    from django.core.management import get_commands, load_command_class

    apps = get_commands()  # command name -> the app that holds it
    lines = ["usage: jxc <command> [options]", "", "OpenJXC 进销存 commands:"]
    for name in COMMANDS:
        cmd = load_command_class(apps.get(name, "openjxc.core"), name)
        summary = (cmd.help or "").strip().splitlines()[0] if cmd.help else ""
        lines.append(f"  {name.replace('_', '-'):<14} {summary}")
    lines += [
        "",
        "`jxc <command> --help` shows a command's options.",
        "Every Django management command is available as well (jxc migrate, jxc shell, jxc help --commands).",
        "`jxc terminal --help`: an offline POS/PDA terminal client (register, sell, push, pull, sync, status).",
        f"Settings: DJANGO_SETTINGS_MODULE (default {DEFAULT_SETTINGS}, or the production settings with "
        "JXC_PRODUCTION=1 or `serve --host` beyond this machine); data in JXC_DATA_DIR (default ./var).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Set the settings module and dispatch to the management command named by the first argument."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "terminal":  # the terminal client needs no server settings or database
        from openjxc.sync.client.cli import main as terminal_main

        sys.exit(terminal_main(argv[1:]))
    from openjxc.config.env import settings_module

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module(argv))
    import django

    django.setup()
    if not argv or (argv[0] in {"-h", "--help", "help"} and len(argv) == 1):
        print(_usage())
        return
    if argv[0] in {"--version", "version"}:
        from importlib.metadata import version

        print(f"openjxc {version('openjxc')}")
        return
    if not argv[0].startswith("-"):
        argv[0] = argv[0].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jxc", *argv])


if __name__ == "__main__":
    main()
