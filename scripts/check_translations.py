"""Report untranslated or fuzzy entries in the Dutch catalogue (used by the tests too)."""

from __future__ import annotations

import sys
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[1] / "src/yim/locale/nl/LC_MESSAGES/django.po"


def untranslated(path: Path = CATALOGUE) -> list[str]:
    import polib

    po = polib.pofile(str(path))
    missing = [e.msgid for e in po.untranslated_entries()]
    missing += [f"(fuzzy) {e.msgid}" for e in po.fuzzy_entries()]
    return missing


if __name__ == "__main__":
    problems = untranslated()
    for msgid in problems:
        print(f"untranslated: {msgid!r}")
    sys.exit(1 if problems else 0)
