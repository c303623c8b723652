"""``yim evidence summary``: the registry's outcome figures for scripts (JSON) or people (text).

    yim evidence summary --format json
    yim evidence summary --as-of 2026-01-01 --team "Team Noord" --format text

Exit status: 0 on success; 2 when the input cannot be answered (a day in the future or not a
day, an unknown team or organisation, no trajectories in the selection, a database that has
not been migrated) — the reason is printed on stderr, never a traceback and never a table of
zeros.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from typing import Any

from yim.commandline import (
    EXIT_INPUT,
    add_command_with_actions,
    refuse,
    schema_is_current,
    selection_label,
    write_json_or_text,
)
from yim.research.evidence import DEFAULT_THRESHOLD

EXIT_OK = 0
EXIT_FAILED = 1  # refresh-facts --check: stored facts differ from the records


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a day; write it as YYYY-MM-DD (e.g. 2026-01-31)"
        ) from None


def whole_number_from(minimum: int, what: str) -> Callable[[str], int]:
    """An argument type: a whole number from ``minimum`` up (``what`` names it in the
    refusal)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"{text!r}: {what} is a whole number from {minimum} up"
            )
        return value

    return parse


_threshold = whole_number_from(1, "the threshold")

AS_OF_HELP = "use what was recorded up to this day, YYYY-MM-DD (default: today in Amsterdam)"


def add_as_of_argument(parser: argparse.ArgumentParser, help: str = AS_OF_HELP) -> None:
    """``--as-of DATE``: the day whose registry an action reads."""
    parser.add_argument("--as-of", dest="as_of", type=_day, metavar="DATE", help=help)


def add_scope_arguments(
    parser: argparse.ArgumentParser,
    *,
    threshold_help: str = f"smallest count shown (default {DEFAULT_THRESHOLD})",
) -> None:
    """The question every ``yim evidence`` action asks: as of which day, for which team or
    organisation, and the smallest count it shows."""
    add_as_of_argument(parser)
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--team", metavar="NAME", help="only the trajectories of this team")
    scope.add_argument(
        "--organisation", metavar="NAME", help="only the trajectories of this organisation"
    )
    parser.add_argument(
        "--threshold", type=_threshold, default=DEFAULT_THRESHOLD, help=threshold_help
    )


