"""The gettext catalogues: compile .po -> .mo with polib (no system gettext tools), and find up-to-date ones.

    python -m openjxc.core.i18n compile     # write .mo next to every .po
    python -m openjxc.core.i18n check       # exit 1 if a zh_Hans message is untranslated or fuzzy, or a message
                                            # of the source is missing from the catalogue

Any install speaks Chinese: the package build compiles the catalogues into the wheel (setup.py), and at start
`catalogue_dir()` (settings.LOCALE_PATHS) compiles any that is missing or stale, in the package when it can
write there, else under the data directory. Each .mo records the SHA-256 of the .po it was compiled from, so
"stale" is decided by content, not by file times (an installer does not keep them).
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import struct
import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
SOURCE_HASH = "X-Source-Sha256"  # the .mo header field holding its .po's hash


def catalogues(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    return sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))


def source_hash(po_path: Path) -> str:
    return hashlib.sha256(po_path.read_bytes()).hexdigest()


def compile_catalogue(po_path: Path, mo_path: Path) -> None:
    """Compile one .po into `mo_path`, atomically (a concurrent reader sees the old or the new file)."""
    po = polib.pofile(str(po_path))
    po.metadata[SOURCE_HASH] = source_hash(po_path)
    mo_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = mo_path.with_name(f".{mo_path.name}.{os.getpid()}.tmp")
    try:
        po.save_as_mofile(str(tmp))
        os.replace(tmp, mo_path)
    finally:
        tmp.unlink(missing_ok=True)


def compile_all(locale_dir: Path = LOCALE_DIR, out_dir: Path | None = None) -> int:
    """Compile every catalogue of `locale_dir` next to its .po (or into the same layout under `out_dir`)."""
    for po_path in catalogues(locale_dir):
        target = (out_dir / po_path.relative_to(locale_dir)) if out_dir else po_path
        compile_catalogue(po_path, target.with_suffix(".mo"))
    return 0


def compiled_from(mo_path: Path) -> str | None:
    """The source hash recorded in a .mo's header, or None (missing, unreadable or compiled elsewhere).

    Reads only the header entry (the translation of the empty msgid, the first in the sorted table) by the
    GNU .mo layout: magic, revision, count, offset of the originals table, offset of the translations table."""
    try:
        data = mo_path.read_bytes()
        for order in ("<", ">"):
            magic, _revision, count, originals, translations = struct.unpack_from(f"{order}5I", data)
            if magic == 0x950412DE:
                break
        else:
            return None
        if count == 0 or struct.unpack_from(f"{order}I", data, originals)[0] != 0:
            return None  # no header entry first
        length, offset = struct.unpack_from(f"{order}2I", data, translations)
        header = data[offset:offset + length].decode("utf-8")
    except (OSError, struct.error, UnicodeDecodeError):
        return None
    for line in header.splitlines():
        name, _sep, value = line.partition(":")
        if name.strip() == SOURCE_HASH:
            return value.strip()
    return None


def stale(locale_dir: Path, compiled_dir: Path) -> list[Path]:
    """The .po files of `locale_dir` whose .mo (same layout under `compiled_dir`) is missing or out of date."""
    return [po for po in catalogues(locale_dir)
            if compiled_from((compiled_dir / po.relative_to(locale_dir)).with_suffix(".mo")) != source_hash(po)]


def catalogue_dir(data_dir: Path, locale_dir: Path = LOCALE_DIR) -> Path:
    """The directory for LOCALE_PATHS: `locale_dir` with every .mo up to date, compiling what is missing or
    stale in place; where the package cannot be written (a system-wide install), a compiled copy under
    `data_dir`/locale."""
    todo = stale(locale_dir, locale_dir)
    if not todo:
        return locale_dir
    try:
        for po_path in todo:
            compile_catalogue(po_path, po_path.with_suffix(".mo"))
        return locale_dir
    except OSError:
        pass
    out = data_dir / "locale"
    try:
        for po_path in stale(locale_dir, out):
            compile_catalogue(po_path, (out / po_path.relative_to(locale_dir)).with_suffix(".mo"))
    except OSError as exc:  # nowhere to write: start anyway, in English where a catalogue is missing
        sys.stderr.write(f"OpenJXC: cannot compile the translations ({exc}); run `python -m openjxc.core.i18n "
                         "compile` as the owner of the installation\n")
        return locale_dir
    return out


def untranslated(lang: str = "zh_Hans") -> list[str]:
    missing = []
    for po_path in LOCALE_DIR.glob(f"{lang}/LC_MESSAGES/*.po"):
        po = polib.pofile(str(po_path))
        missing += [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]
    return missing


_GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}
_TEMPLATE_TAG = re.compile(r"""\{%\s*(?:translate|trans)\s+(?:"([^"]*)"|'([^']*)')""")


def source_messages(package: Path = LOCALE_DIR.parent) -> dict[str, str]:
    """Every literal message of the package's source (gettext calls in Python, {% translate "…" %} in
    templates), with where it was first seen: what the catalogue must hold. (A static scan: no import, no GNU
    gettext tools; {% blocktranslate %} blocks are not read.)"""
    found: dict[str, str] = {}
    for path in sorted(package.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name not in _GETTEXT:
                continue
            args = node.args[1:] if name.startswith("pgettext") else node.args
            first = args[0] if args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.setdefault(first.value, f"{path.relative_to(package)}:{node.lineno}")
    for path in sorted(package.rglob("templates/**/*.*")):
        for m in _TEMPLATE_TAG.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(m.group(1) if m.group(1) is not None else m.group(2), str(path.relative_to(package)))
    return found


def not_in_catalogue(lang: str = "zh_Hans") -> list[str]:
    """Messages of the source that the language's catalogue does not hold at all (they show in English)."""
    have: set[str] = set()
    for po_path in LOCALE_DIR.glob(f"{lang}/LC_MESSAGES/*.po"):
        have |= {e.msgid for e in polib.pofile(str(po_path)) if not e.obsolete}
    return sorted(f"{msg!r} ({where})" for msg, where in source_messages().items() if msg and msg not in have)


def main(argv: list[str]) -> int:
    if argv[:1] == ["compile"]:
        return compile_all()
    if argv[:1] == ["check"]:
        missing = untranslated()
        for m in missing:
            print(f"untranslated: {m!r}")
        absent = not_in_catalogue()
        for m in absent:
            print(f"not in the catalogue: {m}")
        return 1 if missing or absent else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
