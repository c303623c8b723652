from django.urls import path

from yim.research import views

app_name = "research"

urlpatterns = [
    path("", views.research_home_view, name="home"),
]
