from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrajectoriesConfig(AppConfig):
    name = "yim.trajectories"
    label = "trajectories"
    verbose_name = _("JIM trajectories")

    def ready(self) -> None:
        from yim.trajectories import facts  # the models are loaded by now

        facts.connect(self)
