from django.urls import path

from yim.research import export_views, views

app_name = "research"

urlpatterns = [
    path("", views.research_home_view, name="home"),
    path("meta/", views.meta_list_view, name="meta_list"),
    path("meta/new/", views.meta_new_view, name="meta_new"),
    path("meta/columns/", views.meta_columns_view, name="meta_columns"),
    path("meta/<int:pk>/", views.meta_detail_view, name="meta_detail"),
    path("meta/<int:pk>/report/", views.meta_report_view, name="meta_report"),
    path("meta/<int:pk>/result.json", views.meta_json_view, name="meta_json"),
    path("export/", export_views.export_view, name="export"),
    path("export/<int:job_id>/download/", export_views.download_view, name="export_download"),
]
