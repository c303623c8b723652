"""Interview projects in the REFI-QDA data model (notes §0.1, §A3).

Every model mirrors one REFI object, so export is serialisation (see :mod:`.convert`):

=====================  ===================================================================
REFI                   model
=====================  ===================================================================
Project                :class:`Project` (+ :class:`Membership`: who may open it)
User                   :class:`Coder` (a yim user, or a coder who came in with an import)
Code (nested)          :class:`Code` (``parent``; ``version`` for optimistic locking)
Variable               :class:`Variable` (typed)
Case                   :class:`Participant` (role, age band … are :class:`AttributeValue`)
Set                    :class:`CodeSet` (a triad is a set; participants point at their set)
TextSource             :class:`Document` (+ :class:`Turn`: speaker turns, the agreement unit)
PlainTextSelection     :class:`Segment` (``[start, end)`` in code points)
Coding                 :class:`Coding` (on a segment, or on a whole document)
Note / NoteRef         :class:`Memo` / :class:`MemoLink`
=====================  ===================================================================

GUIDs are unique *within a project* (the same .qdpx may be imported into two projects).
Text positions are 0-based code points with an exclusive end, validated on save.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .refi.model import VariableType


def new_guid() -> str:
    return str(uuid.uuid4())


class MemberRole(models.TextChoices):
    OWNER = "owner", _("owner")
    CODER = "coder", _("coder")


class ParticipantRole(models.TextChoices):
    """Suggested values of the standard ``role`` attribute."""

    YOUTH = "youth", _("youth")
    JIM = "jim", _("JIM")
    PARENT = "parent", _("parent")
    PROFESSIONAL = "professional", _("professional")


#: Variables every new project starts with (name, type, description).
STANDARD_VARIABLES: tuple[tuple[str, VariableType, str], ...] = (
    ("role", VariableType.TEXT, "youth, jim, parent or professional"),
    ("age_band", VariableType.TEXT, "e.g. 12-15, 16-17, 18-23"),
    ("jim_relation", VariableType.TEXT, "how the JIM knows the youth (aunt, neighbour, coach …)"),
)


class Project(models.Model):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    origin = models.CharField(max_length=200, blank=True, default="yim")
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="qualitative_projects"
    )
    #: The one member who sees and edits the pseudonym table (empty: the project's owners).
    data_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("data manager"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("interview project")
        verbose_name_plural = _("interview projects")

    def __str__(self) -> str:
        return self.name

    def add_standard_variables(self) -> None:
        for name, kind, description in STANDARD_VARIABLES:
            Variable.objects.get_or_create(
                project=self, name=name, defaults={"type": kind, "description": description}
            )

    def coder_for(self, user) -> Coder:
        """The REFI User that records this yim user's codings in this project."""
        coder, _created = Coder.objects.get_or_create(
            project=self, user=user, defaults={"name": str(user)[:200]}
        )
        return coder


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(
        _("role"), max_length=10, choices=MemberRole.choices, default=MemberRole.CODER
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="qual_membership_unique")
        ]


