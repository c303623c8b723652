from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResearchConfig(AppConfig):
    name = "yim.research"
    label = "research"
    verbose_name = _("Research")

    def ready(self) -> None:
        # Register the background-work kinds of the research tools (yim.jobs).
        from yim.research import (  # noqa: F401
            analysis_jobs,
            evidence_jobs,
            export_jobs,
            meta_jobs,
            pooling_jobs,
            report_jobs,
            teams_jobs,
        )
