"""Youth and the people around them.

This is the foundation slice: the youth record that access control and the audit log are
built around. Trajectories, network maps, nominations and the placement gate follow in the
trajectory issue and extend this module.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yim.accounts.models import Organisation, Team


class Youth(models.Model):
    """A young person (12–23) in care. Known in yim by a pseudonymous display name."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="youth")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="youth")
    professional = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="caseload",
        verbose_name=_("responsible professional"),
    )
    display_name = models.CharField(_("display name"), max_length=120)
    date_of_birth = models.DateField(_("date of birth"))
    is_synthetic = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name", "pk"]
        verbose_name = _("youth")
        verbose_name_plural = _("youth")
        indexes = [models.Index(fields=["team", "display_name"])]

    def __str__(self) -> str:
        return self.display_name
