from django.urls import path

from yim.research import evidence_views

app_name = "evidence"

urlpatterns = [
    path("", evidence_views.evidence_view, name="summary"),
    path("background/", evidence_views.evidence_background_view, name="background"),
    path("risk/", evidence_views.analysis_view, {"analysis": "risk"}, name="risk"),
    path(
        "moderators/", evidence_views.analysis_view, {"analysis": "moderators"}, name="moderators"
    ),
]
