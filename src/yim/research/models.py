"""Research workspace records: meta-analyses run by researchers on uploaded study data.

Uploaded study-level data hold no youth data (effect sizes from publications); the run keeps
the rendered report and the JSON fit so that a result can be cited and reproduced later.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MetaAnalysisRun(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="meta_analysis_runs"
    )
    title = models.CharField(_("title"), max_length=200)
    source_filename = models.CharField(_("file"), max_length=255)
    options = models.JSONField(_("options"), default=dict)
    result = models.JSONField(_("result"), default=dict)
    report_html = models.TextField()
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("meta-analysis")
        verbose_name_plural = _("meta-analyses")

    def __str__(self) -> str:
        return self.title
