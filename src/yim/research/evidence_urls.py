from django.urls import path

from yim.research import evidence_views

app_name = "evidence"

urlpatterns = [
    path("", evidence_views.evidence_view, name="summary"),
]
