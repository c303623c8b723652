"""Days of each trajectory that would otherwise be worked out from several tables for every
trajectory of a scope whenever a list or a figure asks for them, kept on write.

* What the evidence reads of the search for a JIM: the first acceptance, the first "no JIM
  found" and the day the JIM was positioned (the definitions are in docs/evidence.md). Each
  is the first day of its kind over the trajectory's records, and a later record never
  changes an earlier day's answer, so "the day, if it lies on or before ``as_of``" is the
  answer as of any day: one row serves every ``as_of``.
* What the team overview and the work lists order and filter by: the next evaluation due
  (:func:`~yim.trajectories.rules.next_evaluation_due`; none once the trajectory is
  closed), the earliest due day of a JIM consultation still owed after an emergency
  placement, the earliest due day of a follow-up not yet done, and whether an emergency
  placement waits for a team lead's confirmation. None depends on the day it is asked; what
  is due is overdue once its day has come (a consultation or a follow-up the day after).

:mod:`yim.trajectories.facts` computes the days and rewrites a trajectory's row whenever a
record they depend on is saved or deleted (the trajectory, candidates, consent records,
meetings, their attendees, "no JIM found", the youth's date of birth, the programme's
evaluation interval); nothing else writes here. A write that bypasses ``save()``
(``QuerySet.update()``, ``bulk_create``) calls ``facts.refresh(trajectory_ids)`` itself, as
the demo registry does.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TrajectoryFacts(models.Model):
    """One trajectory's search for a JIM in three days, and what is due; no row while all are
    empty (a closed trajectory whose search recorded nothing, with nothing due)."""

    trajectory = models.OneToOneField(
        "trajectories.Trajectory",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="facts",
        verbose_name=_("trajectory"),
    )
    jim_found_on = models.DateField(_("first JIM accepted"), null=True, editable=False)
    no_jim_on = models.DateField(_("first recorded no JIM found"), null=True, editable=False)
    jim_positioned_on = models.DateField(_("JIM positioned"), null=True, editable=False)
    next_evaluation_on = models.DateField(_("next evaluation due"), null=True, editable=False)
    consultation_due_on = models.DateField(_("JIM consultation due"), null=True, editable=False)
    follow_up_due_on = models.DateField(_("follow-up due"), null=True, editable=False)
    emergency_to_confirm = models.BooleanField(
        _("emergency placement to confirm"), default=False, editable=False
    )

    class Meta:
        verbose_name = _("facts of a trajectory")
        verbose_name_plural = _("facts of trajectories")

    def __str__(self) -> str:
        return f"{self.trajectory_id}"
