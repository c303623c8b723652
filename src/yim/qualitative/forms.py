"""Forms of the qualitative pages. Querysets are always limited to one project."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from . import models as m
from .colours import NO_COLOUR_SUBMITTED, next_colour
from .labels import TYPE_LABELS, VariableChoiceField, variable_label
from .pseudonyms import PseudonymTable
from .refi.export import format_value
from .refi.model import COLOR_PATTERN, VariableType

MAX_TRANSCRIPT_BYTES = 20 * 1024 * 1024
MAX_PROJECT_BYTES = 200 * 1024 * 1024
MAX_CODEBOOK_BYTES = 10 * 1024 * 1024


class ProjectForm(forms.ModelForm):
    class Meta:
        model = m.Project
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class MemberForm(forms.Form):
    username = forms.CharField(label=_("Username of the researcher"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=m.MemberRole.choices)


class DataManagerForm(forms.Form):
    """Who sees and edits the pseudonym table: one member, or (empty) the owners."""

    data_manager = forms.ModelChoiceField(
        label=_("Data manager"),
        queryset=m.Project.objects.none(),
        required=False,
        empty_label=_("(the project's owners)"),
        help_text=_(
            "Only the data manager sees and edits the pseudonym table with the real names."
        ),
    )

    def __init__(self, *args, project: m.Project, **kwargs) -> None:
        from django.contrib.auth import get_user_model

        super().__init__(*args, **kwargs)
        members = (
            get_user_model()
            .objects.filter(pk__in=project.memberships.values("user_id"))
            .order_by("username")
        )
        cast(forms.ModelChoiceField, self.fields["data_manager"]).queryset = members


class SetForm(forms.ModelForm):
    class Meta:
        model = m.CodeSet
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class VariableForm(forms.ModelForm):
    class Meta:
        model = m.Variable
        fields = ["name", "type", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, project: m.Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        # the REFI-QDA types in words; the stored value stays the type's name
        cast(forms.ChoiceField, self.fields["type"]).choices = list(TYPE_LABELS.items())

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if self.project.variables.filter(name=name).exists():
            raise forms.ValidationError(_("This project already has an attribute with this name."))
        return name


def attribute_field(variable: m.Variable) -> forms.Field:
    """A form field of the variable's REFI type (the stored value is its XSD lexical form)."""
    label = variable_label(variable.name)
    kind = VariableType(variable.type)
    if variable.name == "role" and kind is VariableType.TEXT:
        return forms.ChoiceField(
            label=_("Role"),
            choices=[("", "—"), *m.ParticipantRole.choices],
            required=False,
        )
    if kind is VariableType.BOOLEAN:
        return forms.NullBooleanField(label=label, required=False)
    if kind is VariableType.INTEGER:
        return forms.IntegerField(label=label, required=False)
    if kind is VariableType.FLOAT:
        return forms.DecimalField(label=label, required=False)
    if kind is VariableType.DATE:
        return forms.DateField(
            label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
    if kind is VariableType.DATETIME:
        return forms.DateTimeField(label=label, required=False)
    return forms.CharField(label=label, required=False, max_length=500)


class ParticipantForm(forms.ModelForm):
    """A participant with one typed field per attribute of the project."""

    class Meta:
        model = m.Participant
        fields = ["name", "description", "code_set", "trajectory_pseudonym"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        # A REFI set: a triad made here, or any set that came in with an imported project.
        labels = {"code_set": _("Set")}
        help_texts = {
            "trajectory_pseudonym": _(
                "Optional: the research pseudonym of the youth's trajectory in the registry. "
                "Never a name or a file number."
            )
        }

    def __init__(self, *args, project: m.Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        cast(forms.ModelChoiceField, self.fields["code_set"]).queryset = project.sets.all()
        self.variables = list(project.variables.all())
        current = {}
        if self.instance.pk:
            current = {a.variable_id: a for a in self.instance.attributes.all()}
        for variable in self.variables:
            name = f"attr_{variable.pk}"
            self.fields[name] = attribute_field(variable)
            if variable.pk in current:
                self.fields[name].initial = current[variable.pk].typed()

    def save_attributes(self, table: PseudonymTable | None = None) -> None:
        """Store the typed attribute values; ``table`` replaces real names in text values."""
        participant = self.instance
        for variable in self.variables:
            value = self.cleaned_data.get(f"attr_{variable.pk}")
            if value in (None, ""):
                m.AttributeValue.objects.filter(variable=variable, participant=participant).delete()
                continue
            if isinstance(value, float):
                value = Decimal(repr(value))
            if table is not None and isinstance(value, str):
                value = table.apply_title(value)
            m.AttributeValue.objects.update_or_create(
                variable=variable, participant=participant, defaults={"value": format_value(value)}
            )


class TranscriptForm(forms.Form):
    file = forms.FileField(
        label=_("Transcript"),
        help_text=_(".txt, .docx, .odt or .pdf, at most 20 MB"),
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.docx,.odt,.pdf"}),
    )
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    participant = forms.ModelChoiceField(
        label=_("Participant"), queryset=m.Participant.objects.none(), required=False
    )

    def __init__(self, *args, project: m.Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelChoiceField, self.fields["participant"]
        ).queryset = project.participants.all()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_TRANSCRIPT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": MAX_TRANSCRIPT_BYTES // 2**20}
            )
        return upload


class UploadForm(forms.Form):
    """A .qdpx or .qdc file; the size is checked before the file is read."""

    file = forms.FileField(label=_("File"))
    max_bytes = MAX_PROJECT_BYTES
    extension = ".qdpx"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(self.extension):
            raise forms.ValidationError(_("Choose a %(ext)s file.") % {"ext": self.extension})
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": self.max_bytes // 2**20}
            )
        return upload


class ProjectImportForm(UploadForm):
    name = forms.CharField(label=_("Name of the new project"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # It stands beside the form for a new project, which has a field ``name`` too.
        kwargs.setdefault("auto_id", "id_import_%s")
        super().__init__(*args, **kwargs)


class CodebookImportForm(UploadForm):
    max_bytes = MAX_CODEBOOK_BYTES
    extension = ".qdc"


def _check_colour(value: str) -> str:
    if value and not COLOR_PATTERN.match(value):
        raise forms.ValidationError(_("Give a colour as #RRGGBB."))
    return value


#: The message for a code id that is not (or no longer) in the project: the same words for a
#: code of another project as for a deleted one, so nothing is learned about other projects.
NOT_IN_PROJECT = _("This code is not in this project (it may have been deleted in the meantime).")


class CodeForm(forms.ModelForm):
    """A new code. The parent comes as a code id (hidden field, validated in the project);
    without a colour, the code gets the palette colour used least in the project."""

    class Meta:
        model = m.Code
        fields = ["name", "parent", "color", "description", "is_codable"]
        widgets = {
            "parent": forms.HiddenInput,
            "color": forms.TextInput(attrs={"type": "color"}),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, project: m.Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        parent = cast(forms.ModelChoiceField, self.fields["parent"])
        parent.queryset = project.codes.all()
        parent.required = False
        parent.error_messages["invalid_choice"] = NOT_IN_PROJECT
        self.fields["color"].required = False

    def clean_color(self) -> str:
        colour = _check_colour(self.cleaned_data.get("color") or "")
        if not colour:
            colour = next_colour(self.project.codes.values_list("color", flat=True))
        return colour

    def clean(self):
        data = super().clean()
        name = (data.get("name") or "").strip()
        if name and self.project.codes.filter(parent=data.get("parent"), name=name).exists():
            self.add_error("name", _("A code with this name already exists at this place."))
        return data


class CodeEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), max_length=200)
    color = forms.CharField(
        label=_("Colour"), required=False, widget=forms.TextInput(attrs={"type": "color"})
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_color(self) -> str:
        return _check_colour(self.cleaned_data.get("color") or "")

    def colour_for(self, code: m.Code) -> str:
        """The colour to store: a code without a colour keeps none when the colour input
        sent only what a browser sends for an empty colour input (black)."""
        colour = self.cleaned_data["color"]
        if not code.color and colour.lower() in ("", NO_COLOUR_SUBMITTED):
            return ""
        return colour


class CodeTargetForm(forms.Form):
    """Move or merge: the target is one code id of the project, or ``top`` (move only).

    The page offers the targets in one list; the id is checked here against the project, so
    a code of another project (or a deleted one) gets a clear message and changes nothing.
    """

    TOP = "top"
    version = forms.IntegerField(widget=forms.HiddenInput)
    target = forms.CharField(
        label=_("Target"), max_length=20, error_messages={"required": _("Choose a code.")}
    )
    target_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    allow_top = True

    def __init__(self, *args, project: m.Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project

    def clean_target(self) -> m.Code | None:
        value = self.cleaned_data["target"].strip()
        if value == self.TOP:
            if not self.allow_top:
                raise forms.ValidationError(_("Choose the code to merge into."))
            return None
        if not (value.isascii() and value.isdigit()):
            raise forms.ValidationError(_("Choose a code from the list."))
        pk = int(value)
        target = self.project.codes.filter(pk=pk).first() if pk < 2**63 else None
        if target is None:
            raise forms.ValidationError(NOT_IN_PROJECT)
        return target


class CodeMoveForm(CodeTargetForm):
    """The new parent: a code, or ``top`` for the top level."""


class CodeMergeForm(CodeTargetForm):
    allow_top = False


class CodeDeleteForm(forms.Form):
    """Confirmation of a code deletion: the version and the numbers the user saw."""

    CHILDREN = [
        ("delete", _("Delete the code with its sub-codes and all their codings")),
        ("lift", _("Move the sub-codes up to the parent first, then delete only this code")),
    ]
    version = forms.IntegerField(widget=forms.HiddenInput)
    children = forms.ChoiceField(
        label=_("Sub-codes"), choices=CHILDREN, initial="delete", widget=forms.RadioSelect
    )
    expected_descendants = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    expected_codings = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    expected_own_codings = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def expected_for(self, mode: str) -> int | None:
        """The number of codings the user was told ``mode`` deletes."""
        key = "expected_codings" if mode == "delete" else "expected_own_codings"
        return self.cleaned_data.get(key)


class MemoForm(forms.Form):
    TARGETS = [
        ("project", _("the project")),
        ("document", _("a document")),
        ("code", _("a code")),
        ("segment", _("a segment")),
    ]
    name = forms.CharField(label=_("Title"), max_length=200, required=False)
    text = forms.CharField(label=_("Memo"), max_length=100_000, widget=forms.Textarea)
    target_kind = forms.ChoiceField(
        label="", choices=TARGETS, widget=forms.HiddenInput, initial="project", required=False
    )
    target_id = forms.IntegerField(label="", required=False, widget=forms.HiddenInput)

    def clean_target_kind(self) -> str:
        return self.cleaned_data.get("target_kind") or "project"


class PseudonymForm(forms.Form):
    table = forms.CharField(
        label=_("Pseudonym table"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("One pair per line: Real name = Pseudonym"),
    )

    def clean_table(self) -> dict[str, str]:
        pairs: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["table"].splitlines(), start=1):
            if not line.strip():
                continue
            real, sep, pseudonym = line.partition("=")
            if not sep or not real.strip() or not pseudonym.strip():
                raise forms.ValidationError(
                    _("Line %(n)s is not of the form “Real name = Pseudonym”.") % {"n": number}
                )
            if len(real.strip()) > 200 or len(pseudonym.strip()) > 200:
                raise forms.ValidationError(_("Line %(n)s is too long.") % {"n": number})
            pairs[real.strip()] = pseudonym.strip()
        return pairs


class RetrievalForm(forms.Form):
    code = forms.ModelChoiceField(
        label=_("Code"), queryset=m.Code.objects.none(), required=False, empty_label=_("all codes")
    )
    variable = VariableChoiceField(
        label=_("Attribute"),
        queryset=m.Variable.objects.none(),
        required=False,
        empty_label=_("any attribute"),
    )
    value = forms.CharField(label=_("Value"), max_length=200, required=False)
    coder = forms.ModelChoiceField(
        label=_("Coder"), queryset=m.Coder.objects.none(), required=False, empty_label=_("all")
    )

    def __init__(self, *args, project: m.Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["code"]).queryset = project.codes.all()
        cast(forms.ModelChoiceField, self.fields["variable"]).queryset = project.variables.all()
        cast(forms.ModelChoiceField, self.fields["coder"]).queryset = project.coders.all()
