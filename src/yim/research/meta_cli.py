"""``yim meta fit``: a meta-analysis from a CSV, XLSX or Parquet file, as HTML or JSON.

    yim meta fit data.csv --r ri --n ni --study authors --out report.html
    yim meta fit data.parquet --yi yi --vi vi --random district/school --test t --format json

Files of any size are read (the 20 MB limit belongs to web uploads). Exit status: 0 on
success; 2 when the data or the options cannot be used (every problem is printed on stderr as
``row N, column C: message``); 3 when the estimator does not converge (the message gives the
iteration count and the last step or gradient); 1 when the output cannot be written.

Rows with bad cells refuse the file, each one listed, unless ``--drop-bad-rows`` is given:
then those rows are left out, listed on stderr and in the report (and the JSON), and the
rest is analysed. Problems of the table as a whole (a missing column, a single study) always
refuse it.

This module must not import Django: the command works without a configured site. The lead
wires it into :mod:`yim.cli` with ``add_meta_parser(sub)``. The statistics library is imported
only when the command runs, so ``yim --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from yim.commandline import add_command_with_actions, json_text

if TYPE_CHECKING:
    from yim.stats.meta.problems import Problem

EXIT_OK = 0
EXIT_OUTPUT = 1
EXIT_DATA = 2
EXIT_CONVERGENCE = 3

TESTS = ("z", "t", "knha", "knha-truncated")
MEASURES = ("ZCOR", "COR")  # yim.stats.meta.dataset.MEASURES, not imported for --help
MAX_PRINTED = 1000
"""Problems printed one per line; beyond this, a count per column."""


def add_meta_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Register ``meta`` (with the action ``fit``) on an ``add_subparsers()`` object."""
    meta, actions = add_command_with_actions(
        subparsers, "meta", help="meta-analysis of effect sizes (CSV, XLSX or Parquet)"
    )
    fit = actions.add_parser(
        "fit",
        help="fit a meta-analytic model and write an HTML report or JSON",
        description=(
            "Fit a two-level or multilevel meta-analysis. Give --yi and --vi (effect sizes "
            "and sampling variances) or --r and --n (correlations and sample sizes)."
        ),
    )
    fit.add_argument(
        "data",
        help="CSV, XLSX or Parquet file of any size; one row per effect size, the first row "
        "(the header) holds the column names",
    )
    inputs = fit.add_argument_group("effect sizes (either --yi/--vi or --r/--n)")
    inputs.add_argument("--yi", metavar="COLUMN", help="column with the effect sizes")
    inputs.add_argument("--vi", metavar="COLUMN", help="column with the sampling variances")
    inputs.add_argument("--r", metavar="COLUMN", help="column with the correlations")
    inputs.add_argument("--n", metavar="COLUMN", help="column with the sample sizes")
    inputs.add_argument(
        "--measure",
        choices=MEASURES,
        default="ZCOR",
        help="for --r/--n: ZCOR (Fisher's z, default) or COR (raw r)",
    )
    model = fit.add_argument_group("model")
    model.add_argument("--study", metavar="COLUMN", help="column with the study labels")
    model.add_argument(
        "--es-id",
        dest="es_id",
        metavar="COLUMN",
        help="column identifying effect sizes within a study (gives a study/es-id model)",
    )
    model.add_argument(
        "--random",
        metavar="OUTER/INNER",
        help="nesting of a multilevel model, e.g. study/es_id or district/school",
    )
    model.add_argument("--mods", metavar="FORMULA", help='moderators, e.g. "factor(domain) + age"')
    model.add_argument(
        "--method",
        default="REML",
        help="tau² estimator (REML, ML, DL, HE, HS, SJ, EB, PM, or EE); REML or ML with "
        "--random (default REML)",
    )
    model.add_argument(
        "--test",
        choices=TESTS,
        default="z",
        help="z (default), t, knha (Knapp–Hartung) or knha-truncated; z or t with --random",
    )
    model.add_argument(
        "--dfs",
        choices=("residual", "contain"),
        default="residual",
        help="df of t-tests in multilevel models: residual (k − p, default) or contain",
    )
    model.add_argument(
        "--tau2-ci",
        dest="tau2_ci",
        choices=("QP", "PL", "none"),
        default="QP",
        help="CI for tau² of two-level models: QP (Q-profile, default), PL or none",
    )
    model.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    model.add_argument(
        "--max-iter",
        dest="max_iter",
        type=int,
        default=None,
        help="maximum iterations of the estimator (default: the model's own)",
    )
    fit.add_argument(
        "--drop-bad-rows",
        dest="drop_bad_rows",
        action="store_true",
        help="leave out rows whose cells cannot be used (each is listed, on stderr and in the "
        "report) and analyse the rest; without it such rows refuse the file",
    )
    out = fit.add_argument_group("output")
    out.add_argument("--out", metavar="PATH", help="write the report here (default: stdout)")
    out.add_argument("--format", choices=("html", "json"), default="html", help="html or json")
    out.add_argument("--title", default="Meta-analysis report", help="title of the report")
    fit.set_defaults(func=cmd_meta_fit)
    return meta


