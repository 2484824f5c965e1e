from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from verval.registry.bulk import MAX_UPLOAD_BYTES


class EditNumberForm(forms.Form):
    nomor = forms.CharField(label=_("Nomor ponsel"), max_length=100, required=False, strip=True)
    versi = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class PhoneCheckForm(forms.Form):
    nomor = forms.CharField(label=_("Nomor ponsel"), max_length=100, required=False)


class UploadForm(forms.Form):
    berkas = forms.FileField(label=_("Berkas Excel (.xlsx) hasil unduhan yang sudah diisi"))

    def clean_berkas(self):  # type: ignore[no-untyped-def]
        f = self.cleaned_data["berkas"]
        if f.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Berkas terlalu besar (paling besar 5 MB)."))
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Unggah berkas .xlsx yang diunduh dari halaman ini."))
        return f
