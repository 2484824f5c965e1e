"""The period form: the fields and checks of a period, for the create and edit pages and for
`verval period create` (one place for the rules; the schedule and overlap checks are the
action's, reference.actions.save_period)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from verval.reference.models import QuotaPolicy

# A date input takes and gives yyyy-mm-dd whatever the page's language; the Indonesian format
# (d-m-Y) left every date box of the edit form empty.
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("Kode periode"),
        regex=r"^[A-Za-z0-9_-]{2,32}$",
        help_text=gettext_lazy("Misalnya 2020-09-T1 (huruf, angka, tanda hubung)."),
    )
    name = forms.CharField(label=gettext_lazy("Nama"), max_length=120)
    policy = forms.ModelChoiceField(
        label=gettext_lazy("Kebijakan kuota"), queryset=QuotaPolicy.objects.all(), empty_label=None
    )
    starts_on = forms.DateField(label=gettext_lazy("Mulai"), widget=_DATE)
    ends_on = forms.DateField(label=gettext_lazy("Selesai"), widget=_DATE)
    sptjm_print_deadline = forms.DateField(
        label=gettext_lazy("Batas cetak SPTJM"),
        required=False,
        widget=_DATE,
    )
    sptjm_upload_deadline = forms.DateField(
        label=gettext_lazy("Batas unggah SPTJM"),
        required=False,
        widget=_DATE,
    )
    handover_on = forms.DateField(
        label=gettext_lazy("Tanggal serah ke provider"),
        required=False,
        widget=_DATE,
    )
