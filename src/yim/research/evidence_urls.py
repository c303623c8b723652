from django.urls import path

from yim.research import (
    analysis_views,
    comparison_views,
    evidence_views,
    pooling_views,
    report_views,
    teams_views,
)

app_name = "evidence"

urlpatterns = [
    path("", evidence_views.evidence_view, name="summary"),
    path("background/", evidence_views.evidence_background_view, name="background"),
    path("risk/", analysis_views.analysis_view, {"analysis": "risk"}, name="risk"),
    path(
        "moderators/", analysis_views.analysis_view, {"analysis": "moderators"}, name="moderators"
    ),
    path("comparison/", comparison_views.comparison_view, name="comparison"),
    path("teams/", teams_views.teams_view, name="teams"),
    path("pool/", pooling_views.pool_view, name="pool"),
    path("pool/<int:job_id>/report/", pooling_views.pool_report_view, name="pool_report"),
    path("pool/<int:job_id>/result.json", pooling_views.pool_json_view, name="pool_json"),
    path("report/", report_views.report_view, name="report"),
    path("report/<int:job_id>/download/", report_views.download_view, name="report_download"),
]
