from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CutoffUploadForm(forms.Form):
    file = forms.FileField(label=_("Berkas cutoff Dapodik (CSV atau XLSX)"))

    def clean_file(self):  # type: ignore[no-untyped-def]
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError(_("Unggah berkas .csv atau .xlsx."))
        return f
