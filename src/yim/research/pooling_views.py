"""/evidence/pool/: a researcher uploads the signed evidence files of several organisations and
pools them (the page of ``yim evidence pool``), and downloads the report as HTML or JSON.

Every file is checked here, in the request, before anything is kept: its size, that it is
JSON in the published layout, its schema version and its Ed25519 signature, and then the set
(no two files of one key, no overlapping organisations, at least two files). Every problem is
named with its file and nothing is kept; only a set that can be pooled is kept for the worker
(:mod:`yim.research.pooling_jobs`), which pools it with progress and removes the files.
An optional list of trusted keys (the lines ``--trusted-keys`` reads: a base64 public key or
its fingerprint as ``yim evidence file`` prints it, and a name) makes a file signed by any
other key refuse the set, naming the file.
Who may: :func:`yim.policy.can_pool_evidence`; a result is its owner's (404 for anyone else).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from yim import policy
from yim.core.http import AuthenticatedHttpRequest
from yim.jobs.models import Job
from yim.research.evidence.pooling import DEFAULT_MIN_UNITS
from yim.research.evidence.verification import (
    MAX_FILE_BYTES,
    EvidenceFile,
    PoolingError,
    check_together,
    read_evidence_bytes,
    trusted_keys_from_lines,
)
from yim.research.job_pages import finished_job_or_404, start_and_show
from yim.research.pooling_jobs import EVIDENCE_POOL, keep_files
from yim.research.views import json_attachment, report_html_response
from yim.stats.meta.reading import MAX_BYTES

#: The most files one upload pools (one per organisation of a region).
MAX_FILES = 50


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".json"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class PoolForm(forms.Form):
    evidence_files = MultipleFileField(
        label=gettext_lazy("Evidence files (JSON), one per organisation"),
        help_text=gettext_lazy(
            "The files 'yim evidence file' wrote, unchanged. Choose several at once; at most "
            "1 MB each, 20 MB together."
        ),
    )
    min_units = forms.IntegerField(
        label=gettext_lazy("Show heterogeneity from this many organisations on"),
        min_value=2,
        max_value=MAX_FILES,
        initial=DEFAULT_MIN_UNITS,
        help_text=gettext_lazy(
            "τ², I² and the prediction interval: with fewer organisations the "
            "between-organisation variance is too uncertain to show."
        ),
    )
    trusted_keys = forms.CharField(
        label=gettext_lazy("Trusted keys (optional)"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=gettext_lazy(
            "One key a line: the organisation's public key (base64, as in its file) or the "
            "fingerprint 'yim evidence file' printed (SHA256:…), then a name. A file signed "
            "by a key not on the list is refused and nothing is pooled. Lines starting with "
            "# are skipped."
        ),
    )


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


def trusted_keys(text: str, files: list[EvidenceFile]) -> dict[bytes, str] | None:
    """The list of trusted keys typed on the page (None: no list), read as ``--trusted-keys``
    reads its file: keys or fingerprints of the uploaded files' keys."""
    lines = text.splitlines()
    if not any(line.strip() and not line.strip().startswith("#") for line in lines):
        return None
    return trusted_keys_from_lines(lines, _("the trusted keys"), files)


def check_uploads(
    uploads: list[UploadedFile], trusted_text: str = ""
) -> tuple[list[tuple[str, bytes]], list[str], dict[bytes, str] | None]:
    """Every file's bytes, or every problem (each naming its file); the set is checked once
    every file is sound, against the list of trusted keys when one is given."""
    problems: list[str] = []
    if len(uploads) > MAX_FILES:
        return (
            [],
            [
                _(
                    "%(n)s files were uploaded; at most %(max)s are pooled at once. Nothing "
                    "was pooled."
                )
                % {"n": len(uploads), "max": MAX_FILES}
            ],
            None,
        )
    total = sum(u.size or 0 for u in uploads)
    if total > MAX_BYTES:
        return (
            [],
            [
                _(
                    "The files are %(size)s MB together; the limit is %(max)s MB. Nothing was "
                    "pooled."
                )
                % {"size": _megabytes(total), "max": MAX_BYTES // (1024 * 1024)}
            ],
            None,
        )
    checked: list[tuple[str, bytes]] = []
    verified: list[EvidenceFile] = []
    for upload in uploads:
        label = upload.name or _("(without a name)")
        if (upload.size or 0) > MAX_FILE_BYTES:
            problems.append(
                _(
                    "%(file)s: the file is %(size)s MB; an evidence file is at most %(max)s "
                    "MB (an honest one is a few kilobytes). Nothing was pooled."
                )
                % {
                    "file": label,
                    "size": _megabytes(upload.size or 0),
                    "max": MAX_FILE_BYTES // 1_000_000,
                }
            )
            continue
        data = upload.read()
        try:
            verified.append(read_evidence_bytes(data, label))
        except PoolingError as exc:
            problems.append(str(exc))
            continue
        checked.append((label, data))
    trusted = None
    if not problems:
        try:
            trusted = trusted_keys(trusted_text, verified)
            check_together(verified, trusted)
        except PoolingError as exc:
            problems.append(str(exc))
    return ([] if problems else checked), problems, trusted


@login_required
@require_http_methods(["GET", "POST"])
def pool_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The upload (GET); on POST every file verified and, when all can be pooled, the
    pooling started as background work."""
    if not policy.can_pool_evidence(request.user):
        raise Http404
    form = PoolForm(*((request.POST, request.FILES) if request.method == "POST" else ()))
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        checked, problems, trusted = check_uploads(
            form.cleaned_data["evidence_files"], form.cleaned_data["trusted_keys"]
        )
        if not problems:
            try:
                kept = keep_files(checked)
            except PoolingError as exc:
                problems.append(str(exc))
            else:
                params: dict[str, Any] = {
                    "files": kept,
                    "min_units": form.cleaned_data["min_units"],
                }
                if trusted is not None:  # base64 key: name, for the worker's check
                    params["trusted"] = {
                        base64.b64encode(key).decode(): name for key, name in trusted.items()
                    }
                return start_and_show(EVIDENCE_POOL, request.user, params)
    recent = Job.objects.filter(owner=request.user, kind=EVIDENCE_POOL).order_by(
        "-created_at", "-pk"
    )[:5]
    context = {"form": form, "problems": problems, "recent": recent}
    return render(request, "research/pool.html", context)


def _pooled_result(request: AuthenticatedHttpRequest, job_id: int) -> dict[str, Any]:
    """The kept result of the user's own pooling (404 for anyone else's, or none yet)."""
    _job, result = finished_job_or_404(request.user, job_id, EVIDENCE_POOL)
    return dict(result)


@login_required
@require_GET
def pool_report_view(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    """The HTML report as ``yim evidence pool --format html`` writes it (sandboxed)."""
    result = _pooled_result(request, job_id)
    return report_html_response(request, result["html"], f"evidence-pooled-{job_id}.html")


@login_required
@require_GET
def pool_json_view(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    """The report as ``yim evidence pool --format json`` prints it."""
    result = _pooled_result(request, job_id)
    body = json.dumps(result["report"], indent=2, ensure_ascii=False, allow_nan=False)
    return json_attachment(body + "\n", f"evidence-pooled-{job_id}.json")
