"""The organisation admin's programme settings, under /programmes/."""

from django.urls import path

from yim.programmes import views

app_name = "programmes"

urlpatterns = [
    path("", views.programme_list_view, name="list"),
    path("new/", views.programme_create_view, name="create"),
    path("<int:pk>/", views.programme_edit_view, name="edit"),
    path("<int:pk>/copy/", views.programme_copy_view, name="copy"),
    path(
        "<int:pk>/deactivate/",
        views.programme_set_active_view,
        {"active": False},
        name="deactivate",
    ),
    path(
        "<int:pk>/reactivate/", views.programme_set_active_view, {"active": True}, name="reactivate"
    ),
]
