"""/evidence/comparison/: a comparison study (JIM group against a comparison group) from the
registry or from an uploaded file of case files, fitted as background work.

The registry question is the evidence page's, narrowed by the policy (a professional's
caseload, a team lead's team, a researcher's organisation). An uploaded file is read and
checked here, in the request: a file with bad rows is refused whole with their row numbers,
and only a clean table (the chosen columns) goes to the worker as the job's parameters.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from yim.core.http import AuthenticatedHttpRequest
from yim.jobs import runner
from yim.research.evidence.comparison_sources import (
    MAX_FILE_ROWS,
    frame_to_params,
    read_comparison_file,
)
from yim.research.evidence.comparison_study import ComparisonError
from yim.research.evidence_views import question_of
from yim.research.job_pages import question_page_context, start_and_show
from yim.stats.meta.reading import MAX_BYTES

#: The job kind (registered in yim.research.analysis_jobs).
EVIDENCE_COMPARISON = "evidence.comparison"

COVARIATE_LABELS = {
    "age": _("Age at referral"),
    "gender": _("Gender"),
    "intake_risk": _("Risk at intake (mean domain score)"),
    "programme": _("Programme model"),
}
OUTCOME_LABELS = {
    "ambulatory_at_closure": _("Ambulatory at closure"),
    "placement_realised": _("Out-of-home placement realised"),
}
TRIM_CHOICES = [
    ("", _("no trimming")),
    ("99", _("at the 99th percentile")),
    ("95", _("at the 95th percentile")),
]


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


class RegistryComparisonForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "registry_%s")
        super().__init__(*args, **kwargs)

    covariates = forms.MultipleChoiceField(
        label=_("Covariates"),
        choices=list(COVARIATE_LABELS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: all four; one with a single value in the selection is left out."),
    )
    trim = forms.ChoiceField(label=_("Trim the weights"), choices=TRIM_CHOICES, required=False)


class FileComparisonForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "file_%s")
        super().__init__(*args, **kwargs)

    data_file = forms.FileField(
        label=_("Case files (CSV or XLSX)"),
        help_text=_("One row per youth; the first row holds the column names. At most 20 MB."),
    )
    group = forms.CharField(label=_("Column with the group"), max_length=100)
    treated = forms.CharField(
        label=_("Value that marks the JIM group"),
        max_length=100,
        required=False,
        help_text=_("Empty: 1, or a value named “jim”."),
    )
    outcomes = forms.CharField(label=_("Outcome columns (1/0), comma-separated"), max_length=1000)
    covariates = forms.CharField(
        label=_("Covariate columns, comma-separated"), max_length=1000, required=False
    )
    trim = forms.ChoiceField(label=_("Trim the weights"), choices=TRIM_CHOICES, required=False)

    def clean_data_file(self) -> Any:
        upload = self.cleaned_data["data_file"]
        if not upload.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


def _trim(value: str | None) -> float | None:
    return float(value) if value else None


@login_required
@require_http_methods(["GET", "POST"])
def comparison_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The question (GET); on POST the comparison from the registry or from a file,
    started as background work."""
    posted = request.method == "POST"
    data = request.POST if request.method == "POST" else request.GET
    question = question_of(request, data)
    errors = list(question.errors)
    source = data.get("source", "registry")
    registry_form = RegistryComparisonForm(data if posted and source == "registry" else None)
    file_form = FileComparisonForm(
        *((request.POST, request.FILES) if posted and source == "file" else ())
    )
    if posted and not errors:
        params: dict[str, Any] | None = None
        if source == "file":
            params = _file_params(file_form, errors)
        elif registry_form.is_valid():
            params = {
                **question.params(),
                "source": "registry",
                "covariates": registry_form.cleaned_data["covariates"],
                "trim": _trim(registry_form.cleaned_data["trim"]),
            }
        if params is not None:
            return start_and_show(EVIDENCE_COMPARISON, request.user, params, as_of=question.as_of)
    latest_job = None
    if not question.errors:
        default = {**question.params(), "source": "registry", "covariates": [], "trim": None}
        latest_job = runner.latest(request.user, EVIDENCE_COMPARISON, default)
    context = {
        "errors": errors,
        **question_page_context(request.user, question, latest_job),
        "registry_form": registry_form if source == "registry" else RegistryComparisonForm(),
        "file_form": file_form,
        "max_rows": MAX_FILE_ROWS,
    }
    return render(request, "research/comparison.html", context)


def _file_params(form: FileComparisonForm, errors: list[str]) -> dict[str, Any] | None:
    """Read and check the upload; the job's parameters, or None with the problems in
    ``errors`` (nothing of a refused file is kept)."""
    if not form.is_valid():
        return None
    clean = form.cleaned_data
    upload = clean["data_file"]
    outcomes, covariates = _names(clean["outcomes"]), _names(clean["covariates"])
    try:
        frame = read_comparison_file(
            upload.read(),
            upload.name,
            group=clean["group"].strip(),
            treated=clean["treated"].strip() or None,
            outcomes=outcomes,
            covariates=covariates,
        )
    except ComparisonError as exc:
        errors.append(str(exc))
        return None
    return {
        "source": "file",
        "filename": upload.name,
        "group": clean["group"].strip(),
        "outcomes": outcomes,
        "covariates": covariates,
        "trim": _trim(clean["trim"]),
        **frame_to_params(frame),
    }
