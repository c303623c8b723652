"""The portal tests use the monitoring fixture of two youth files (``portal``) and run in
English (the interface is Dutch; the Dutch texts are checked in the translation tests)."""

from tests.monitoring.conftest import english, portal

__all__ = ["english", "portal"]
