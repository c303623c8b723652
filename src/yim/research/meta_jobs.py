"""Meta-analyses from the research workspace, fitted while the page waits or, for a large
file, as background work (a :mod:`yim.jobs` kind).

:func:`fit_table` is the one way the page fits an uploaded table — the same engine as
``yim meta fit``. A file above ``YIM_META_INLINE_BYTES`` is kept in ``<data dir>/uploads``
(mode 0600) for the worker, fitted there with progress, and removed whatever the outcome;
the analysis is then saved like one fitted while the page waited.
"""

from __future__ import annotations

import json
import secrets
from contextlib import suppress
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yim import policy
from yim.accounts.models import User
from yim.audit.log import record
from yim.audit.models import Action
from yim.jobs import kinds
from yim.jobs.kinds import Progress
from yim.research.models import MetaAnalysisRun

META_FIT = "research.meta_fit"
_UPLOAD_PREFIX = "meta-"


class MetaFitRefused(Exception):
    """The table or the model cannot be fitted; ``messages`` name every problem."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


def fit_table(
    source: bytes | Path, filename: str, options: dict[str, Any], progress: Progress | None = None
) -> tuple[dict[str, Any], str]:
    """Fit the table with the page's options; the JSON result and the HTML report.
    Raises :class:`MetaFitRefused` with every problem of the data or the model."""
    from yim.stats.meta.dataset import DataError, load_table, prepare
    from yim.stats.meta.errors import ConvergenceError, MetaAnalysisError
    from yim.stats.meta.report import fit_from_options, render_html, to_json_dict

    say = progress or (lambda _fraction, _message: None)
    from_r = options["input_kind"] == "r"
    random = f"{options['study']}/{options['es_id']}" if options.get("es_id") else None
    try:
        say(0.05, _("Reading the file"))
        table = load_table(source, filename)
        say(0.25, _("Checking the data"))
        prepared = prepare(
            table,
            yi=None if from_r else options["yi"],
            vi=None if from_r else options["vi"],
            r=options["r"] if from_r else None,
            n=options["n"] if from_r else None,
            study=options["study"],
            es_id=options.get("es_id") or None,
            random=random,
            mods=options.get("mods") or None,
        )
        say(0.4, _("Fitting the model"))
        fit = fit_from_options(
            prepared, method=options["method"], test=options["test"], random=random
        )
    except DataError as exc:
        raise MetaFitRefused([str(problem) for problem in exc.problems]) from None
    except ConvergenceError as exc:
        raise MetaFitRefused(
            [_("The model did not converge: %(detail)s") % {"detail": exc}]
        ) from None
    except MetaAnalysisError as exc:
        raise MetaFitRefused([str(exc)]) from None
    say(0.8, _("Writing the report"))
    result = json.loads(json.dumps(to_json_dict(fit), allow_nan=False))
    return result, render_html(fit, title=options["title"])


def save_run(
    owner: User,
    options: dict[str, Any],
    filename: str,
    result: dict[str, Any],
    report: str,
    *,
    request: HttpRequest | None = None,
) -> MetaAnalysisRun:
    run = MetaAnalysisRun.objects.create(
        owner=owner,
        title=options["title"],
        source_filename=filename[:255],
        options=options,
        result=result,
        report_html=report,
    )
    record(owner, Action.CREATE, request=request, obj=run, detail="meta-analysis")
    return run


def is_large(upload: UploadedFile) -> bool:
    """Whether the page sends this file to the background (``YIM_META_INLINE_BYTES``)."""
    return (upload.size or 0) > settings.META_INLINE_BYTES


def uploads_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "uploads"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def keep_upload(upload: UploadedFile) -> str:
    """Write the upload where the worker finds it; returns the name it is kept under."""
    suffix = Path(upload.name or "").suffix.lower()
    name = f"{_UPLOAD_PREFIX}{secrets.token_hex(16)}{suffix}"
    path = uploads_dir() / name
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    path.chmod(0o600)
    return name


def upload_path(name: str) -> Path:
    """Where a kept upload lies; refuses any name :func:`keep_upload` did not make."""
    if not name.startswith(_UPLOAD_PREFIX) or "/" in name or "\\" in name or ".." in name:
        raise MetaFitRefused([_("This upload is not known.")])
    return uploads_dir() / name


def run_meta_fit(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    path = upload_path(params["upload"])
    try:
        if not path.exists():
            raise MetaFitRefused(
                [_("The uploaded file is no longer kept: start a new analysis with the file.")]
            )
        owner = User.objects.get(pk=params["owner_id"])
        result, report = fit_table(path, params["filename"], params["options"], progress)
        run = save_run(owner, params["options"], params["filename"], result, report)
    finally:
        with suppress(OSError):
            path.unlink(missing_ok=True)
    return {"run_id": run.pk, "title": run.title, "k": result.get("k")}


META_FIT_KIND = kinds.register(
    kinds.JobKind(
        name=META_FIT,
        label=gettext_lazy("Meta-analysis of a large file"),
        run=run_meta_fit,
        state=lambda params: "",  # an uploaded file never changes: never out of date
        result_template="research/_meta_fit_result.html",
        user_errors=(MetaFitRefused,),
        may_view=lambda user, params: policy.can_use_research(user),
        repeatable=False,
    )
)
