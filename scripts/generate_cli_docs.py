"""Write docs/cli.md from the ``yim`` command's own --help texts (run after changing cli.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from yim.cli import build_parser  # noqa: E402

HEADER = """# The `yim` command

Generated from `yim --help` by `scripts/generate_cli_docs.py`; a test fails when this page and
the command disagree.
"""


def _help(parser: argparse.ArgumentParser) -> str:
    text = parser.format_help()
    return "\n".join(line.rstrip() for line in text.splitlines())


def render() -> str:
    import os

    os.environ["COLUMNS"] = "100"
    parser = build_parser()
    parts = [HEADER, "```", _help(parser), "```", ""]
    subparsers = parser._subparsers._group_actions[0]
    for name, sub in subparsers.choices.items():
        parts += [f"## yim {name}", "", "```", _help(sub), "```", ""]
        nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
        for action in nested:
            for child_name, child in action.choices.items():
                parts += [f"### yim {name} {child_name}", "", "```", _help(child), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    (ROOT / "docs" / "cli.md").write_text(render())
    print("wrote docs/cli.md")
