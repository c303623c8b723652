"""Documentation that cannot drift: settings and commands are checked against the code."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_environment_variable_yim_reads_is_documented():
    sources = "\n".join(p.read_text() for p in (ROOT / "src" / "yim").rglob("*.py"))
    used = set(re.findall(r'"(YIM_[A-Z0-9_]+)"', sources))
    documented = (ROOT / "docs" / "configuration.md").read_text()
    missing = sorted(v for v in used if f"`{v}`" not in documented)
    assert used, "found no YIM_ variables: the scan is broken"
    assert missing == [], f"undocumented settings in docs/configuration.md: {missing}"


def test_the_readme_names_the_two_commands_and_the_configuration_page():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme
    assert "make test" in readme
    assert "docs/configuration.md" in readme


def test_the_cli_page_is_generated_from_the_current_help_texts():
    sys.path.insert(0, str(ROOT / "scripts"))
    from generate_cli_docs import render

    current = (ROOT / "docs" / "cli.md").read_text()
    assert current == render(), "docs/cli.md is stale: run scripts/generate_cli_docs.py"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
