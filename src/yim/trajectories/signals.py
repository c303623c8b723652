"""Events of the trajectory domain that other apps react to, sent once the write committed.

* :data:`placement_finalised` (``decision``): a placement decision became final — through the
  gate or as an emergency. The portals tell the parents with parental authority.
"""

from __future__ import annotations

from django.dispatch import Signal

placement_finalised = Signal()