class Coder(models.Model):
    """A REFI ``User``. Coders imported from other tools have no yim account."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="coders")
    guid = models.CharField(max_length=38, default=new_guid)
    name = models.CharField(_("name"), max_length=200, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name", "guid"]
        constraints = [
            models.UniqueConstraint(fields=["project", "guid"], name="qual_coder_guid"),
            models.UniqueConstraint(
                fields=["project", "user"],
                condition=Q(user__isnull=False),
                name="qual_coder_user",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.guid


class Code(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="codes")
    guid = models.CharField(max_length=38, default=new_guid)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    color = models.CharField(_("colour"), max_length=7, blank=True)
    is_codable = models.BooleanField(_("codable"), default=True)
    #: Optimistic locking: every rename, move or merge must name the version it saw.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "guid"]
        constraints = [models.UniqueConstraint(fields=["project", "guid"], name="qual_code_guid")]

    def __str__(self) -> str:
        return self.name

    def bump(self, expected_version: int, **changes: object) -> bool:
        """Apply ``changes`` only if nobody changed the code since ``expected_version``."""
        updated = Code.objects.filter(pk=self.pk, version=expected_version).update(
            version=F("version") + 1, **changes
        )
        if updated:
            self.refresh_from_db()
        return bool(updated)

    def edit(self, expected_version: int, **changes: object) -> None:
        """Rename, recolour or re-describe; :class:`StaleVersionError` if someone was first."""
        if not self.bump(expected_version, **changes):
            raise StaleVersionError(self)

    def descendant_ids(self) -> set[int]:
        ids: set[int] = set()
        frontier = [self.pk]
        while frontier:
            frontier = list(
                Code.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            )
            ids.update(frontier)
        return ids

    def move(self, expected_version: int, new_parent: Code | None) -> None:
        """Put the code under ``new_parent`` (``None``: top level), never under itself."""
        if new_parent is not None:
            if new_parent.project_id != self.project_id:
                raise CodebookError(_("The new parent belongs to another project."))
            if new_parent.pk == self.pk or new_parent.pk in self.descendant_ids():
                raise CodebookError(
                    _("A code cannot be moved under itself or under one of its sub-codes.")
                )
        self.edit(expected_version, parent=new_parent)

    @transaction.atomic
    def merge_into(self, expected_version: int, target: Code, target_version: int) -> int:
        """Move every coding, sub-code, memo and set membership to ``target``, then delete
        this code. A segment that already has ``target`` (same coder) keeps one coding.
        Returns the number of codings moved."""
        if target.project_id != self.project_id:
            raise CodebookError(_("Codes can only be merged within one project."))
        if target.pk == self.pk or target.pk in self.descendant_ids():
            raise CodebookError(_("A code cannot be merged into itself or into a sub-code."))
        locked = {
            c.pk: c.version
            for c in Code.objects.select_for_update().filter(pk__in=[self.pk, target.pk])
        }
        if locked.get(self.pk) != expected_version:
            raise StaleVersionError(self)
        if locked.get(target.pk) != target_version:
            raise StaleVersionError(target)
        have: set[tuple[int, int | None, int | None]] = set(
            Coding.objects.filter(code=target).values_list("document_id", "segment_id", "coder_id")
        )
        moved = 0
        for coding in Coding.objects.filter(code=self).order_by("pk"):
            key = (coding.document_id, coding.segment_id, coding.coder_id)
            if key in have:
                twin = Coding.objects.filter(
                    code=target,
                    document_id=coding.document_id,
                    segment=coding.segment,
                    coder=coding.coder,
                ).first()
                MemoLink.objects.filter(coding=coding).update(coding=twin)
                coding.delete()
                continue
            have.add(key)
            coding.code = target
            coding.save(update_fields=["code"])
            moved += 1
        Code.objects.filter(parent=self).update(parent=target)
        MemoLink.objects.filter(code=self).update(code=target)
        for code_set in self.sets.all():
            code_set.member_codes.add(target)
        for participant in self.participants.all():
            participant.codes.add(target)
        self.delete()
        Code.objects.filter(pk=target.pk).update(version=F("version") + 1)
        target.refresh_from_db()
        return moved


class CodebookError(ValueError):
    """A codebook change that makes no sense (a cycle, another project)."""


class StaleVersionError(CodebookError):
    """Someone changed the code after this user loaded it: nothing was changed."""

    def __init__(self, code: Code) -> None:
        self.code = code
        super().__init__(
            _(
                "The code “%(name)s” was changed by someone else in the meantime. "
                "Nothing was changed: reload the codebook and try again."
            )
            % {"name": code.name}
        )


class Variable(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="variables")
    guid = models.CharField(max_length=38, default=new_guid)
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(
        _("type"),
        max_length=10,
        choices=[(t.value, t.value) for t in VariableType],
        default=VariableType.TEXT.value,
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name", "guid"]
        constraints = [
            models.UniqueConstraint(fields=["project", "guid"], name="qual_variable_guid"),
            models.UniqueConstraint(fields=["project", "name"], name="qual_variable_name"),
        ]

    def __str__(self) -> str:
        return self.name


class CodeSet(models.Model):
    """A REFI ``Set``; a triad (youth, JIM, parent) is a set of their transcripts."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sets")
    guid = models.CharField(max_length=38, default=new_guid)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    member_codes = models.ManyToManyField(Code, blank=True, related_name="sets")
    member_documents: models.ManyToManyField[Document, Any] = models.ManyToManyField(
        "Document", blank=True, related_name="sets"
    )
    member_memos: models.ManyToManyField[Memo, Any] = models.ManyToManyField(
        "Memo", blank=True, related_name="sets"
    )

    class Meta:
        ordering = ["name", "guid"]
        constraints = [models.UniqueConstraint(fields=["project", "guid"], name="qual_set_guid")]

    def __str__(self) -> str:
        return self.name


