from django.urls import path

from yim.trajectories import (
    views,
    views_care,
    views_closure,
    views_comparison,
    views_episodes,
    views_network,
    views_nomination,
    views_overview,
    views_placement,
    views_portal,
)

app_name = "trajectories"

urlpatterns = [
    path("overview/", views_overview.overview_view, name="overview"),
    path("intake/", views.intake_view, name="intake"),
    path("comparison/", views_comparison.comparison_list_view, name="comparison_list"),
    path("comparison/add/", views_comparison.comparison_add_view, name="comparison_add"),
    path("comparison/import/", views_comparison.comparison_import_view, name="comparison_import"),
    # the youth: a new trajectory, and the network map (it belongs to the youth)
    path("youth/<int:youth_id>/start/", views.start_view, name="start"),
    path(
        "youth/<int:youth_id>/living-situation/",
        views_episodes.living_situation_view,
        name="living_situation",
    ),
    path("youth/<int:youth_id>/network/", views_network.network_view, name="network"),
    path("youth/<int:youth_id>/network/map.svg", views_network.map_svg_view, name="map_svg"),
    path("youth/<int:youth_id>/network/map.png", views_network.map_png_view, name="map_png"),
    path("youth/<int:youth_id>/network/add/", views_network.person_add_view, name="person_add"),
    path(
        "youth/<int:youth_id>/network/<int:pk>/",
        views_network.person_edit_view,
        name="person_edit",
    ),
    path(
        "youth/<int:youth_id>/network/<int:pk>/remove/",
        views_network.person_remove_view,
        name="person_remove",
    ),
    path("youth/<int:youth_id>/network/ties/add/", views_network.tie_add_view, name="tie_add"),
    path(
        "youth/<int:youth_id>/network/ties/<int:pk>/",
        views_network.tie_edit_view,
        name="tie_edit",
    ),
    path(
        "youth/<int:youth_id>/network/ties/<int:pk>/remove/",
        views_network.tie_remove_view,
        name="tie_remove",
    ),
    path(
        "youth/<int:youth_id>/portal-accounts/<int:pk>/password-link/",
        views_portal.portal_password_link_view,
        name="portal_password_link",
    ),
    path(
        "youth/<int:youth_id>/portal-accounts/<int:pk>/end/",
        views_portal.portal_link_end_view,
        name="portal_link_end",
    ),
    # one trajectory (pk = the trajectory)
    path("<int:pk>/", views.trajectory_view, name="detail"),
    path("<int:pk>/referral/", views.referral_view, name="referral"),
    path("<int:pk>/phase/", views.phase_view, name="phase"),
    path("<int:pk>/rounds/start/", views_nomination.round_start_view, name="round_start"),
    path("<int:pk>/candidates/add/", views_nomination.candidate_add_view, name="candidate_add"),
    path("<int:pk>/no-jim/", views_nomination.no_jim_view, name="no_jim"),
    path("<int:pk>/meetings/add/", views_care.meeting_add_view, name="meeting_add"),
    path("<int:pk>/care-plan/", views_care.care_plan_view, name="care_plan"),
    path("<int:pk>/care-plan/goals/add/", views_care.goal_add_view, name="goal_add"),
    path("<int:pk>/safety-plans/add/", views_care.safety_add_view, name="safety_add"),
    path("<int:pk>/placements/add/", views_placement.placement_add_view, name="placement_add"),
    path("<int:pk>/placement-episodes/add/", views_episodes.episode_add_view, name="episode_add"),
    path("<int:pk>/close/", views_closure.close_view, name="close"),
    # records of a trajectory (pk = the record; looked up through the trajectory scope)
    path("candidates/<int:pk>/", views_nomination.candidate_view, name="candidate"),
    path("candidates/<int:pk>/consent/", views_nomination.consent_add_view, name="consent_add"),
    path("meetings/<int:pk>/", views_care.meeting_view, name="meeting"),
    path("goals/<int:pk>/", views_care.goal_edit_view, name="goal_edit"),
    path("goals/<int:pk>/remove/", views_care.goal_remove_view, name="goal_remove"),
    path("safety-plans/<int:pk>/", views_care.safety_edit_view, name="safety_edit"),
    path("placements/<int:pk>/", views_placement.placement_view, name="placement"),
    path(
        "placements/<int:pk>/outcome/",
        views_episodes.decision_outcome_view,
        name="decision_outcome",
    ),
    path("placement-episodes/<int:pk>/", views_episodes.episode_view, name="episode"),
    path("follow-ups/<int:pk>/", views_closure.follow_up_view, name="follow_up"),
]
