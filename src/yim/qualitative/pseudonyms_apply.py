"""Apply a project's pseudonym table to the transcripts and memos already stored in it.

Importing a transcript pseudonymises it on the way in; this is the same replacement for what
is already there (names noticed after coding started). The pure core
(:mod:`yim.qualitative.pseudonyms`) does the replacing: this module only writes its result
back, the way :func:`~yim.qualitative.pseudonyms.pseudonymise_project` treats a REFI project:
every document text, every segment shifted through the text's offset map (a boundary inside
a replaced name snaps outward), every memo text; speaker turns are detected again. Document
and memo titles (often file names such as ``interview-Fatima-2026.docx``) are rewritten with
:meth:`~yim.qualitative.pseudonyms.PseudonymTable.apply_title` in the same transaction.

All of it happens in one transaction: any error leaves every document, segment, turn and memo
as it was. Documents and memos in which no name occurs are not written at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from . import models as m
from .pseudonyms import PseudonymError, PseudonymTable

__all__ = ["AppliedPseudonyms", "apply_pseudonyms", "project_table"]


@dataclass(frozen=True)
class AppliedPseudonyms:
    """What changed: documents and memos rewritten, segments moved, names replaced."""

    documents: tuple[m.Document, ...]
    memos: int
    segments_moved: int
    names_replaced: int  # in the texts
    titles: int = 0  # document and memo titles that had a name in them

    @property
    def changed(self) -> bool:
        return bool(self.documents or self.memos)


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
    """Rewrite every document and memo of ``project`` with ``table``, in one transaction.

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
        if result.text == document.text and title == document.name:
            continue
        if title != document.name:
            document.name = title
            document.save(update_fields=["name"])
            titles += 1
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
        if result.text == memo.text and title == memo.name:
            continue
        if title != memo.name:
            titles += 1
        memo.text, memo.name = result.text, title
        memo.save(update_fields=["text", "name"])
        memos += 1
        replaced += len(result.replacements)
    return AppliedPseudonyms(tuple(changed), memos, moved, replaced, titles)


def _title(table: PseudonymTable, title: str, model: type[m.Document] | type[m.Memo]) -> str:
    max_length = model._meta.get_field("name").max_length
    return table.apply_title(title, max_length=max_length) if title else title