def _error(message: str) -> None:
    sys.stderr.write(message + "\n")


def _print_problems(problems: Sequence[Problem]) -> None:
    """Every problem on a line of its own; beyond :data:`MAX_PRINTED`, a count per column."""
    for problem in problems[:MAX_PRINTED]:
        _error(str(problem))
    rest = problems[MAX_PRINTED:]
    if rest:
        per_column = Counter(p.column or "(whole row)" for p in rest)
        counts = ", ".join(f"{n} in {col}" for col, n in per_column.most_common())
        _error(f"... and {len(rest)} more problems ({counts})")


def cmd_meta_fit(ns: argparse.Namespace) -> int:
    """Handler of ``yim meta fit``; returns the exit status."""
    # imported here so that ``yim --help`` stays fast (pandas, scipy, matplotlib)
    from yim.stats.meta.dataset import DataError, load_table, prepare
    from yim.stats.meta.errors import ConvergenceError, MetaAnalysisError
    from yim.stats.meta.report import fit_from_options, render_html, to_json_dict

    direct = ns.yi is not None or ns.vi is not None
    from_r = ns.r is not None or ns.n is not None
    if direct == from_r or (direct and None in (ns.yi, ns.vi)) or (from_r and None in (ns.r, ns.n)):
        _error("yim meta fit: give either --yi and --vi, or --r and --n")
        return EXIT_DATA
    if not 0 < ns.level < 1:
        _error(f"yim meta fit: --level {ns.level} must lie between 0 and 1 (e.g. 0.95)")
        return EXIT_DATA
    try:
        table = load_table(ns.data, max_bytes=None, max_rows=None)
        prepared = prepare(
            table,
            yi=ns.yi,
            vi=ns.vi,
            r=ns.r,
            n=ns.n,
            measure=ns.measure,
            study=ns.study,
            es_id=ns.es_id,
            random=ns.random,
            mods=ns.mods,
            drop_invalid=ns.drop_bad_rows,
        )
        if prepared.dropped:
            rows = len(prepared.dropped_rows)
            _error(
                f"yim meta fit: {ns.data}: left out {rows} row{'s' if rows != 1 else ''} with "
                f"problems ({prepared.k} effect sizes are analysed):"
            )
            _print_problems(prepared.dropped)
        fit = fit_from_options(
            prepared,
            method=ns.method,
            test=ns.test,
            random=ns.random,
            dfs=ns.dfs,
            level=ns.level,
            tau2_ci=None if ns.tau2_ci == "none" else ns.tau2_ci,
            max_iter=ns.max_iter,
        )
    except DataError as exc:
        _error(f"yim meta fit: {ns.data}: {len(exc.problems)} problem(s) in the data")
        _print_problems(exc.problems)
        cells = exc.cell_problems
        if cells and len(cells) == len(exc.problems) and not ns.drop_bad_rows:
            rows = len({p.row for p in cells})
            _error(
                f"yim meta fit: with --drop-bad-rows these {rows} row(s) are left out (and "
                "listed in the report) and the rest is analysed"
            )
        return EXIT_DATA
    except ConvergenceError as exc:
        detail = str(exc)
        if "iteration" not in detail:
            detail += f" (after {exc.iterations} iterations; last step {exc.last_step:.3g})"
        _error(f"yim meta fit: the model did not converge: {detail}")
        return EXIT_CONVERGENCE
    except MetaAnalysisError as exc:
        _error(f"yim meta fit: {exc}")
        return EXIT_DATA

    text = json_text(to_json_dict(fit)) if ns.format == "json" else render_html(fit, title=ns.title)
    if ns.out:
        try:
            Path(ns.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            _error(f"yim meta fit: cannot write {ns.out}: {exc.strerror or exc}")
            return EXIT_OUTPUT
        if ns.format == "html":
            sys.stdout.write(f"Wrote the report to {ns.out}\n")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """A parser with only the ``meta`` command (for tests and ``python -m``)."""
    parser = argparse.ArgumentParser(prog="yim")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_meta_parser(sub)
    return parser


def main_for_tests(argv: Sequence[str]) -> int:
    """Run ``yim meta ...`` with ``argv`` (without the program name); returns the exit status."""
    ns = build_parser().parse_args(list(argv))
    return int(ns.func(ns))


if __name__ == "__main__":
    raise SystemExit(main_for_tests(sys.argv[1:]))
