"""Password rules, as Django's validators with one repair.

Django 5.2's :class:`~django.contrib.auth.password_validation.MinimumLengthValidator` words
its error with a message id (``…at least %d characters.``) that its own Dutch catalogue does
not carry (that catalogue still has the older ``%(min_length)d`` wording), so the message
reached Dutch pages in English. This validator takes the message from yim's catalogue.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short: use at least %(min_length)d character.",
            "This password is too short: use at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
