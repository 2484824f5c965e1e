"""Every read of batches and jobs by the provider API goes through `apiauth.own_rows`: the calling
token's provider's rows, nothing else, and nothing at all for a request without one."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from verval.core.models import Job
from verval.exchange import actions
from verval.exchange.apiauth import own_rows
from verval.exchange.models import DumpBatch, ProviderToken


@pytest.fixture
def two_batches(waiting):  # type: ignore[no-untyped-def]
    (tsel,) = actions.publish_dumps(actor=None, provider="telkomsel")
    (isat,) = actions.publish_dumps(actor=None, provider="indosat")
    return tsel, isat


def _request(token: ProviderToken | None):  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/api/v1/batches")
    request.auth = token  # type: ignore[attr-defined]
    return request


def test_a_token_reads_its_own_providers_batches_and_jobs_only(two_batches):
    tsel, isat = two_batches
    token, _secret = actions.issue_token(actor=None, provider="telkomsel")
    Job.objects.create(kind="ingest_results", provider="indosat")
    mine = Job.objects.create(kind="ingest_results", provider="telkomsel")

    request = _request(token)
    assert list(own_rows(request, DumpBatch.objects.all()).values_list("id", flat=True)) == [tsel.id]
    assert own_rows(request, DumpBatch.objects.all()).filter(pk=isat.id).first() is None
    assert list(own_rows(request, Job.objects.all()).values_list("pk", flat=True)) == [mine.pk]


def test_a_request_without_a_tokens_provider_reads_nothing(two_batches):
    assert own_rows(_request(None), DumpBatch.objects.all()).count() == 0
    assert DumpBatch.objects.count() == 2
