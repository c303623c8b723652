"""/research/export/: the pseudonymised research export on a page (researchers only).

The form (POST, with the CSRF token) chooses the day, the format, a team of the researcher's
organisation (or all its teams) and free-text columns; the answer is a ZIP archive of the
tables and the codebook (:mod:`yim.research.export`), made by a background worker
(:mod:`yim.research.export_jobs`): the page opens the job's progress, then offers the archive
for download. Making the export and each download are recorded in the audit log.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest
from yim.research.export import FORMATS, ExportError, export_key
from yim.research.export_jobs import RESEARCH_EXPORT, archive_path
from yim.research.job_pages import finished_job_or_404, start_and_show

FREE_TEXT_LABELS = {
    "referral_reason": gettext_lazy("Reason for referral"),
    "notes": gettext_lazy("Notes of closures, placement episodes and follow-ups"),
    "open_answer": gettext_lazy("Answers to open questions"),
    "revision_history": gettext_lazy("History of changes to answers (JSON)"),
}


class ExportForm(forms.Form):
    as_of = forms.DateField(
        label=gettext_lazy("As of"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("What was recorded up to this day."),
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"), choices=[(f, f.upper()) for f in FORMATS], initial="csv"
    )
    team = forms.TypedChoiceField(
        label=gettext_lazy("Team"), coerce=int, required=False, empty_value=None
    )
    include = forms.MultipleChoiceField(
        label=gettext_lazy("Free text to include"),
        choices=list(FREE_TEXT_LABELS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Free text is left out unless you choose it here: it may contain names and other "
            "details that identify people. Names are never exported."
        ),
    )

    def __init__(self, *args: Any, teams: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team = cast(forms.TypedChoiceField, self.fields["team"])
        team.choices = [("", _("All teams of my organisation"))] + [
            (choice.pk, choice.name) for choice in teams
        ]

    def clean_as_of(self) -> dt.date:
        day: dt.date = self.cleaned_data["as_of"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Choose a day up to today."))
        return day


@login_required
@require_http_methods(["GET", "POST"])
def export_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not policy.can_use_research(user):
        raise Http404
    teams = policy.evidence_teams(user).order_by("name")
    if request.method == "GET":
        form = ExportForm(initial={"as_of": timezone.localdate(), "format": "csv"}, teams=teams)
        return render(request, "research/export.html", {"form": form})
    form = ExportForm(request.POST, teams=teams)
    problem = ""
    if form.is_valid():
        data = form.cleaned_data
        filters = policy.evidence_scope(user, data["team"])
        try:
            export_key()  # a key file that cannot be made is reported here, not by the worker
        except ExportError as exc:
            problem = str(exc)
        else:
            params = {
                "owner_id": user.pk,
                "as_of": data["as_of"].isoformat(),
                "format": data["format"],
                "include": sorted(data["include"]),
                "organisation_id": filters.get("organisation_id"),
                "team_id": filters.get("team_id"),
            }
            return start_and_show(RESEARCH_EXPORT, user, params, as_of=data["as_of"])
    return render(request, "research/export.html", {"form": form, "problem": problem}, status=400)


@login_required
@require_GET
def download_view(request: AuthenticatedHttpRequest, job_id: int) -> FileResponse:
    """The archive of a finished export: its owner's, while they may still see its scope."""
    job, result = finished_job_or_404(request.user, job_id, RESEARCH_EXPORT)
    path = archive_path(result)
    return kept_file_download(
        request,
        job,
        path,
        filename=result.get("download_name", path.name),
        content_type="application/zip",
        detail=f"downloaded research export of job {job.pk} ({job.params['as_of']})",
    )


def kept_file_download(
    request: AuthenticatedHttpRequest,
    job: Any,
    path: Path,
    *,
    filename: str,
    content_type: str,
    detail: str,
) -> FileResponse:
    """The file a finished job kept (an export's archive, a report), as an attachment; the
    download is audited as an export of the job's organisation. 404 once the file is gone
    (pruned)."""
    if not path.exists():
        raise Http404
    record(
        request.user,
        Action.EXPORT,
        request=request,
        organisation_id=job.params.get("organisation_id"),
        detail=detail,
    )
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
