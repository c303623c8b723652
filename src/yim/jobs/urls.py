from django.urls import path

from yim.jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.job_list_view, name="list"),
    path("<int:job_id>/", views.job_view, name="job"),
    path("<int:job_id>/progress/", views.progress_view, name="progress"),
    path("<int:job_id>/again/", views.again_view, name="again"),
]
