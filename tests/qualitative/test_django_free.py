"""The pure qualitative modules must import without Django (the taguette habit)."""

import subprocess
import sys

PURE_MODULES = [
    "yim.qualitative.offsets",
    "yim.qualitative.agreement",
    "yim.qualitative.transcripts",
    "yim.qualitative.pseudonyms",
    "yim.qualitative.segments_export",
    "yim.qualitative.refi.model",
    "yim.qualitative.refi.export",
    "yim.qualitative.refi.importer",
    "yim.qualitative.refi.safety",
    "yim.qualitative.refi.report",
    "yim.qualitative.refi.repair",
    "yim.qualitative.refi.sources",
    "yim.qualitative.refi.media",
    "yim.qualitative.refi.reader",
]


def test_the_pure_qualitative_modules_do_not_import_django():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in PURE_MODULES)
        + "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        + "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
