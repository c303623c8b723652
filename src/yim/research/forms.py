from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: The ``<datalist>`` of the uploaded file's column names (``research/_meta_columns.html``).
COLUMN_LIST_ID = "meta-column-names"


class TableUploadForm(forms.Form):
    """A study table: CSV or XLSX, at most 20 MB."""

    data_file = forms.FileField(
        label=_("Data file (CSV or XLSX)"),
        help_text=_(
            "One row per effect size; the first row holds the column names. At most 20 MB."
        ),
    )

    def clean_data_file(self) -> Any:
        upload = self.cleaned_data["data_file"]
        name = upload.name.lower()
        if not name.endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


class MetaAnalysisForm(TableUploadForm):
    """Upload a study table and choose the model; column names refer to the file's header."""

    field_order = ["title", "data_file"]

    title = forms.CharField(label=_("Title"), max_length=200)
    input_kind = forms.ChoiceField(
        label=_("Effect sizes are given as"),
        choices=[
            ("r", _("correlations r with sample sizes n (analysed as Fisher's z)")),
            ("yi", _("effect sizes yi with sampling variances vi")),
        ],
        initial="r",
    )
    yi = forms.CharField(label=_("Column with yi"), required=False, max_length=100)
    vi = forms.CharField(label=_("Column with vi"), required=False, max_length=100)
    r = forms.CharField(label=_("Column with r"), required=False, max_length=100)
    n = forms.CharField(label=_("Column with n"), required=False, max_length=100)
    study = forms.CharField(label=_("Column with the study"), max_length=100)
    es_id = forms.CharField(
        label=_("Column with the effect-size id"),
        required=False,
        max_length=100,
        help_text=_("Fill in for a three-level model (effect sizes within studies)."),
    )
    mods = forms.CharField(
        label=_("Moderators"),
        required=False,
        max_length=300,
        help_text=_("A formula such as 'domain + year' or 'factor(risk)'. Empty: no moderators."),
    )
    method = forms.ChoiceField(
        label=_("Estimator of the heterogeneity"),
        choices=[
            ("REML", _("REML: restricted maximum likelihood (recommended)")),
            ("ML", _("ML: maximum likelihood (to compare models with other moderators)")),
            ("DL", _("DL: DerSimonian–Laird")),
            ("HE", _("HE: Hedges")),
            ("HS", _("HS: Hunter–Schmidt")),
            ("SJ", _("SJ: Sidik–Jonkman")),
            ("EB", _("EB: empirical Bayes")),
            ("PM", _("PM: Paule–Mandel")),
            ("EE", _("EE: equal effects, no heterogeneity between studies")),
        ],
        initial="REML",
    )
    test = forms.ChoiceField(
        label=_("Test"),
        choices=[
            ("t", _("t-tests (df = k − p)")),
            ("z", _("z-tests")),
            ("knha", _("Knapp–Hartung (two-level models)")),
            ("knha-truncated", _("Knapp–Hartung, scale truncated at 1 (two-level models)")),
        ],
        initial="t",
    )

    #: The fields that name a column of the file: the page suggests the file's header.
    COLUMN_FIELDS = ("yi", "vi", "r", "n", "study", "es_id")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["data_file"].widget.attrs.update(
            {
                "hx-post": reverse_lazy("research:meta_columns"),
                "hx-trigger": "change",
                "hx-target": "#meta-columns",
                "hx-encoding": "multipart/form-data",
                "accept": ".csv,.xlsx,.txt",
            }
        )
        for name in self.COLUMN_FIELDS:
            self.fields[name].widget.attrs.update({"list": COLUMN_LIST_ID, "autocomplete": "off"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("input_kind")
        needed = ("r", "n") if kind == "r" else ("yi", "vi")
        for field in needed:
            if not data.get(field):
                self.add_error(field, _("Name the column."))
        if data.get("es_id") and data.get("method") not in ("REML", "ML"):
            self.add_error("method", _("Three-level models are fitted with REML or ML."))
        if data.get("es_id") and str(data.get("test", "")).startswith("knha"):
            self.add_error("test", _("Knapp–Hartung is for two-level models; choose t or z."))
        return data
