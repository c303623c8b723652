from django.urls import path

from yim.monitoring import questionnaire, views

app_name = "monitoring"

urlpatterns = [
    path("youth/<int:pk>/", views.youth_monitoring_view, name="youth"),
    path("youth/<int:pk>/start/", views.start_assessment_view, name="start"),
    path("assessments/<int:pk>/", views.assessment_view, name="assessment"),
    path("questionnaires/<int:pk>/", questionnaire.resume_view, name="resume"),
    path("questionnaires/<int:pk>/fill/", questionnaire.fill_view, name="fill"),
    path("questionnaires/<int:pk>/done/", questionnaire.done_view, name="done"),
    path("feedback/team/", views.team_feedback_view, name="team_feedback"),
    path("feedback/research/", views.research_feedback_view, name="research_feedback"),
]
