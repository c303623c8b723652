"""The trajectory API: one router that mounts a router per subject, guarded by :mod:`yim.policy`
exactly like the pages.

* :mod:`.trajectories` — youth, their trajectories and the phase;
* :mod:`.network` — the youth's network;
* :mod:`.meetings` — meetings of a trajectory: planned, recorded as held, corrected;
* :mod:`.safety` — safety plans, corrected with the earlier version kept;
* :mod:`.placement` — placement decisions and the JIM consultation;
* :mod:`.nomination` — nomination rounds, candidates (an answer recorded or corrected), a JIM
  stopping, 'no JIM found';
* :mod:`.consent` — consent to a JIM;
* :mod:`.episodes` — placement episodes and the living-situation history;
* :mod:`.comparison` — comparison (care-as-usual) trajectories.

Corrections share :mod:`.corrections` (a required reason, the earlier versions). Every router
follows :mod:`yim.api.convention`: reads through the caller's scope (404 outside
it); writes need the youth's own team and are judged by the models (422 with the messages per
field, 409 ``stale`` for an edit from an older ``version``); every call on youth data is audited.
"""

from __future__ import annotations

from ninja import Router

from yim.trajectories.api import (
    comparison,
    consent,
    episodes,
    meetings,
    network,
    nomination,
    placement,
    safety,
    trajectories,
)

router = Router()
for _module in (
    trajectories,
    network,
    meetings,
    safety,
    placement,
    nomination,
    consent,
    episodes,
    comparison,
):
    router.add_router("", _module.router)
