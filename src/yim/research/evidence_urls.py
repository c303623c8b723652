from django.urls import path

from yim.research import analysis_views, comparison_views, evidence_views

app_name = "evidence"

urlpatterns = [
    path("", evidence_views.evidence_view, name="summary"),
    path("background/", evidence_views.evidence_background_view, name="background"),
    path("risk/", analysis_views.analysis_view, {"analysis": "risk"}, name="risk"),
    path(
        "moderators/", analysis_views.analysis_view, {"analysis": "moderators"}, name="moderators"
    ),
    path("comparison/", comparison_views.comparison_view, name="comparison"),
]