class Participant(models.Model):
    """A REFI ``Case``: one interviewed person, with typed attributes."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="participants")
    guid = models.CharField(max_length=38, default=new_guid)
    name = models.CharField(_("name"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    code_set = models.ForeignKey(
        CodeSet,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="participants",
        verbose_name=_("set"),
    )
    #: The registry's research pseudonym of the youth's trajectory (never a name or file id).
    trajectory_pseudonym = models.CharField(_("trajectory pseudonym"), max_length=64, blank=True)
    documents: models.ManyToManyField[Document, Any] = models.ManyToManyField(
        "Document", blank=True, related_name="participants"
    )
    codes = models.ManyToManyField(Code, blank=True, related_name="participants")
    segments: models.ManyToManyField[Segment, Any] = models.ManyToManyField(
        "Segment", blank=True, related_name="participants"
    )

    class Meta:
        ordering = ["name", "guid"]
        constraints = [
            models.UniqueConstraint(fields=["project", "guid"], name="qual_participant_guid")
        ]

    def __str__(self) -> str:
        return self.name or self.guid


class Document(models.Model):
    """A REFI ``TextSource``: a transcript's plain text (code-point offsets refer to it)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    guid = models.CharField(max_length=38, default=new_guid)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    text = models.TextField()
    source_format = models.CharField(max_length=10, blank=True)
    creator = models.ForeignKey(
        Coder, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(null=True, blank=True, default=timezone.now)

    class Meta:
        ordering = ["name", "guid"]
        constraints = [
            models.UniqueConstraint(fields=["project", "guid"], name="qual_document_guid")
        ]

    def __str__(self) -> str:
        return self.name

    def rebuild_turns(self) -> None:
        """(Re)detect the speaker turns: the units of the agreement statistics."""
        from .transcripts import find_turns

        self.turns.all().delete()
        Turn.objects.bulk_create(
            Turn(
                document=self,
                index=i,
                speaker=t.speaker[:100],
                role=t.role,
                start=t.start,
                end=t.end,
                text_start=t.text_start,
            )
            for i, t in enumerate(find_turns(self.text))
        )


class AttributeValue(models.Model):
    """A typed REFI ``VariableValue`` of a participant or a document, in XSD lexical form."""

    variable = models.ForeignKey(Variable, on_delete=models.CASCADE, related_name="values")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, null=True, blank=True, related_name="attributes"
    )
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, null=True, blank=True, related_name="attributes"
    )
    value = models.TextField(_("value"))

    class Meta:
        ordering = ["variable__name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(participant__isnull=False, document__isnull=True)
                | Q(participant__isnull=True, document__isnull=False),
                name="qual_attribute_one_owner",
            ),
            models.UniqueConstraint(
                fields=["variable", "participant"],
                condition=Q(participant__isnull=False),
                name="qual_attribute_participant_once",
            ),
            models.UniqueConstraint(
                fields=["variable", "document"],
                condition=Q(document__isnull=False),
                name="qual_attribute_document_once",
            ),
        ]

    def typed(self):
        from .refi.importer import _typed

        return _typed(self.variable.type, self.value, f"variable {self.variable.name!r}")


