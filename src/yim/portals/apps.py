from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalsConfig(AppConfig):
    name = "yim.portals"
    label = "portals"
    verbose_name = _("Portals")

    def ready(self) -> None:
        from yim.portals.notify import tell_parents_of_placement
        from yim.trajectories.signals import placement_finalised

        placement_finalised.connect(tell_parents_of_placement, dispatch_uid="portals.placement")
