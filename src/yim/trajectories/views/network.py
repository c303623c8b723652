"""The network map pages: people and ties, and the map itself (page, SVG and PNG).

The network belongs to the youth, so these pages hang off the youth, not a trajectory.
Candidates and the JIM are taken from the youth's current (or latest) trajectory.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from yim import policy
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest
from yim.trajectories import network_map
from yim.trajectories.forms import NetworkPersonForm, NetworkTieForm
from yim.trajectories.models import (
    NetworkPerson,
    NetworkTie,
    Youth,
)
from yim.trajectories.network_drawing import build_drawing, inline_svg
from yim.trajectories.views.base import audit, confirm_removal, edit_page, get_youth


@login_required
@require_GET
def network_view(request: AuthenticatedHttpRequest, youth_id: int) -> HttpResponse:
    youth = get_youth(request, youth_id, edit=False)
    audit(request, Action.VIEW, youth, youth, "network map")
    people = list(NetworkPerson.objects.filter(youth=youth).order_by("display_name", "pk"))
    names = {p.pk: p.display_name for p in people}
    ties = [
        (names.get(t.person_a_id, "?"), names.get(t.person_b_id, "?"), t)
        for t in NetworkTie.objects.filter(youth=youth)
    ]
    trajectory = youth.current_trajectory()
    return render(
        request,
        "trajectories/network.html",
        {
            "youth": youth,
            "trajectory": trajectory,
            "people": people,
            "ties": ties,
            "map_svg": inline_svg(youth),
            "can_edit": policy.can_edit_trajectory(request.user, youth),
            "care_plan_exists": trajectory is not None and hasattr(trajectory, "care_plan"),
        },
    )


def _download(youth: Youth, body: bytes | str, content_type: str, extension: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    name = slugify(f"network-{youth.pk}-{youth.display_name}") or f"network-{youth.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def map_svg_view(request: AuthenticatedHttpRequest, youth_id: int) -> HttpResponse:
    youth = get_youth(request, youth_id, edit=False)
    audit(request, Action.EXPORT, youth, youth, "network map SVG")
    svg = '<?xml version="1.0" encoding="UTF-8"?>\n' + network_map.render_svg(build_drawing(youth))
    return _download(youth, svg, "image/svg+xml; charset=utf-8", "svg")


@login_required
@require_GET
def map_png_view(request: AuthenticatedHttpRequest, youth_id: int) -> HttpResponse:
    youth = get_youth(request, youth_id, edit=False)
    audit(request, Action.EXPORT, youth, youth, "network map PNG")
    return _download(youth, network_map.render_png(build_drawing(youth)), "image/png", "png")


def _network_url(youth: Youth) -> str:
    return reverse("trajectories:network", args=[youth.pk])


@login_required
@require_http_methods(["GET", "POST"])
def person_add_view(request: AuthenticatedHttpRequest, youth_id: int) -> HttpResponse:
    youth = get_youth(request, youth_id, edit=True)
    form = NetworkPersonForm(request.POST or None, instance=NetworkPerson(youth=youth))
    another = "another" in request.POST
    return edit_page(
        request,
        form,
        trajectory=None,
        youth=youth,
        detail="network: person added",
        created=True,
        done=reverse("trajectories:person_add", args=[youth.pk])
        if another
        else _network_url(youth),
        title=_("Add a person to the network"),
        intro=_(
            "Who does the youth know and trust? Parents belong on the map too, "
            "but can never be the JIM."
        ),
        extra={"back": _network_url(youth), "another": True},
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_edit_view(request: AuthenticatedHttpRequest, youth_id: int, pk: int) -> HttpResponse:
    youth = get_youth(request, youth_id, edit=True)
    person = _person_or_404(youth, pk)
    form = NetworkPersonForm(request.POST or None, instance=person)
    return edit_page(
        request,
        form,
        trajectory=None,
        youth=youth,
        detail="network: person changed",
        created=False,
        done=_network_url(youth),
        title=_("Person in the network"),
        extra={
            "back": _network_url(youth),
            "remove_url": reverse("trajectories:person_remove", args=[youth.pk, person.pk]),
            "remove_label": _("Remove this person from the map"),
        },
    )


def _person_or_404(youth: Youth, pk: int) -> NetworkPerson:
    person = NetworkPerson.objects.filter(youth=youth, pk=pk).first()
    if person is None:
        raise Http404
    return person


def _tie_or_404(youth: Youth, pk: int) -> NetworkTie:
    tie = (
        NetworkTie.objects.filter(youth=youth, pk=pk).select_related("person_a", "person_b").first()
    )
    if tie is None:
        raise Http404
    return tie


@login_required
@require_http_methods(["GET", "POST"])
def person_remove_view(request: AuthenticatedHttpRequest, youth_id: int, pk: int) -> HttpResponse:
    """Remove a person added by mistake, with their ties (never a former candidate)."""
    youth = get_youth(request, youth_id, edit=True)
    person = _person_or_404(youth, pk)
    n_ties = (
        NetworkTie.objects.filter(youth=youth)
        .filter(models.Q(person_a=person) | models.Q(person_b=person))
        .count()
    )

    def remove(version: int) -> str:
        removed = person.remove(version)
        return f"network: person removed ({removed} ties removed with them)"

    return confirm_removal(
        request,
        trajectory=None,
        youth=youth,
        record=person,
        remove=remove,
        refusal=person.removal_refusal(),
        title=_("Remove %(name)s from the network map?") % {"name": person.display_name},
        intro=ngettext(
            "The person and their %(count)d tie with other people are removed.",
            "The person and their %(count)d ties with other people are removed.",
            n_ties,
        )
        % {"count": n_ties},
        back=reverse("trajectories:person_edit", args=[youth.pk, person.pk]),
        done=_network_url(youth),
    )


@login_required
@require_http_methods(["GET", "POST"])
def tie_add_view(request: AuthenticatedHttpRequest, youth_id: int) -> HttpResponse:
    youth = get_youth(request, youth_id, edit=True)
    form = NetworkTieForm(request.POST or None, instance=NetworkTie(youth=youth), youth_id=youth.pk)
    return edit_page(
        request,
        form,
        trajectory=None,
        youth=youth,
        detail="network: tie added",
        created=True,
        done=_network_url(youth),
        title=_("Add a tie between two people"),
        extra={"back": _network_url(youth)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def tie_edit_view(request: AuthenticatedHttpRequest, youth_id: int, pk: int) -> HttpResponse:
    youth = get_youth(request, youth_id, edit=True)
    tie = _tie_or_404(youth, pk)
    form = NetworkTieForm(request.POST or None, instance=tie, youth_id=youth.pk)
    return edit_page(
        request,
        form,
        trajectory=None,
        youth=youth,
        detail="network: tie changed",
        created=False,
        done=_network_url(youth) + "#ties",
        title=_("Tie between two people"),
        extra={
            "back": _network_url(youth) + "#ties",
            "remove_url": reverse("trajectories:tie_remove", args=[youth.pk, tie.pk]),
            "remove_label": _("Remove this tie"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def tie_remove_view(request: AuthenticatedHttpRequest, youth_id: int, pk: int) -> HttpResponse:
    youth = get_youth(request, youth_id, edit=True)
    tie = _tie_or_404(youth, pk)

    def remove(version: int) -> str:
        tie.remove(version)
        return "network: tie removed"

    return confirm_removal(
        request,
        trajectory=None,
        youth=youth,
        record=tie,
        remove=remove,
        refusal=None,
        title=_("Remove the tie between %(a)s and %(b)s?")
        % {"a": tie.person_a.display_name, "b": tie.person_b.display_name},
        intro=_("Both people stay on the map; only the tie between them is removed."),
        back=reverse("trajectories:tie_edit", args=[youth.pk, tie.pk]),
        done=_network_url(youth) + "#ties",
    )
