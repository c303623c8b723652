"""Apply a project's pseudonym table to everything already stored in it.

Importing a transcript pseudonymises it on the way in; this is the same replacement for what
is already there (names noticed after coding started, projects imported from other tools).
The pure core (:mod:`yim.qualitative.pseudonyms`) does the replacing: this module only writes
its result back, the way :func:`~yim.qualitative.pseudonyms.pseudonymise_project` treats a
REFI project: every document text, every segment shifted through the text's offset map (a
boundary inside a replaced name snaps outward), every memo text; speaker turns are detected
again. Document and memo titles (often file names such as ``interview-Fatima-2026.docx``) are
rewritten with :meth:`~yim.qualitative.pseudonyms.PseudonymTable.apply_title`.

Every other field that leaves yim through an export or the API and can hold a name goes
through the same table (:data:`LABELS`): participants (the REFI cases, with the names they
came in with from another tool) and their descriptions, the values of text attributes, the
names and descriptions of codes, sets (triads), segments and the project, and the
descriptions of documents and memos. Short labels are rewritten like titles (``Fatima_B``
is caught), descriptions like text.

All of it happens in one transaction: any error leaves every row as it was. Rows in which no
name occurs are not written at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from . import models as m
from .pseudonyms import PseudonymError, PseudonymTable
from .refi.model import VariableType

__all__ = [
    "AppliedPseudonyms",
    "apply_pseudonyms",
    "incoming_table",
    "project_table",
    "pseudonymise_participant",
]


@dataclass(frozen=True)
class AppliedPseudonyms:
    """What changed: documents and memos rewritten, segments moved, names replaced."""

    documents: tuple[m.Document, ...]
    memos: int
    segments_moved: int
    names_replaced: int  # in the texts
    titles: int = 0  # document and memo titles that had a name in them
    participants: tuple[m.Participant, ...] = ()  # name, description or text attributes
    labels: int = 0  # other rows (codes, sets, segments, attributes …) with a name in them

    @property
    def changed(self) -> bool:
        return bool(self.documents or self.memos or self.participants or self.labels)


#: Fields beside the transcripts and memos that can hold a participant's name and leave yim
#: through the .qdpx/.qdc export, the segment exports or the API: (model, fields rewritten
#: like titles, fields rewritten like text). Text attributes are handled apart (their type
#: is on the variable).
LABELS: tuple[tuple[type[Model], tuple[str, ...], tuple[str, ...]], ...] = (
    (m.Project, ("name",), ("description",)),
    (m.Code, ("name",), ("description",)),
    (m.CodeSet, ("name",), ("description",)),
    (m.Segment, ("name",), ("description",)),
    (m.Variable, (), ("description",)),
)


def incoming_table(project: m.Project) -> PseudonymTable | None:
    """The table applied to what comes into the project (a transcript, a participant); None
    while the project has no table. :class:`PseudonymError` if it cannot be applied (its
    message may quote real names: never show it to coders)."""
    pairs = dict(project.pseudonyms.values_list("real_name", "pseudonym"))
    return PseudonymTable(pairs) if pairs else None


def pseudonymise_participant(participant: m.Participant, table: PseudonymTable | None) -> None:
    """Replace the table's names in a participant's name and description (not saved)."""
    if table is None:
        return
    participant.name = _title(table, participant.name, m.Participant)
    participant.description = table.apply(participant.description).text


def project_table(project: m.Project) -> PseudonymTable:
    """The project's stored table, checked for re-application to already-pseudonymised text.

    A pseudonym that itself contains a real name of the table (a swap such as Anna → Bram,
    Bram → Anna, or Anna → "Anna S.") would be replaced again by a second application, and
    a swap applied twice puts the real names back. Such a table is fine for a one-time import
    but is refused here.
    """
    pairs = dict(project.pseudonyms.values_list("real_name", "pseudonym"))
    if not pairs:
        raise PseudonymError(_("The pseudonym table is empty: there is nothing to apply."))
    table = PseudonymTable(pairs)
    for real, pseudonym in sorted(pairs.items()):
        found = table.leftovers(pseudonym)
        if found:
            raise PseudonymError(
                _(
                    "The pseudonym “%(pseudonym)s” (for “%(real)s”) contains the name "
                    "“%(name)s” of the table, so applying the table again would replace it "
                    "again. Choose pseudonyms that are not names in the table."
                )
                % {"pseudonym": pseudonym, "real": real, "name": found[0]}
            )
    return table


@transaction.atomic
def apply_pseudonyms(project: m.Project, table: PseudonymTable) -> AppliedPseudonyms:
    """Rewrite every document, memo, participant and label of ``project`` with ``table``, in
    one transaction.

    Raises :class:`~yim.qualitative.pseudonyms.PseudonymError` (after rolling back) if a
    stored segment does not fit its text.
    """
    changed: list[m.Document] = []
    moved = 0
    replaced = 0
    documents = (
        m.Document.objects.select_for_update()
        .filter(project=project)
        .prefetch_related("segments")
        .order_by("pk")
    )
    titles = 0
    for document in documents:
        result = table.apply(document.text)
        title = _title(table, document.name, m.Document)
        description = table.apply(document.description).text
        if (result.text, title, description) == (
            document.text,
            document.name,
            document.description,
        ):
            continue
        if title != document.name:
            titles += 1
        if (title, description) != (document.name, document.description):
            document.name, document.description = title, description
            document.save(update_fields=["name", "description"])
        if result.text != document.text:
            segments = list(document.segments.all())
            for segment in segments:
                start, end = result.offsets.map_range(segment.start, segment.end)
                if (start, end) != (segment.start, segment.end):
                    moved += 1
                segment.start, segment.end = start, end
            document.text = result.text
            document.save(update_fields=["text"])
            m.Segment.objects.bulk_update(segments, ["start", "end"])
            document.rebuild_turns()
            replaced += len(result.replacements)
        changed.append(document)
    memos = 0
    for memo in m.Memo.objects.select_for_update().filter(project=project).order_by("pk"):
        result = table.apply(memo.text)
        title = _title(table, memo.name, m.Memo)
        description = table.apply(memo.description).text
        if (result.text, title, description) == (memo.text, memo.name, memo.description):
            continue
        if title != memo.name:
            titles += 1
        memo.text, memo.name, memo.description = result.text, title, description
        memo.save(update_fields=["text", "name", "description"])
        memos += 1
        replaced += len(result.replacements)
    participants = _participants(project, table)
    labels = 0
    for model, short, long in LABELS:
        rows = model._default_manager.filter(**_in_project(model, project))
        labels += _rewrite(rows, table, short, long)
    labels += _rewrite(
        m.AttributeValue.objects.filter(
            variable__project=project,
            variable__type=VariableType.TEXT.value,
            participant__isnull=True,  # a participant's attributes count with the participant
        ),
        table,
        ("value",),
        (),
    )
    return AppliedPseudonyms(
        tuple(changed), memos, moved, replaced, titles, tuple(participants), labels
    )


def _participants(project: m.Project, table: PseudonymTable) -> list[m.Participant]:
    """Participants whose name, description or text attributes held a name of the table."""
    people = m.Participant.objects.select_for_update().filter(project=project).order_by("pk")
    changed = {row.pk for row in _rewritten(people, table, ("name",), ("description",))}
    attributes = m.AttributeValue.objects.filter(
        participant__project=project, variable__type=VariableType.TEXT.value
    )
    changed |= {a.participant_id for a in _rewritten(attributes, table, ("value",), ())}
    return list(m.Participant.objects.filter(pk__in=changed).order_by("pk"))


def _in_project(model: type[Model], project: m.Project) -> dict[str, object]:
    if model is m.Project:
        return {"pk": project.pk}
    if model is m.Segment:
        return {"document__project": project}
    return {"project": project}


def _rewrite(queryset, table: PseudonymTable, short: Sequence[str], long: Sequence[str]) -> int:
    """Rewrite ``short`` fields like titles and ``long`` ones like text; rows changed."""
    return len(_rewritten(queryset, table, short, long))


def _rewritten(queryset, table: PseudonymTable, short: Sequence[str], long: Sequence[str]):
    model = queryset.model
    changed = []
    for row in queryset.select_for_update().order_by("pk"):
        dirty = False
        for name in short:
            value = getattr(row, name)
            new = _title(table, value, model, name)
            dirty |= new != value
            setattr(row, name, new)
        for name in long:
            value = getattr(row, name)
            new = table.apply(value).text if value else value
            dirty |= new != value
            setattr(row, name, new)
        if dirty:
            changed.append(row)
    if changed:
        model._default_manager.bulk_update(changed, [*short, *long])
    return changed


def _title(table: PseudonymTable, title: str, model: type[Model], field: str = "name") -> str:
    max_length = getattr(model._meta.get_field(field), "max_length", None)
    return table.apply_title(title, max_length=max_length) if title else title
