from django.urls import path

from yim.trajectories.views import (
    care,
    closure,
    comparison,
    episodes,
    network,
    nomination,
    overview,
    placement,
    portal_links,
    trajectory,
)

app_name = "trajectories"

urlpatterns = [
    path("overview/", overview.overview_view, name="overview"),
    path("intake/", trajectory.intake_view, name="intake"),
    path("comparison/", comparison.comparison_list_view, name="comparison_list"),
    path("comparison/add/", comparison.comparison_add_view, name="comparison_add"),
    path("comparison/import/", comparison.comparison_import_view, name="comparison_import"),
    # the youth: a new trajectory, and the network map (it belongs to the youth)
    path("youth/<int:youth_id>/start/", trajectory.start_view, name="start"),
    path(
        "youth/<int:youth_id>/living-situation/",
        episodes.living_situation_view,
        name="living_situation",
    ),
    path("youth/<int:youth_id>/network/", network.network_view, name="network"),
    path("youth/<int:youth_id>/network/map.svg", network.map_svg_view, name="map_svg"),
    path("youth/<int:youth_id>/network/map.png", network.map_png_view, name="map_png"),
    path("youth/<int:youth_id>/network/add/", network.person_add_view, name="person_add"),
    path(
        "youth/<int:youth_id>/network/<int:pk>/",
        network.person_edit_view,
        name="person_edit",
    ),
    path(
        "youth/<int:youth_id>/network/<int:pk>/remove/",
        network.person_remove_view,
        name="person_remove",
    ),
    path("youth/<int:youth_id>/network/ties/add/", network.tie_add_view, name="tie_add"),
    path(
        "youth/<int:youth_id>/network/ties/<int:pk>/",
        network.tie_edit_view,
        name="tie_edit",
    ),
    path(
        "youth/<int:youth_id>/network/ties/<int:pk>/remove/",
        network.tie_remove_view,
        name="tie_remove",
    ),
    path(
        "youth/<int:youth_id>/portal-accounts/<int:pk>/password-link/",
        portal_links.portal_password_link_view,
        name="portal_password_link",
    ),
    path(
        "youth/<int:youth_id>/portal-accounts/<int:pk>/end/",
        portal_links.portal_link_end_view,
        name="portal_link_end",
    ),
    # one trajectory (pk = the trajectory)
    path("<int:pk>/", trajectory.trajectory_view, name="detail"),
    path("<int:pk>/referral/", trajectory.referral_view, name="referral"),
    path("<int:pk>/phase/", trajectory.phase_view, name="phase"),
    path("<int:pk>/rounds/start/", nomination.round_start_view, name="round_start"),
    path("<int:pk>/candidates/add/", nomination.candidate_add_view, name="candidate_add"),
    path("<int:pk>/no-jim/", nomination.no_jim_view, name="no_jim"),
    path("<int:pk>/meetings/add/", care.meeting_add_view, name="meeting_add"),
    path("<int:pk>/care-plan/", care.care_plan_view, name="care_plan"),
    path("<int:pk>/care-plan/goals/add/", care.goal_add_view, name="goal_add"),
    path("<int:pk>/safety-plans/add/", care.safety_add_view, name="safety_add"),
    path("<int:pk>/placements/add/", placement.placement_add_view, name="placement_add"),
    path("<int:pk>/placement-episodes/add/", episodes.episode_add_view, name="episode_add"),
    path("<int:pk>/close/", closure.close_view, name="close"),
    # records of a trajectory (pk = the record; looked up through the trajectory scope)
    path("candidates/<int:pk>/", nomination.candidate_view, name="candidate"),
    path("candidates/<int:pk>/consent/", nomination.consent_add_view, name="consent_add"),
    path("meetings/<int:pk>/", care.meeting_view, name="meeting"),
    path("goals/<int:pk>/", care.goal_edit_view, name="goal_edit"),
    path("goals/<int:pk>/remove/", care.goal_remove_view, name="goal_remove"),
    path("safety-plans/<int:pk>/", care.safety_edit_view, name="safety_edit"),
    path("placements/<int:pk>/", placement.placement_view, name="placement"),
    path(
        "placements/<int:pk>/outcome/",
        episodes.decision_outcome_view,
        name="decision_outcome",
    ),
    path("placement-episodes/<int:pk>/", episodes.episode_view, name="episode"),
    path("follow-ups/<int:pk>/", closure.follow_up_view, name="follow_up"),
]
