"""Helpers of the qualitative web tests (pure: no Django)."""

from __future__ import annotations

TRANSCRIPT = (
    "Interviewer: Hoe gaat het met je JIM?\n"
    "Jongere: Ik vond het één keer lastig 😟, maar de JIM hielp.\n"
    "Interviewer: En thuis?\n"
    "Jongere: Thuis is het rustiger, écht waar. 👍🏽\n"
)


def utf16(text: str, fragment: str) -> tuple[int, int]:
    """Where the browser would say ``fragment`` is: UTF-16 ``[start, end)``."""
    start_cp = text.index(fragment)
    before = len(text[:start_cp].encode("utf-16-le")) // 2
    return before, before + len(fragment.encode("utf-16-le")) // 2
