"""The organisation admin's pages under /users/.

``yim.web.urls`` splices these patterns into its own list, so they share the ``web``
namespace with the user list (``web:user_list`` at /users/): an ``include()`` inside the
``web`` app would nest the names as ``web:<namespace>:...``.
"""

from django.urls import path

from yim.accounts import admin_views

urlpatterns = [
    path("users/", admin_views.user_list_view, name="user_list"),
    path("users/new/", admin_views.user_create_view, name="user_create"),
    path("users/<int:pk>/", admin_views.user_detail_view, name="user_detail"),
    path(
        "users/<int:pk>/deactivate/",
        admin_views.user_set_active_view,
        {"active": False},
        name="user_deactivate",
    ),
    path(
        "users/<int:pk>/reactivate/",
        admin_views.user_set_active_view,
        {"active": True},
        name="user_reactivate",
    ),
    path(
        "users/<int:pk>/password-link/",
        admin_views.user_password_link_view,
        name="user_password_link",
    ),
    path(
        "users/<int:pk>/reset-2fa/", admin_views.user_reset_two_factor_view, name="user_reset_2fa"
    ),
    path(
        "users/<int:pk>/confirm-case-access/",
        admin_views.confirm_case_access_view,
        name="user_confirm_case_access",
    ),
    path("users/teams/", admin_views.team_list_view, name="team_list"),
    path("users/teams/<int:pk>/", admin_views.team_rename_view, name="team_rename"),
    path(
        "users/set-password/<uidb64>/<token>/",
        admin_views.set_password_view,
        name="set_password",
    ),
]
