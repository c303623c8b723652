from django.urls import path

from yim import policy
from yim.portals import consent, file, home, placements, questionnaires, sharing

app_name = "portal"

urlpatterns = [
    path("", home.index_view, name="index"),
    path("<int:youth_id>/", home.youth_view, name="youth"),
    path("<int:youth_id>/sharing/", sharing.sharing_view, name="sharing"),
    path("<int:youth_id>/consent/", consent.consent_view, name="consent"),
    path("<int:youth_id>/questionnaires/start/", questionnaires.start_view, name="start"),
    path(
        "<int:youth_id>/placements/<int:decision_id>/advice/",
        placements.advice_view,
        name="advice",
    ),
    # One route per part of the file (no free-form segment: unknown parts are simply absent).
    *(
        path(
            f"<int:youth_id>/file/{scope}/",
            file.scope_view,
            {"scope": scope},
            name=f"scope_{scope}",
        )
        for scope in policy.PORTAL_SCOPES
    ),
]
