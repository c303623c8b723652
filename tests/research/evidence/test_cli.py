"""``yim evidence summary``: the figures for scripts, and clear refusals of bad input."""

from __future__ import annotations

import json

import pytest

from tests.research.evidence.conftest import AS_OF
from yim.cli import main
from yim.research.evidence.summary import KEYS

TIME_TO_JIM_KEYS = {
    "km_median_days", "km_median_ci", "cif_30", "cif_60", "cif_90", "mean_days_found",
    "n_found", "n_no_jim", "n_censored",
}  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["evidence", "summary", *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.django_db
def test_the_json_has_exactly_the_agreed_top_level_keys_and_the_hand_worked_figures(cohort, capsys):
    status, out, err = run(
        capsys, "--as-of", AS_OF.isoformat(), "--team", "team a", "--threshold", "1",
        "--format", "json",
    )  # fmt: skip
    assert status == 0, err
    figures = json.loads(out)
    assert list(figures) == list(KEYS)
    assert figures["as_of"] == "2026-06-01"
    assert figures["n_trajectories"] == 10
    assert set(figures["time_to_jim"]) >= TIME_TO_JIM_KEYS
    assert figures["time_to_jim"]["km_median_days"] == 60
    assert figures["time_to_jim"]["cif_60"] == pytest.approx(0.54)
    assert figures["feedback"] == {"n": 0, "by_role": {}}


@pytest.mark.django_db
def test_with_the_default_threshold_small_cells_are_null_and_flagged(cohort, capsys):
    status, out, _err = run(
        capsys, "--as-of", AS_OF.isoformat(), "--organisation", "Jeugdzorg Test",
        "--format", "json",
    )  # fmt: skip
    assert status == 0
    figures = json.loads(out)
    ttj = figures["time_to_jim"]
    # Six JIMs: enough; two "no JIM" and two censored: small cells, withheld.
    assert ttj["n_found"] == 6 and ttj["n_no_jim"] is None and ttj["n_censored"] is None
    assert ttj["km_median_days"] == 60 and not ttj["suppressed"]
    finished = figures["jim_found"]["share_of_finished"]  # 6 of 8: a cell of 2
    assert finished["suppressed"] and finished["share"] is None
    itt = figures["ambulatory"]["itt"]  # 7 of 10, 3 placed: withheld whole
    assert itt["suppressed"] and itt["count"] is None and itt["share"] is None


@pytest.mark.django_db
def test_the_text_report_names_the_selection_and_its_figures(cohort, capsys):
    status, out, _err = run(capsys, "--as-of", AS_OF.isoformat(), "--threshold", "1")
    assert status == 0
    assert "as of 2026-06-01" in out
    assert "JIM-cohort trajectories (referred by then): 11" in out
    assert "Kaplan–Meier median ('no JIM' censored)" in out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2026-06-18"], "lies in the future"),
        (["--team", "Team Z"], "no team named 'Team Z'"),
        (["--organisation", "Nergens"], "no organisation named 'Nergens'"),
        (["--team", "Team B"], "nothing to report"),
        (["--as-of", "2024-12-31"], "nothing to report"),
    ],
    ids=["future", "unknown-team", "unknown-organisation", "empty-team", "before-any-referral"],
)
def test_input_that_cannot_be_answered_gets_a_message_and_exit_2(cohort, capsys, args, message):
    status, out, err = run(capsys, *args, "--format", "json")
    assert status == 2
    assert out == ""  # never a table of zeros
    assert message in err and "Traceback" not in err


def test_the_real_command_refuses_an_empty_registry_and_bad_days_without_a_traceback(yim_cmd):
    yim_cmd("db", "upgrade")
    empty = yim_cmd("evidence", "summary", "--format", "json", check=False)
    assert empty.returncode == 2
    assert "nothing to report" in empty.stderr and empty.stdout == ""
    not_a_day = yim_cmd("evidence", "summary", "--as-of", "1-6-2026", check=False)
    assert not_a_day.returncode == 2 and "YYYY-MM-DD" in not_a_day.stderr
    both = yim_cmd("evidence", "summary", "--team", "A", "--organisation", "B", check=False)
    assert both.returncode == 2 and "not allowed with" in both.stderr
    for result in (empty, not_a_day, both):
        assert "Traceback" not in result.stderr


def test_the_real_command_asks_for_an_upgrade_of_an_unmigrated_database(yim_cmd):
    result = yim_cmd("evidence", "summary", check=False)
    assert result.returncode == 2
    assert "yim db upgrade" in result.stderr and "Traceback" not in result.stderr
