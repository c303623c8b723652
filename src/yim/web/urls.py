from django.urls import path

from yim.accounts import admin_urls
from yim.web import views

app_name = "web"

urlpatterns = [
    path("", views.root_view, name="root"),
    path("home/", views.home_view, name="home"),
    path("youth/", views.youth_list_view, name="youth_list"),
    path("youth/break-glass/", views.break_glass_view, name="break_glass"),
    path("youth/<int:pk>/", views.youth_detail_view, name="youth_detail"),
    path("youth/<int:pk>/invite/", views.invite_view, name="invite"),
    path("youth/<int:pk>/invite/resend/", views.invitation_resend_view, name="invitation_resend"),
    path("audit/", views.audit_search_view, name="audit_search"),
    path("my-file/views/", views.own_access_log_view, name="own_access_log"),
    *admin_urls.urlpatterns,  # /users/...: the organisation admin's users and teams
    path("me/", views.account_view, name="account"),
    path("me/tokens/<int:pk>/revoke/", views.revoke_token_view, name="revoke_token"),
    path("i18n/setlang/", views.set_language_view, name="set_language"),
]
