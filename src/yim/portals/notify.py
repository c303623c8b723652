"""Telling parents with parental authority, by e-mail, that their child has been placed.

On :data:`yim.trajectories.signals.placement_finalised` of an out-of-home decision, every
parent account linked to the youth that :func:`~yim.portals.access.is_told_of_placements`
allows (a holder of parental authority, the child under 18) and that has an e-mail address
gets one plain mail with a link to the portal: no name, no kind of placement, no date — the
portal home says what was decided once they sign in. A failed send is logged; the notice on the
portal home is there either way.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.urls import reverse

from yim.accounts.mail import send_link_mail
from yim.accounts.models import PortalLink, Role
from yim.portals.access import is_told_of_placements
from yim.trajectories.models import OUT_OF_HOME, PlacementDecision

logger = logging.getLogger(__name__)


def tell_parents_of_placement(sender: Any, decision: PlacementDecision, **kwargs: Any) -> int:
    """Mail the parents who are told of this placement; returns how many mails were sent."""
    if decision.placement_type not in OUT_OF_HOME:
        return 0
    youth = decision.trajectory.youth
    links = PortalLink.objects.filter(youth=youth, relation=Role.PARENT).select_related("user")
    link = settings.BASE_URL.rstrip("/") + reverse("portal:youth", args=[youth.pk])
    sent = 0
    for portal_link in links:
        user = portal_link.user
        if not user.is_active or not user.email or not is_told_of_placements(user, youth):
            continue
        result = send_link_mail(
            to=user.email, kind="placement", link=link, language=user.language, name=user.first_name
        )
        if result.ok:
            sent += 1
        else:
            logger.warning("placement notice to parent %s not sent: %s", user.pk, result.error)
    return sent
