"""The entity reference of the BI guide (docs/guide/bi.zh.md, bi.en.md), generated from the registry.

    .venv/bin/python -m openjxc.bi.reference        rewrites the block between the markers in both pages

tests/bi/test_guide.py fails when a page's block differs from what the registry gives (run the command).
"""

from __future__ import annotations

import pathlib
import sys

from openjxc.bi.entities import ENTITIES, VERSION

BEGIN, END = "<!-- entities:begin (python -m openjxc.bi.reference) -->", "<!-- entities:end -->"
GUIDE = pathlib.Path(__file__).resolve().parents[3] / "docs" / "guide"
PAGES = {"zh": GUIDE / "bi.zh.md", "en": GUIDE / "bi.en.md"}
WORDS = {
    "zh": {"version": "视图版本", "key": "主键", "column": "列", "type": "类型", "meaning": "含义",
           "cost": "成本（无成本权限时为空）", "all": "（所有公司共用）", "stop": "。", "colon": "："},
    "en": {"version": "Views version", "key": "key", "column": "column", "type": "type", "meaning": "meaning",
           "cost": "cost (empty without the cost right)", "all": " (shared by every company)", "stop": ". ",
           "colon": ": "},
}


def reference(lang: str) -> str:
    """The markdown of every entity: description, key, columns with type and label (zh or en)."""
    w = WORDS[lang]
    out = [f"{w['version']}{w['colon']}{VERSION}", ""]
    for e in ENTITIES.values():
        description = e.description_zh if lang == "zh" else e.description_en
        scope = "" if e.company_scoped else w["all"]
        out += [f"#### `{e.name}`", "", f"{description}{scope}{w['stop']}{w['key']}{w['colon']}`{', '.join(e.key)}`",
                "",
                f"| {w['column']} | {w['type']} | {w['meaning']} |", "|---|---|---|"]
        for c in e.columns:
            label = c.label_zh if lang == "zh" else c.label_en
            out.append(f"| `{c.name}` | {c.type} | {label}{' — ' + w['cost'] if c.cost else ''} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def block(lang: str) -> str:
    return f"{BEGIN}\n{reference(lang)}{END}"


def current(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[start:end]


def main() -> int:
    import django

    django.setup()
    for lang, page in PAGES.items():
        text = page.read_text(encoding="utf-8")
        page.write_text(text.replace(current(text), block(lang)), encoding="utf-8")
        print(f"{page}: {len(ENTITIES)} entities")
    return 0


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openjxc.config.settings.dev")
    sys.exit(main())
