"""Deleting a code from the codebook: what it affects, and the deletion itself.

A code can go in two ways:

* **with its sub-codes** (``CHILDREN_DELETE``): the code, every sub-code at any depth and every
  coding of any of them are deleted;
* **sub-codes moved up first** (``CHILDREN_LIFT``): the direct sub-codes move to the code's
  parent (top level if it has none) and keep their codings; only the code's own codings go.

Like rename, move and merge, a deletion names the version of the code the user saw and is
refused (:class:`~.models.StaleVersionError`) if someone changed the code since. It also names
the numbers the confirmation page showed (sub-codes and codings affected): if a coder added a
coding or a sub-code in the meantime, more would be lost than the user agreed to, so the
deletion is refused (:class:`DeletionChangedError`) and nothing changes.

Memos are never deleted with a code: a memo attached to a deleted code or coding stays, as a
memo about the project if it had no other target. Selections left without any coding (and
without a memo) are removed, as when a coder removes their last coding of a passage.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils.translation import gettext as _

from . import models as m

__all__ = [
    "CHILDREN_DELETE",
    "CHILDREN_LIFT",
    "CoderCount",
    "DeletionChangedError",
    "DeletionImpact",
    "DeletionResult",
    "delete_code",
    "deletion_impact",
]

CHILDREN_DELETE = "delete"
CHILDREN_LIFT = "lift"


class DeletionChangedError(m.CodebookError):
    """The sub-codes or codings under the code changed after the confirmation was shown."""


@dataclass(frozen=True)
class CoderCount:
    """Codings of one coder: on the code itself, and on its sub-codes (any depth)."""

    coder: str
    own: int
    below: int


@dataclass(frozen=True)
class DeletionImpact:
    """What deleting ``code`` affects, as shown on the confirmation page."""

    code: m.Code
    children: int  # direct sub-codes
    descendants: int  # sub-codes at any depth
    per_coder: tuple[CoderCount, ...]
    memos: int  # memos attached to the code, a sub-code or one of their codings

    @property
    def own_codings(self) -> int:
        return sum(c.own for c in self.per_coder)

    @property
    def below_codings(self) -> int:
        return sum(c.below for c in self.per_coder)

    @property
    def total_codings(self) -> int:
        return self.own_codings + self.below_codings


@dataclass(frozen=True)
class DeletionResult:
    name: str
    mode: str
    codes_deleted: int
    codings_deleted: int
    segments_deleted: int
    children_moved: int


def deletion_impact(code: m.Code) -> DeletionImpact:
    """Count what a deletion of ``code`` touches (a few queries, however many codings)."""
    descendants = code.descendant_ids()
    ids = {code.pk} | descendants
    rows = (
        m.Coding.objects.filter(code_id__in=ids)
        .values("coder_id")
        .annotate(
            own=Count("pk", filter=Q(code_id=code.pk)),
            below=Count("pk", filter=~Q(code_id=code.pk)),
        )
        .order_by("coder_id")
    )
    coders = {c.pk: str(c) for c in m.Coder.objects.filter(project_id=code.project_id)}
    per_coder = sorted(
        (
            CoderCount(
                coders.get(row["coder_id"], "") if row["coder_id"] else _("(no coder)"),
                row["own"],
                row["below"],
            )
            for row in rows
        ),
        key=lambda c: c.coder.casefold(),
    )
    memos = (
        m.Memo.objects.filter(Q(links__code_id__in=ids) | Q(links__coding__code_id__in=ids))
        .distinct()
        .count()
    )
    children = m.Code.objects.filter(parent_id=code.pk).count()
    return DeletionImpact(code, children, len(descendants), tuple(per_coder), memos)


@transaction.atomic
def delete_code(
    code: m.Code,
    expected_version: int,
    mode: str,
    *,
    expected_descendants: int | None = None,
    expected_codings: int | None = None,
) -> DeletionResult:
    """Delete ``code`` (see the module docstring); all or nothing.

    ``expected_descendants`` and ``expected_codings`` are the totals the user confirmed
    (sub-codes at any depth; codings that the chosen ``mode`` deletes).
    """
    if mode not in (CHILDREN_DELETE, CHILDREN_LIFT):
        raise m.CodebookError(_("Choose what happens to the sub-codes."))
    locked = m.Code.objects.select_for_update().filter(pk=code.pk).first()
    if locked is None or locked.version != expected_version:
        raise m.StaleVersionError(code)
    impact = deletion_impact(locked)
    deleted_codings = impact.total_codings if mode == CHILDREN_DELETE else impact.own_codings
    if (expected_descendants is not None and expected_descendants != impact.descendants) or (
        expected_codings is not None and expected_codings != deleted_codings
    ):
        raise DeletionChangedError(
            _(
                "Sub-codes or codings of “%(name)s” were added or removed since you opened "
                "the confirmation. Nothing was deleted: check the numbers and confirm again."
            )
            % {"name": locked.name}
        )
    moved = 0
    if mode == CHILDREN_LIFT:
        # A version bump, as for a move: a form loaded before this sees a stale version.
        moved = m.Code.objects.filter(parent_id=locked.pk).update(
            parent_id=locked.parent_id, version=F("version") + 1
        )
        ids = {locked.pk}
    else:
        ids = {locked.pk} | locked.descendant_ids()
    codings = m.Coding.objects.filter(code_id__in=ids)
    segment_ids = set(codings.exclude(segment=None).values_list("segment_id", flat=True))
    _detach_memos(ids)
    _total, per_model = codings.delete()
    n_codings = per_model.get(m.Coding._meta.label, 0)
    orphans = m.Segment.objects.filter(pk__in=segment_ids, codings=None, memo_links=None)
    n_segments = orphans.count()
    orphans.delete()
    n_codes = len(ids)
    m.Code.objects.filter(pk__in=ids).delete()
    return DeletionResult(locked.name, mode, n_codes, n_codings, n_segments, moved)


def _detach_memos(code_ids: set[int]) -> None:
    """Drop memo links to the codes (or their codings); a memo left without any target
    becomes a memo about the project (a link with every target empty)."""
    links = m.MemoLink.objects.filter(Q(code_id__in=code_ids) | Q(coding__code_id__in=code_ids))
    memo_ids = set(links.values_list("memo_id", flat=True))
    if not memo_ids:
        return
    links.delete()
    linked = set(m.MemoLink.objects.filter(memo_id__in=memo_ids).values_list("memo_id", flat=True))
    m.MemoLink.objects.bulk_create(m.MemoLink(memo_id=pk) for pk in sorted(memo_ids - linked))
