from django.urls import include, path

from yim.api import api

urlpatterns = [
    path("accounts/", include("yim.accounts.urls")),
    path("api/v1/", api.urls),
    path("trajectories/", include("yim.trajectories.urls")),
    path("research/", include("yim.research.urls")),
    path("evidence/", include("yim.research.evidence_urls")),
    path("qualitative/", include("yim.qualitative.urls")),
    path("monitoring/", include("yim.monitoring.urls")),
    path("portal/", include("yim.portals.urls")),
    path("programmes/", include("yim.programmes.urls")),
    path("jobs/", include("yim.jobs.urls")),
    path("", include("yim.web.urls")),
]

handler403 = "yim.web.views.error_403_view"
handler404 = "yim.web.views.error_404_view"
handler500 = "yim.web.views.error_500_view"
