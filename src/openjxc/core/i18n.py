"""Compile the gettext catalogues (.po -> .mo) with polib, so setup needs no system gettext tools.

    python -m openjxc.core.i18n compile     # write .mo next to every .po
    python -m openjxc.core.i18n check       # exit 1 if a zh_Hans message is untranslated or fuzzy
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"


def catalogues():
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))


def compile_all() -> int:
    for po_path in catalogues():
        polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
    return 0


def untranslated(lang: str = "zh_Hans") -> list[str]:
    missing = []
    for po_path in LOCALE_DIR.glob(f"{lang}/LC_MESSAGES/*.po"):
        po = polib.pofile(str(po_path))
        missing += [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]
    return missing


def main(argv: list[str]) -> int:
    if argv[:1] == ["compile"]:
        return compile_all()
    if argv[:1] == ["check"]:
        missing = untranslated()
        for m in missing:
            print(f"untranslated: {m!r}")
        return 1 if missing else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
