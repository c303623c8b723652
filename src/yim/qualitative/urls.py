from django.urls import path

from . import views, views_analysis, views_codebook, views_exchange, views_queries

app_name = "qualitative"

urlpatterns = [
    path("", views.project_list_view, name="projects"),
    path("new/", views.project_create_view, name="project_create"),
    path("import/", views_exchange.import_new_project_view, name="import_new"),
    path("<int:pk>/import-report/", views_exchange.import_report_view, name="import_report"),
    path("<int:pk>/", views.project_view, name="project"),
    path("<int:pk>/members/", views.members_view, name="members"),
    path(
        "<int:pk>/members/<int:membership_id>/remove/",
        views.member_remove_view,
        name="member_remove",
    ),
    path("<int:pk>/participants/", views.participants_view, name="participants"),
    path(
        "<int:pk>/participants/<int:participant_id>/",
        views.participant_edit_view,
        name="participant",
    ),
    path("<int:pk>/transcripts/", views.transcript_upload_view, name="transcript_upload"),
    path("<int:pk>/documents/<int:document_id>/", views.document_view, name="document"),
    path(
        "<int:pk>/documents/<int:document_id>/codings/",
        views.code_selection_view,
        name="code_selection",
    ),
    path(
        "<int:pk>/documents/<int:document_id>/coders/",
        views_analysis.coders_view,
        name="coders",
    ),
    path("<int:pk>/segments/<int:segment_id>/adjust/", views.segment_adjust_view, name="adjust"),
    path("<int:pk>/codings/<int:coding_id>/remove/", views.coding_remove_view, name="uncode"),
    path("<int:pk>/codebook/", views_codebook.codebook_view, name="codebook"),
    path("<int:pk>/codes/<int:code_id>/edit/", views_codebook.code_edit_view, name="code_edit"),
    path("<int:pk>/codes/<int:code_id>/move/", views_codebook.code_move_view, name="code_move"),
    path("<int:pk>/codes/<int:code_id>/merge/", views_codebook.code_merge_view, name="code_merge"),
    path(
        "<int:pk>/codes/<int:code_id>/delete/",
        views_codebook.code_delete_view,
        name="code_delete",
    ),
    path("<int:pk>/memos/", views_codebook.memos_view, name="memos"),
    path("<int:pk>/pseudonyms/", views_codebook.pseudonyms_view, name="pseudonyms"),
    path(
        "<int:pk>/pseudonyms/apply/",
        views_codebook.pseudonyms_apply_view,
        name="pseudonyms_apply",
    ),
    path("<int:pk>/export.qdpx", views_exchange.export_qdpx_view, name="export_qdpx"),
    path("<int:pk>/export.qdc", views_exchange.export_qdc_view, name="export_qdc"),
    path("<int:pk>/import/", views_exchange.import_into_project_view, name="import"),
    path("<int:pk>/import-codebook/", views_exchange.import_codebook_view, name="import_qdc"),
    path("<int:pk>/segments/", views_exchange.segments_view, name="segments"),
    path("<int:pk>/frequencies/", views_analysis.frequencies_view, name="frequencies"),
    path("<int:pk>/cooccurrence/", views_analysis.cooccurrence_view, name="cooccurrence"),
    path("<int:pk>/agreement/", views_analysis.agreement_view, name="agreement"),
    path("<int:pk>/matrix/", views_queries.matrix_view, name="matrix"),
    path("<int:pk>/search/", views_queries.text_search_view, name="text_search"),
    path("<int:pk>/code-query/", views_queries.code_query_view, name="code_query"),
]
