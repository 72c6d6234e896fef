"""jxc worker: the huey background worker on its own (`jxc serve` starts one for you)."""

from __future__ import annotations

import logging

from huey.contrib.djhuey.management.commands.run_huey import Command as RunHuey


class Command(RunHuey):
    help = "Run the background worker (huey consumer: periodic checks, notifications)."

    def handle(self, *args, **options):
        # huey adds its own console handler; without this every line also reaches the root handler
        logging.getLogger("huey").propagate = False
        return super().handle(*args, **options)
