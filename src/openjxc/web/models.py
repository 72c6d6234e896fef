"""Background jobs of the web UI: imports, big exports, batch prints, with their progress and result."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from openjxc.core.models import Company


class JobKind(models.TextChoices):
    IMPORT_CHECK = "import_check", _("Import check")
    IMPORT = "import", _("Import")
    EXPORT = "export", _("Export")
    PRINT = "print", _("Batch print")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    """One piece of long work started by a user; the worker writes its progress here as it goes."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=JobKind.choices)
    target = models.CharField(_("what"), max_length=32)  # items / partners / opening, a list's name, documents
    status = models.CharField(_("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    params = models.JSONField(default=dict, blank=True)  # what the worker needs: a query, document ids, a language
    input_name = models.CharField(max_length=200, blank=True)  # the uploaded file's own name
    result_name = models.CharField(max_length=200, blank=True)  # the file offered for download, if any
    errors = models.JSONField(default=list, blank=True)  # bad rows: [{row, column, code, message}]
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        indexes = [models.Index(fields=["company", "user", "-created_at"])]

    def __str__(self):
        return f"{self.kind}:{self.target}#{self.pk}"

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else (100 if self.status == JobStatus.DONE else 0)

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)