def add_evidence_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Register ``evidence`` (with the action ``summary``) on an ``add_subparsers()`` object."""
    evidence, actions = add_command_with_actions(
        subparsers, "evidence", help="outcome figures of the registry (docs/evidence.md)"
    )
    summary = actions.add_parser(
        "summary",
        help="JIM found, time to JIM, ambulatory, gate, continuation and feedback figures",
        description=(
            "Outcome figures of the JIM cohort (comparison trajectories left out), as of a "
            "day: every figure with its n and denominator; counts and shares resting on fewer "
            "than the threshold are withheld (null), never shown as 0."
        ),
    )
    add_scope_arguments(summary)
    summary.add_argument("--format", choices=("json", "text"), default="text", help="json or text")
    summary.set_defaults(func=cmd_evidence_summary)
    _add_model_parsers(actions)
    facts = actions.add_parser(
        "refresh-facts",
        help="recompute the stored days of every trajectory (its search for a JIM, its "
        "next evaluation)",
        description=(
            "The first acceptance, the first 'no JIM found', the day the JIM was "
            "positioned and the next evaluation due are kept per trajectory on every write "
            "and recomputed after migrations (docs/evidence.md, 'Stored facts'). This "
            "recomputes them all; with "
            "--check it only reports trajectories whose stored days differ from the records "
            "(exit status 1 when there are any) and writes nothing."
        ),
    )
    facts.add_argument(
        "--check", action="store_true", help="report differences only (exit 1 when any)"
    )
    facts.set_defaults(func=cmd_evidence_refresh_facts)
    from yim.research.export.cli import add_export_parser

    add_export_parser(actions)
    from yim.research.pooling_cli import add_pooling_parsers

    add_pooling_parsers(actions)
    from yim.research.comparison_cli import add_compare_parser

    add_compare_parser(actions)
    from yim.research.report_cli import add_report_parser

    add_report_parser(actions)
    return evidence


def cmd_evidence_summary(ns: argparse.Namespace) -> int:
    """Handler of ``yim evidence summary``; returns the exit status."""
    if not schema_is_current("yim evidence summary"):
        return EXIT_INPUT
    from django.utils import translation

    from yim.research.evidence.summary import EvidenceError, resolve_scope, summarise

    # The yim command speaks English, like its other commands (the pages are Dutch first).
    with translation.override("en"):
        try:
            scope = resolve_scope(ns.as_of, team=ns.team, organisation=ns.organisation)
            figures = summarise(scope, threshold=ns.threshold)
        except EvidenceError as exc:
            return refuse("yim evidence summary", exc)
    write_json_or_text(figures, ns.format, render_text, selection_label(ns))
    return EXIT_OK


def _pct(entry: dict[str, Any]) -> str:
    if entry.get("suppressed"):
        return "withheld (small cell)"
    if entry.get("share") is None:
        return "— (n = 0)"
    low, high = entry["ci"]
    return f"{entry['share']:.1%} ({entry['count']} of {entry['n']}; 95% CI {low:.1%}–{high:.1%})"


def _num(value: Any, unit: str = "") -> str:
    if value is None:
        return "withheld or not reached"
    if isinstance(value, float):
        return f"{value:.1f}{unit}"
    return f"{value}{unit}"


def render_text(f: dict[str, Any], label: str) -> str:
    """The summary as a short plain-text report."""
    found, ttj, amb = f["jim_found"], f["time_to_jim"], f["ambulatory"]
    lines = [
        f"Evidence summary — {label}, as of {f['as_of']}",
        f"JIM-cohort trajectories (referred by then): {f['n_trajectories']}",
        "",
        "JIM found",
        f"  of all trajectories (ITT):      {_pct(found['share_of_all'])}",
        f"  of finished searches:           {_pct(found['share_of_finished'])}",
        f"  JIM positioned (of those found): {_pct(found['positioned'])}",
        f"  still searching: {_num(found['searching'])}; no JIM found: {_num(found['no_jim'])}",
        "",
        "Time to JIM (days from referral)",
    ]
    if ttj["suppressed"]:
        lines.append("  withheld: fewer trajectories or JIMs than the threshold")
    else:
        low, high = ttj["km_median_ci"]
        lines += [
            f"  Kaplan–Meier median ('no JIM' censored): {_num(ttj['km_median_days'])} "
            f"(95% CI {_num(low)} – {_num(high)})",
            "  share with a JIM by day ('no JIM' competing): "
            + ", ".join(f"{d}: {ttj[f'cif_{d}']:.1%}" for d in (30, 60, 90)),
            f"  mean among those who found one: {_num(ttj['mean_days_found'])} "
            f"(n = {ttj['n_found']})",
        ]
    lines += [
        f"  found {_num(ttj['n_found'])}, no JIM {_num(ttj['n_no_jim'])}, "
        f"censored {_num(ttj['n_censored'])}",
        "",
        "Ambulatory (no realised out-of-home placement in care)",
        f"  all trajectories (ITT):  {_pct(amb['itt'])}",
        f"  closed trajectories:     {_pct(amb['closed'])}",
    ]
    for months, entry in amb["after_closure"].items():
        lines.append(
            f"  {months} months after closure: {_pct(entry)}; "
            f"not reached {_num(entry['not_reached'])}"
        )
    gate, cont = f["gate"], f["continuation"]
    lines += [
        "",
        "Placement gate",
        f"  regular decisions consulted or no-JIM reason: {_pct(gate['regular']['compliant'])}",
        f"  emergency consultations on time: {_pct(gate['emergency']['on_time_share'])}; "
        f"overdue {_num(gate['emergency']['overdue'])}",
        f"  emergencies confirmed by a team lead: {_pct(gate['emergency']['confirmed_share'])}",
        "",
        "JIM relationship continuing",
        f"  at closure: {_pct(cont['at_closure']['continuing'])}",
    ]
    for months, entry in cont["follow_up"].items():
        lines.append(f"  {months} months: {_pct(entry)}; not reached {_num(entry['not_reached'])}")
    lines += ["", f"Meeting feedback: {_num(f['feedback']['n'])} forms"]
    for role, entry in f["feedback"]["by_role"].items():
        mean = "withheld" if entry["suppressed"] else _num(entry["mean"])
        lines.append(f"  {role}: mean {mean} (n = {_num(entry['n'])})")
    return "\n".join(lines) + "\n"


def cmd_evidence_refresh_facts(ns: argparse.Namespace) -> int:
    """Handler of ``yim evidence refresh-facts``; returns the exit status."""
    if not schema_is_current("yim evidence refresh-facts"):
        return EXIT_INPUT
    from yim.trajectories import facts

    if not ns.check:
        n = facts.refresh_all()
        sys.stdout.write(f"Recomputed the stored facts of {n} trajectories.\n")
        return EXIT_OK
    found = facts.differences()
    for pk, stored, computed in found[:20]:
        sys.stdout.write(f"trajectory {pk}: stored {stored}, from the records {computed}\n")
    sys.stdout.write(f"{len(found)} trajectories whose stored facts differ from the records.\n")
    return EXIT_FAILED if found else EXIT_OK


# --- yim evidence risk / moderators (docs/evidence.md, "Risk trajectories", "What works for whom")


def _add_model_parsers(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    risk = actions.add_parser(
        "risk",
        help="risk trajectories per risk domain: slope difference with vs without a JIM",
        description=(
            "Per domain of the risk instrument: a linear mixed model (random intercept and "
            "slope per trajectory, time in years since referral, JIM from the day a JIM "
            "accepted) and GEE with bias-reduced SEs; prints the slope difference (time x JIM), "
            "its SE and 95% CI, n youth and n assessments."
        ),
    )
    moderators = actions.add_parser(
        "moderators",
        help="what works for whom: moderator analyses with Holm and BH corrections",
        description=(
            "Moderators (age band, gender, programme model, the JIM's relation, risk level at "
            "intake) of ambulatory at closure (logistic regression), time to JIM (Cox) and "
            "risk change (slope difference per subgroup): "
            "an interaction test per moderator, estimates per subgroup with 95% CI, and p "
            "values corrected by Holm and by Benjamini-Hochberg."
        ),
    )
    for parser, func in ((risk, cmd_evidence_risk), (moderators, cmd_evidence_moderators)):
        add_scope_arguments(parser)
        parser.add_argument(
            "--format", choices=("json", "text"), default="text", help="json or text"
        )
        parser.set_defaults(func=func)


def _run_model(
    ns: argparse.Namespace, name: str, render: Callable[[dict[str, Any], str], str]
) -> int:
    if not schema_is_current(f"yim evidence {name}"):
        return EXIT_INPUT
    # The models import Django's: only after the setup above.
    from django.utils import translation

    from yim.research.evidence.moderator_frame import fit_moderators
    from yim.research.evidence.risk import fit_risk_trajectories
    from yim.research.evidence.summary import EvidenceError

    fit = fit_risk_trajectories if name == "risk" else fit_moderators
    with translation.override("en"):
        try:
            result = fit(
                as_of=ns.as_of, team=ns.team, organisation=ns.organisation, threshold=ns.threshold
            )
        except EvidenceError as exc:
            return refuse(f"yim evidence {name}", exc)
        data = result.to_json_dict()
    write_json_or_text(data, ns.format, render, selection_label(ns))
    return EXIT_OK


def cmd_evidence_risk(ns: argparse.Namespace) -> int:
    """Handler of ``yim evidence risk``; returns the exit status."""
    return _run_model(ns, "risk", render_risk_text)


def cmd_evidence_moderators(ns: argparse.Namespace) -> int:
    """Handler of ``yim evidence moderators``; returns the exit status."""
    return _run_model(ns, "moderators", render_moderators_text)


def _ci(ci: Any) -> str:
    return f"{ci[0]:+.3f} to {ci[1]:+.3f}" if ci else "—"


def render_risk_text(r: dict[str, Any], label: str) -> str:
    """The risk trajectories as a short plain-text report."""
    lines = [
        f"Risk trajectories — {label}, as of {r['as_of']}",
        f"Model: {r['model']['formula']}; time in years since referral; JIM time-varying",
        f"Youth (trajectories): {r['n_youth']}; risk assessments: {r['n_assessments']}",
        "",
        "Slope difference (time x JIM, score points per year; negative: risk falls faster "
        "with a JIM)",
    ]
    for d in r["domains"]:
        counts = [
            _num(d[k]) if d[k] is not None else "withheld" for k in ("n_youth", "n_assessments")
        ]
        head = f"  {d['domain']}: n youth {counts[0]}, n assessments {counts[1]}"
        if d["slope_difference"] is None:
            lines += [head, f"    not estimated: {d['error']}"]
        else:
            lines += [
                head,
                f"    mixed model: {d['slope_difference']:+.3f} (SE {d['se']:.3f}; "
                f"95% CI {_ci(d['ci'])}; p {d['p']:.3g})",
            ]
        gee = d["gee"]
        if gee is not None:
            lines.append(
                f"    GEE (bias-reduced SE): {gee['estimate']:+.3f} (SE {gee['se']:.3f}; "
                f"95% CI {_ci(gee['ci'])})"
            )
    return "\n".join(lines) + "\n"


def render_moderators_text(m: dict[str, Any], label: str) -> str:
    """The moderator analyses as a short plain-text report."""
    lines = [f"What works for whom — {label}, as of {m['as_of']}"]
    for outcome in m["outcomes"]:
        lines += ["", f"{outcome['title']} ({outcome['model']}; {outcome['effect']})"]
        for test in outcome["moderators"]:
            if test["error"]:
                lines.append(f"  {test['moderator']}: not tested: {test['error']}")
                continue
            lines.append(
                f"  {test['moderator']}: {test['test']} p {test['p']:.3g} "
                f"(Holm {test['p_holm']:.3g}; BH {test['p_bh']:.3g})"
            )
            for level in test["subgroups"]:
                if level["estimate"] is None:
                    lines.append(f"    {level['level']}: {level['note'] or 'withheld'}")
                elif level["ci"] is None:
                    lines.append(f"    {level['level']}: {level['note']} (n {level['n']})")
                else:
                    low, high = level["ci"]
                    lines.append(
                        f"    {level['level']}: {level['estimate']:.2f} "
                        f"(95% CI {low:.2f}–{high:.2f}; n {level['n']})"
                    )
    return "\n".join(lines) + "\n"
