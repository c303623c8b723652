from django.contrib.auth import views as auth_views
from django.urls import path

from yim.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("2fa/", views.two_factor_view, name="two_factor"),
    path("2fa/setup/", views.two_factor_setup_view, name="two_factor_setup"),
    path("2fa/recovery-codes/", views.recovery_codes_view, name="two_factor_recovery_codes"),
    path("2fa/new-phone/", views.new_phone_view, name="two_factor_new_phone"),
    path("invitation/<str:token>/", views.accept_invitation_view, name="accept_invitation"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
