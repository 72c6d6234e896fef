"""The companies a facts command works on: one by code, or all."""

from __future__ import annotations

import sys
import time

from django.core.management.base import CommandError

from openjxc.core.models import Company


def companies(code: str | None) -> list[Company]:
    if code:
        found = Company.objects.filter(code=code).first()
        if found is None:
            raise CommandError(f"No company with code {code!r}.")
        return [found]
    return list(Company.objects.order_by("pk"))


class Bar:
    """A text progress bar on a terminal (one line redrawn); on a pipe, a line every few seconds."""

    WIDTH = 30

    def __init__(self, out, label: str):
        self.out, self.label = out, label
        self.tty = hasattr(out, "isatty") and out.isatty() or getattr(sys.stdout, "isatty", lambda: False)()
        self.last = 0.0
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        finished = total and done >= total
        if not self.tty and stage == self.stage and not finished and now - self.last < 5:
            return
        self.stage, self.last = stage, now
        share = done / total if total else 1.0
        filled = int(self.WIDTH * share)
        line = f"{self.label} {stage:<9} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:,}/{total:,}"
        if self.tty:
            self.out.write("\r" + line, ending="\n" if finished else "")
        else:
            self.out.write(line)
        self.out.flush()
