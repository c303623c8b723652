"""``yim meta fit`` end to end: exit codes, JSON equal to the library's fit, HTML report."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from yim.research.meta_cli import add_meta_parser, main_for_tests
from yim.stats.meta.effect_sizes import fisher_z
from yim.stats.meta.multilevel import fit_frame as multilevel_fit_frame
from yim.stats.meta.twolevel import RandomEffectsModel

REFERENCE = Path(__file__).resolve().parents[1] / "stats" / "meta" / "reference"
MOLLOY = REFERENCE / "molloy2014.csv"
KONSTANTOPOULOS = REFERENCE / "konstantopoulos2011.csv"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        "from yim.research.meta_cli import main_for_tests\n"
        "status = main_for_tests(sys.argv[1:])\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), "
        "'the meta command imported Django'\n"
        "raise SystemExit(status)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "meta", "fit", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_molloy_json_equals_the_library_fit_and_django_is_not_imported() -> None:
    proc = _run(
        str(MOLLOY),
        "--r",
        "ri",
        "--n",
        "ni",
        "--study",
        "authors",
        "--method",
        "REML",
        "--test",
        "knha",
        "--format",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    frame = pd.read_csv(MOLLOY)
    es = fisher_z(frame["ri"], frame["ni"])
    direct = RandomEffectsModel("REML", "knha").fit(es.yi, es.vi)
    coef = data["coefficients"][0]
    assert coef["estimate"] == pytest.approx(direct.coefficients[0].estimate, rel=1e-12)
    assert coef["se"] == pytest.approx(direct.coefficients[0].se, rel=1e-12)
    assert coef["df"] == direct.coefficients[0].df
    assert data["variance_components"][0]["value"] == pytest.approx(direct.tau2, rel=1e-12)
    assert data["heterogeneity"]["QE"] == pytest.approx(direct.heterogeneity.QE, rel=1e-12)
    assert data["method"]["test"] == "knha"


def test_konstantopoulos_multilevel_json_equals_the_library_fit(tmp_path: Path) -> None:
    out = tmp_path / "fit.json"
    proc = _run(
        str(KONSTANTOPOULOS),
        "--yi",
        "yi",
        "--vi",
        "vi",
        "--random",
        "district/school",
        "--test",
        "t",
        "--dfs",
        "contain",
        "--format",
        "json",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    direct = multilevel_fit_frame(
        pd.read_csv(KONSTANTOPOULOS), random="district/school", test="t", dfs="contain"
    )
    np.testing.assert_allclose(
        [vc["value"] for vc in data["variance_components"]], direct.sigma2, rtol=1e-10
    )
    assert data["coefficients"][0]["df"] == direct.coefficients[0].df
    assert data["coefficients"][0]["pval"] == pytest.approx(direct.coefficients[0].pval, rel=1e-8)
    assert [lv["level"] for lv in data["heterogeneity"]["I2_per_level"]] == [
        "district",
        "district/school",
    ]


def test_html_report_is_written_to_the_out_path(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    status = main_for_tests(
        [
            "meta",
            "fit",
            str(MOLLOY),
            "--r",
            "ri",
            "--n",
            "ni",
            "--study",
            "authors",
            "--mods",
            "factor(design)",
            "--out",
            str(out),
            "--title",
            "Molloy & co",
        ]
    )
    assert status == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "Molloy &amp; co" in page
    assert page.count("<svg") == 2


def test_validation_problems_exit_2_and_name_row_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("study,r,n\nA,0.1,50\nB,1.3,60\nC,0.2,2\nD,x,40\n")
    status = main_for_tests(["meta", "fit", str(bad), "--r", "r", "--n", "n", "--study", "study"])
    assert status == 2
    err = capsys.readouterr().err.splitlines()
    assert any(line.startswith("row 3, column r:") for line in err)
    assert any(line.startswith("row 4, column n:") for line in err)
    assert any(line.startswith("row 5, column r:") for line in err)


def test_missing_effect_size_options_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_for_tests(["meta", "fit", str(MOLLOY), "--r", "ri"]) == 2
    assert "--yi and --vi, or --r and --n" in capsys.readouterr().err


def test_non_convergence_exits_3_with_iterations_and_gradient(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main_for_tests(
        [
            "meta",
            "fit",
            str(KONSTANTOPOULOS),
            "--yi",
            "yi",
            "--vi",
            "vi",
            "--random",
            "district/school",
            "--max-iter",
            "1",
        ]
    )
    assert status == 3
    err = capsys.readouterr().err
    assert "did not converge" in err and "1 iterations" in err and "gradient" in err


def test_unsupported_test_for_multilevel_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    status = main_for_tests(
        [
            "meta",
            "fit",
            str(KONSTANTOPOULOS),
            "--yi",
            "yi",
            "--vi",
            "vi",
            "--random",
            "district/school",
            "--test",
            "knha",
        ]
    )
    assert status == 2
    assert "only z and t" in capsys.readouterr().err


def test_the_command_offers_the_measures_the_library_has() -> None:
    from yim.research import meta_cli
    from yim.stats.meta import dataset

    assert meta_cli.MEASURES == dataset.MEASURES


def test_add_meta_parser_registers_meta_fit_on_any_parser() -> None:
    parser = argparse.ArgumentParser(prog="yim")
    sub = parser.add_subparsers(dest="command", required=True)
    add_meta_parser(sub)
    ns = parser.parse_args(["meta", "fit", "x.csv", "--yi", "a", "--vi", "b", "--es-id", "e"])
    assert ns.command == "meta" and ns.meta_command == "fit"
    assert ns.es_id == "e" and ns.format == "html" and ns.method == "REML"
    assert callable(ns.func)


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main_for_tests(["meta", "fit", *args, "--format", "json"]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def test_parquet_gives_the_same_fit_as_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parquet = tmp_path / "konstantopoulos.parquet"
    pd.read_csv(KONSTANTOPOULOS).to_parquet(parquet)
    options = ("--yi", "yi", "--vi", "vi", "--random", "district/school", "--test", "t")
    from_csv = _json(capsys, str(KONSTANTOPOULOS), *options)
    from_parquet = _json(capsys, str(parquet), *options)
    assert from_parquet["coefficients"] == from_csv["coefficients"]
    assert from_parquet["variance_components"] == from_csv["variance_components"]


def test_files_beyond_the_20_mb_upload_limit_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "padded.csv"
    frame = pd.read_csv(MOLLOY)
    frame["notes"] = "n" * (1_500_000)  # an unused column makes the file 24 MB
    frame.to_csv(big, index=False)
    assert big.stat().st_size > 20 * 1024 * 1024
    data = _json(capsys, str(big), "--r", "ri", "--n", "ni", "--study", "authors")
    assert data["k"] == len(frame)


BAD = (
    "study,es,yi,vi\nA,1,0.1,0.01\nA,2,0.3,0.02\nB,1,abc,0.02\nB,2,0.2,0.03\nC,1,0.25,0.01,9\n"
    "C,2,0.15,0.02\nD,1,0.05,\nD,2,0.12,0.02\nE,1,0.3,0.04\nE,2,0.2,0.05\n"
)


def test_bad_rows_are_each_named_and_left_out_only_with_drop_bad_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD)
    options = [str(path), "--yi", "yi", "--vi", "vi", "--study", "study", "--es-id", "es"]
    assert main_for_tests(["meta", "fit", *options]) == 2
    err = capsys.readouterr().err
    assert "row 4, column yi: 'abc' is not a number" in err
    assert "row 6: 5 fields where the header has 4" in err
    assert "row 8, column vi: empty cell" in err
    assert "--drop-bad-rows" in err and "Traceback" not in err

    data = _json(capsys, *options, "--drop-bad-rows")
    assert data["k"] == 7
    assert [(d["row"], d["column"]) for d in data["dropped_rows"]] == [
        (6, None),
        (4, "yi"),
        (8, "vi"),
    ]
    assert any("3 rows with problems" in note for note in data["notes"])
    out = tmp_path / "report.html"
    status = main_for_tests(["meta", "fit", *options, "--drop-bad-rows", "--out", str(out)])
    assert status == 0
    err = capsys.readouterr().err
    assert "left out 3 rows with problems (7 effect sizes are analysed)" in err
    assert "row 4, column yi: 'abc' is not a number" in err
    page = out.read_text(encoding="utf-8")
    assert "Rows left out" in page and "row 6: 5 fields where the header has 4" in page
