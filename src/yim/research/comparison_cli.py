"""``yim evidence compare``: a comparison study (JIM group against a comparison group) from the
registry or from a file of case files (docs/evidence.md, "Comparison studies").

    yim evidence compare --organisation "Jeugdzorg Noord" --format json
    yim evidence compare --file cases.xlsx --group group --treated jim \\
        --outcome ambulatory --covariates age,gender,risk --trim 99 --format text

Exit status: 0 on success; 2 when the input cannot be answered (a file with bad rows — each
listed by row number —, an unknown column, a group below the minimum, a covariate with one
value, a propensity model that cannot be fitted, a day in the future, an unknown team or
organisation, a database that has not been migrated) — the reason is printed on stderr.
"""

from __future__ import annotations

import argparse
from typing import Any

from yim.commandline import (
    EXIT_INPUT,
    refuse,
    schema_is_current,
    selection_label,
    setup_django,
    write_json_or_text,
)
from yim.research.evidence import DEFAULT_THRESHOLD

EXIT_OK = 0
MIN_GROUP = 10  # yim.research.evidence.comparison_study.MIN_GROUP (not imported: no Django)


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _percentile(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 50 <= value < 100:
        raise argparse.ArgumentTypeError(f"{text!r}: trim at a percentile from 50 up to 100")
    return value


def add_compare_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``compare`` on the ``evidence`` actions."""
    from yim.research.evidence_cli import _threshold as threshold
    from yim.research.evidence_cli import add_as_of_argument, whole_number_from

    compare = actions.add_parser(
        "compare",
        help="comparison study: baseline SMDs, adjusted odds ratios, IPW for the treated",
        description=(
            "A JIM group against a comparison group: a baseline table with standardised mean "
            "differences (pooled SD, Austin 2009; balanced below 0.1), per binary outcome the "
            "odds ratio of the JIM group adjusted for the covariates (logistic regression, "
            "Wald CI), and inverse-probability weighting for the effect on the treated (ATT "
            "weights, optional trimming, balance after weighting, Kish effective sample "
            "sizes, weighted risk difference and odds ratio with CIs that account for the "
            "estimated propensity score: stacked estimating equations). Without "
            "--file: the JIM cohort against the comparison cohort of the registry (covariates "
            "age, gender, intake_risk, programme; outcomes ambulatory at closure and placement "
            "realised)."
        ),
    )
    add_as_of_argument(
        compare, "registry: use what was recorded up to this day (default: today in Amsterdam)"
    )
    scope = compare.add_mutually_exclusive_group()
    scope.add_argument("--team", metavar="NAME", help="registry: only this team's trajectories")
    scope.add_argument(
        "--organisation", metavar="NAME", help="registry: only this organisation's trajectories"
    )
    compare.add_argument("--file", metavar="FILE", help="a CSV or XLSX of case files")
    compare.add_argument("--group", metavar="COL", help="file: the column with the group")
    compare.add_argument(
        "--treated",
        metavar="VALUE",
        help="file: the group value of the JIM group (default 1 or jim)",
    )
    compare.add_argument(
        "--outcome",
        action="append",
        default=[],
        metavar="COL",
        help="file: a binary outcome column (1/0, yes/no); repeat or separate with commas",
    )
    compare.add_argument(
        "--covariates",
        default="",
        metavar="A,B",
        help="the covariate columns (registry: a subset of age,gender,intake_risk,programme)",
    )
    compare.add_argument(
        "--trim",
        type=_percentile,
        metavar="P",
        help="trim the comparison weights at this percentile",
    )
    compare.add_argument(
        "--min-group",
        type=whole_number_from(2, "the minimum"),
        default=MIN_GROUP,
        metavar="N",
        help=f"the smallest group that is analysed (default {MIN_GROUP})",
    )
    compare.add_argument(
        "--threshold",
        type=threshold,
        default=DEFAULT_THRESHOLD,
        help=f"registry: shares and outcomes resting on a smaller cell are withheld "
        f"(default {DEFAULT_THRESHOLD})",
    )
    compare.add_argument("--format", choices=("json", "text"), default="text", help="json or text")
    compare.set_defaults(func=cmd_evidence_compare)


def cmd_evidence_compare(ns: argparse.Namespace) -> int:
    """Handler of ``yim evidence compare``; returns the exit status."""
    outcomes = [name for text in ns.outcome for name in _names(text)]
    covariates = _names(ns.covariates)
    if ns.file:
        if not ns.group or not outcomes:
            return refuse("yim evidence compare", "with --file, name --group and --outcome.")
        if ns.as_of or ns.team or ns.organisation:
            return refuse(
                "yim evidence compare",
                "--as-of, --team and --organisation select the registry; leave them out with "
                "--file.",
            )
        setup_django()
    elif ns.group or outcomes or ns.treated:
        return refuse("yim evidence compare", "--group, --outcome and --treated need --file.")
    elif not schema_is_current("yim evidence compare"):
        return EXIT_INPUT
    from django.utils import translation

    from yim.research.evidence import comparison_sources as sources
    from yim.research.evidence.comparison_study import compare_frame
    from yim.research.evidence.summary import EvidenceError, resolve_scope

    with translation.override("en"):
        try:
            if ns.file:
                frame = sources.read_comparison_file(
                    ns.file, group=ns.group, treated=ns.treated, outcomes=outcomes,
                    covariates=covariates, max_bytes=None, max_rows=None,
                )  # fmt: skip
                result = compare_frame(
                    frame, covariates=covariates, outcomes=outcomes, min_group=ns.min_group,
                    trim_percentile=ns.trim,
                )  # fmt: skip
                label = ns.file
            else:
                scope = resolve_scope(ns.as_of, team=ns.team, organisation=ns.organisation)
                result = sources.compare_registry(
                    scope, covariates=covariates or None, trim_percentile=ns.trim,
                    min_group=ns.min_group, threshold=ns.threshold,
                )  # fmt: skip
                label = selection_label(ns)
        except EvidenceError as exc:
            return refuse("yim evidence compare", exc)
    write_json_or_text(result.to_json_dict(), ns.format, render_compare_text, label)
    return EXIT_OK


def _f(value: Any, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _ci(ci: Any, digits: int = 2) -> str:
    return "—" if not ci else f"{ci[0]:.{digits}f}–{ci[1]:.{digits}f}"


def render_compare_text(r: dict[str, Any], label: str) -> str:
    """The comparison study as a short plain-text report."""
    when = f", as of {r['as_of']}" if r["as_of"] else ""
    lines = [
        f"Comparison study — {label}{when}",
        f"JIM group {r['n_treated']}, comparison group {r['n_comparison']} "
        f"(rows left out for missing covariates: {r['rows_dropped']})",
        *[f"  note: {note}" for note in r["notes"]],
        "",
        "Baseline (SMD: pooled SD, Austin 2009; balanced when |SMD| < 0.1)",
    ]
    for b in r["baseline"]:
        name = b["covariate"] + (f"={b['level']}" if b["level"] else "")
        if b["suppressed"]:
            lines.append(f"  {name}: withheld (small cell)")
            continue
        flag = "" if b["balanced"] else "  imbalanced"
        after = "" if b["balanced_after"] else "  imbalanced"
        lines.append(
            f"  {name}: JIM {_f(b['mean_treated'])}, comparison {_f(b['mean_comparison'])}; "
            f"SMD {_f(b['smd'])}{flag}; after weighting {_f(b['weighted_smd'])}{after}"
        )
    w = r["weighting"]
    trim = (
        f"trimmed at the {w['trim_percentile']:g}th percentile ({w['n_trimmed']} weights, "
        f"cap {_f(w['cap'])})"
        if w["trim_percentile"]
        else "not trimmed"
    )
    lines += [
        "",
        f"ATT weights: {trim}; effective sample size JIM {_f(w['ess_treated'], 1)}, "
        f"comparison {_f(w['ess_comparison'], 1)}; largest weight {_f(w['max_weight'], 2)}",
        "",
        "Outcomes (adjusted: logistic regression on group + covariates, Wald CI; IPW: CI "
        + (
            "from the stacked propensity and outcome equations, M-estimation)"
            if r.get("ipw_interval") == "m_estimation"
            else "HC0, weights treated as known)"
        ),
    ]
    for o in r["outcomes"]:
        if o["suppressed"]:
            lines.append(f"  {o['outcome']}: {o['error']}")
            continue
        lines.append(
            f"  {o['outcome']} (n {o['n']}): JIM {o['events_treated']}/{o['n_treated']}, "
            f"comparison {o['events_comparison']}/{o['n_comparison']}"
        )
        if o["odds_ratio"] is None:
            lines.append(f"    adjusted: not estimated: {o['error']}")
        else:
            lines.append(
                f"    adjusted OR {_f(o['odds_ratio'], 2)} (95% CI {_ci(o['ci'])}; p {o['p']:.3g})"
            )
        if o["ipw_risk_difference"] is not None:
            lines.append(
                f"    IPW (ATT): risk difference {_f(o['ipw_risk_difference'])} "
                f"(95% CI {_ci(o['ipw_rd_ci'], 3)}); OR {_f(o['ipw_odds_ratio'], 2)} "
                f"(95% CI {_ci(o['ipw_or_ci'])})"
            )
    return "\n".join(lines) + "\n"
