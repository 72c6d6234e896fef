"""Screenshots for the docs: written into docs/screenshots/ only when JXC_SCREENSHOTS=1.

An ordinary run (a developer's, CI's fresh clone) leaves the committed images as they are, so the work tree
stays clean; `JXC_SCREENSHOTS=1 pytest tests/e2e` refreshes them."""

from __future__ import annotations

import os
from pathlib import Path

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def wanted() -> bool:
    return os.environ.get("JXC_SCREENSHOTS") == "1"


def shot(target, name: str, **kwargs) -> Path | None:
    """`target.screenshot(...)` (a page or a locator) into docs/screenshots/`name`, when screenshots are wanted."""
    if not wanted():
        return None
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    target.screenshot(path=str(path), **kwargs)
    return path
