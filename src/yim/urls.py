from django.urls import include, path

from yim.api import api

urlpatterns = [
    path("accounts/", include("yim.accounts.urls")),
    path("api/v1/", api.urls),
    path("", include("yim.web.urls")),
]

handler403 = "yim.web.views.error_403_view"
handler404 = "yim.web.views.error_404_view"
handler500 = "yim.web.views.error_500_view"
