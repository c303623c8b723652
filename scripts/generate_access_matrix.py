"""Write docs/access-matrix.md from the access matrix's one table
(``tests/security/access_matrix.py``; run after changing the table)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.security.access_matrix import render_markdown  # noqa: E402

OUT = ROOT / "docs" / "access-matrix.md"


def main() -> None:
    OUT.write_text(render_markdown())
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
