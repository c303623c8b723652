"""Filling in a questionnaire, page by page, for everyone (youth, JIM, parent, professional).

Each page is saved on the server as a draft when the respondent moves on, goes back or stops,
so a questionnaire can be left and resumed on any device without losing answers. Submitting
(on the last page) checks the required items and scores the subscales; a second submission —
a double click, a second tab, the back button — gets a clear message and changes nothing.
The pages work without JavaScript; ``questionnaire.js`` only adds conveniences.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.http import AuthenticatedHttpRequest
from yim.monitoring.forms import FIELD_PREFIX, QuestionnairePageForm
from yim.monitoring.models import AlreadySubmitted, Assessment, StaleAnswers


def get_assessment_or_404(request: AuthenticatedHttpRequest, pk: int) -> Assessment:
    """One query through the user's scope: someone else's questionnaire is not found."""
    assessment = (
        policy.assessment_queryset(request.user)
        .select_related("youth", "wave", "meeting", "respondent")
        .filter(pk=pk)
        .first()
    )
    if assessment is None:
        raise Http404
    return assessment


def after_url(request: AuthenticatedHttpRequest, assessment: Assessment) -> str:
    """Where the respondent goes when they stop or finish."""
    if request.user.is_portal_user:
        return reverse("portal:youth", args=[assessment.youth_id])
    return reverse("monitoring:youth", args=[assessment.youth_id])


def _may_fill(request: AuthenticatedHttpRequest, assessment: Assessment) -> bool:
    if assessment.respondent_id == request.user.pk and not assessment.is_submitted:
        return policy.can_fill_in_questionnaires(request.user, assessment.youth)
    return assessment.is_submitted and policy.can_edit_submitted_assessment(
        request.user, assessment
    )


@login_required
@require_GET
def resume_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Carry on where the respondent left off: the first page with an unanswered question."""
    assessment = get_assessment_or_404(request, pk)
    if assessment.is_submitted:
        return redirect("monitoring:done", pk=assessment.pk)
    return redirect(fill_url(assessment, assessment.first_open_page()))


@login_required
@require_http_methods(["GET", "POST"])
def fill_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One page of the questionnaire: ``?page=n`` (GET) or the form's ``page`` field (POST)."""
    assessment = get_assessment_or_404(request, pk)
    page = _int((request.POST if request.method == "POST" else request.GET).get("page"), 1)
    if assessment.is_submitted and not policy.can_edit_submitted_assessment(
        request.user, assessment
    ):
        if request.method == "POST":
            messages.info(
                request,
                _("This questionnaire has already been submitted; your answers are saved."),
            )
        return redirect("monitoring:done", pk=assessment.pk)
    if not _may_fill(request, assessment):
        raise Http404
    definition = assessment.definition
    pages = definition.pages()
    if not 1 <= page <= len(pages):
        raise Http404
    items = pages[page - 1]
    language = get_language() or "nl"

    def make_form(data: Any = None, initial: Any = None) -> QuestionnairePageForm:
        return QuestionnairePageForm(
            data,
            initial=initial,
            instrument=definition,
            items=items,
            respondent=assessment.respondent_role,
            language=language,
        )

    if request.method == "POST":
        form = make_form(request.POST)
        action = request.POST.get("action", "next")
        if form.is_valid():
            try:
                changes = _save(request, assessment, form)
            except AlreadySubmitted as done:
                messages.info(request, done.messages[0])
                return redirect("monitoring:done", pk=assessment.pk)
            except StaleAnswers as stale:
                form.add_error(None, stale.messages[0])
            except ValidationError as invalid:
                for field, problems in invalid.message_dict.items():
                    name = FIELD_PREFIX + field
                    form.add_error(name if name in form.fields else None, problems)
            else:
                if changes:
                    _record(
                        request,
                        Action.UPDATE,
                        assessment,
                        f"{assessment.instrument}: {len(changes)} answer(s) saved",
                    )
                return _after_save(request, assessment, action, page, len(pages))
        status = 400
    else:
        answers = assessment.answers_dict()
        initial: dict[str, object] = {"version": assessment.version}
        for item in items:
            if answers.get(item.code) is not None:
                initial[FIELD_PREFIX + item.code] = answers[item.code]
        form = make_form(initial=initial)
        status = 200
        _record(request, Action.VIEW, assessment, f"{assessment.instrument} page {page}")
    return render(
        request,
        "monitoring/fill.html",
        {
            "assessment": assessment,
            "instrument": definition,
            "title": definition.title.get(language),
            "description": definition.description.get(language),
            "form": form,
            "page": page,
            "pages": len(pages),
            "is_last": page == len(pages),
            "editing_submitted": assessment.is_submitted,
            "stop_url": after_url(request, assessment),
        },
        status=status,
    )


def _save(
    request: AuthenticatedHttpRequest, assessment: Assessment, form: QuestionnairePageForm
) -> list[dict[str, object]]:
    version = form.cleaned_data["version"]
    if assessment.is_submitted:
        return assessment.edit_submitted(form.answers(), by=request.user, expected_version=version)
    return assessment.save_answers(form.answers(), by=request.user, expected_version=version)


def _after_save(
    request: AuthenticatedHttpRequest, assessment: Assessment, action: str, page: int, pages: int
) -> HttpResponse:
    if action == "back" and page > 1:
        return redirect(fill_url(assessment, page - 1))
    if action == "stop":
        messages.success(
            request, _("Your answers are saved. You can carry on later where you left off.")
        )
        return redirect(after_url(request, assessment))
    if action == "submit" and page == pages:
        if assessment.is_submitted:  # a correction of a submitted assessment
            messages.success(request, _("The corrections are saved."))
            return redirect("monitoring:assessment", pk=assessment.pk)
        try:
            assessment.submit(by=request.user)
        except AlreadySubmitted as done:
            messages.info(request, done.messages[0])
            return redirect("monitoring:done", pk=assessment.pk)
        except ValidationError as invalid:
            missing = next(iter(invalid.message_dict))
            messages.error(
                request,
                _("Not everything needed is answered yet. Answer the marked question first."),
            )
            target = _page_of(assessment, missing)
            return redirect(fill_url(assessment, target) + f"#{FIELD_PREFIX}{missing}")
        _record(request, Action.UPDATE, assessment, f"{assessment.instrument} submitted")
        return redirect("monitoring:done", pk=assessment.pk)
    return redirect(fill_url(assessment, min(page + 1, pages)))


def _record(
    request: AuthenticatedHttpRequest, action: Action, assessment: Assessment, detail: str
) -> None:
    """Log an access to the youth's assessment."""
    record(
        request.user, action, request=request, youth=assessment.youth, obj=assessment, detail=detail
    )


def fill_url(assessment: Assessment, page: int) -> str:
    return reverse("monitoring:fill", args=[assessment.pk]) + f"?page={page}"


def _int(raw: Any, default: int) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


def _page_of(assessment: Assessment, item: str) -> int:
    for number, page in enumerate(assessment.definition.pages(), start=1):
        if any(i.code == item for i in page):
            return number
    return 1


@login_required
@require_GET
def done_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_or_404(request, pk)
    if not assessment.is_submitted:
        return redirect("monitoring:resume", pk=assessment.pk)
    language = get_language() or "nl"
    return render(
        request,
        "monitoring/done.html",
        {
            "assessment": assessment,
            "title": assessment.definition.title.get(language),
            "back_url": after_url(request, assessment),
        },
    )
