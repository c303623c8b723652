from django.urls import path

from yim import policy
from yim.monitoring import portal

app_name = "portal"

urlpatterns = [
    path("", portal.index_view, name="index"),
    path("<int:youth_id>/", portal.youth_view, name="youth"),
    path("<int:youth_id>/sharing/", portal.sharing_view, name="sharing"),
    path("<int:youth_id>/consent/", portal.consent_view, name="consent"),
    path("<int:youth_id>/questionnaires/start/", portal.start_view, name="start"),
    # One route per part of the file (no free-form segment: unknown parts are simply absent).
    *(
        path(
            f"<int:youth_id>/file/{scope}/",
            portal.scope_view,
            {"scope": scope},
            name=f"scope_{scope}",
        )
        for scope in policy.PORTAL_SCOPES
    ),
]
