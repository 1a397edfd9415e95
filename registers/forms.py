from django import forms


class MatchForm(forms.Form):
    step = forms.IntegerField(widget=forms.HiddenInput())
    override = forms.BooleanField(required=False, widget=forms.HiddenInput())
    reason = forms.CharField(
        label="Alasan menimpa hasil padanan", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