class Turn(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="turns")
    index = models.PositiveIntegerField()
    speaker = models.CharField(max_length=100)
    role = models.CharField(max_length=20)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text_start = models.PositiveIntegerField()

    class Meta:
        ordering = ["document", "index"]
        constraints = [
            models.UniqueConstraint(fields=["document", "index"], name="qual_turn_index")
        ]


class Segment(models.Model):
    """A REFI ``PlainTextSelection``: ``[start, end)`` in code points of the document."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="segments")
    guid = models.CharField(max_length=38, default=new_guid)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    coder = models.ForeignKey(
        Coder, on_delete=models.SET_NULL, null=True, blank=True, related_name="segments"
    )
    created_at = models.DateTimeField(null=True, blank=True, default=timezone.now)

    class Meta:
        ordering = ["document", "start", "end", "guid"]
        indexes = [models.Index(fields=["document", "start"])]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="qual_segment_order")
        ]

    def clean(self) -> None:
        if self.end > len(self.document.text):
            raise ValidationError(
                _("The segment ends after the end of the text (%(n)s characters).")
                % {"n": len(self.document.text)}
            )

    @property
    def text(self) -> str:
        return self.document.text[self.start : self.end]


class Coding(models.Model):
    """A REFI ``Coding``: one code applied by one coder, to a segment or a whole document."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="codings")
    segment = models.ForeignKey(
        Segment, on_delete=models.CASCADE, null=True, blank=True, related_name="codings"
    )
    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="codings")
    coder = models.ForeignKey(
        Coder, on_delete=models.SET_NULL, null=True, blank=True, related_name="codings"
    )
    guid = models.CharField(max_length=38, default=new_guid)
    created_at = models.DateTimeField(null=True, blank=True, default=timezone.now)

    class Meta:
        ordering = ["guid"]


class Memo(models.Model):
    """A REFI ``Note``; :class:`MemoLink` rows attach it to its targets."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memos")
    guid = models.CharField(max_length=38, default=new_guid)
    name = models.CharField(_("title"), max_length=200, blank=True)
    text = models.TextField(_("text"), max_length=100_000)
    description = models.TextField(blank=True)
    coder = models.ForeignKey(
        Coder, on_delete=models.SET_NULL, null=True, blank=True, related_name="memos"
    )
    created_at = models.DateTimeField(null=True, blank=True, default=timezone.now)

    class Meta:
        ordering = ["name", "guid"]
        constraints = [models.UniqueConstraint(fields=["project", "guid"], name="qual_memo_guid")]

    def __str__(self) -> str:
        return self.name or self.text[:40]


class MemoLink(models.Model):
    """A ``NoteRef``: with every target empty, the memo is about the whole project."""

    memo = models.ForeignKey(Memo, on_delete=models.CASCADE, related_name="links")
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, null=True, blank=True, related_name="memo_links"
    )
    code = models.ForeignKey(
        Code, on_delete=models.CASCADE, null=True, blank=True, related_name="memo_links"
    )
    segment = models.ForeignKey(
        Segment, on_delete=models.CASCADE, null=True, blank=True, related_name="memo_links"
    )
    coding = models.ForeignKey(
        Coding, on_delete=models.CASCADE, null=True, blank=True, related_name="memo_links"
    )

    class Meta:
        ordering = ["pk"]

    @property
    def target(self) -> object | None:
        return self.document or self.code or self.segment or self.coding


class PseudonymEntry(models.Model):
    """Real name → pseudonym, applied to every transcript imported into the project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="pseudonyms")
    real_name = models.CharField(_("name in the transcript"), max_length=200)
    pseudonym = models.CharField(_("pseudonym"), max_length=200)

    class Meta:
        ordering = ["real_name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "real_name"], name="qual_pseudonym_once")
        ]
