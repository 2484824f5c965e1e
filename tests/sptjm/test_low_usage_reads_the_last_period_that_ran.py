"""The 2021 low-usage rule (SPEC §6: numbers that used under 1 GB in the previous period are
excluded) reads the last earlier period that was ever opened, not a period created and never
opened between them: that one paid nothing and holds no usage report, so every number passed
(decision 0116)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.sptjm.conftest import aktif, approve_all, make_period
from verval.core import jobs
from verval.reference.models import Period
from verval.sptjm import actions, selectors
from verval.sptjm.models import Disbursement, UsageReport


def _run(pusdatin, period):  # type: ignore[no-untyped-def]
    job = actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False)
    return jobs.run(job.pk)


def _ran_with_usage(operator, pusdatin, school):  # type: ignore[no-untyped-def]
    """A 2020 tahap disbursed and delivered: one number used 0.4 GB, the other 12 GB."""
    first = make_period("2020-09A", "2020", date(2020, 9, 1))
    low, high = aktif(school, 2)
    approve_all(operator, pusdatin, school, first)
    _run(pusdatin, first)
    Disbursement.objects.filter(period=first).update(status="BERHASIL")
    for recipient, gb in ((low, "0.4"), (high, "12")):
        UsageReport.objects.create(
            period=first,
            provider="telkomsel",
            recipient_id=recipient.pk,
            phone_e164=recipient.phone_e164,
            usage_gb=Decimal(gb),
        )
    Period.objects.filter(pk=first.pk).update(is_open=False)
    return first, low


def test_a_period_never_opened_between_is_not_the_previous_one(operator, pusdatin, school):
    first, low = _ran_with_usage(operator, pusdatin, school)
    skipped = make_period("2020-10A", "2020", date(2020, 10, 1), is_open=False)
    second = make_period("2021-03", "2021", date(2021, 3, 1))

    job = _run(pusdatin, second)

    assert selectors.previous_period(second) == first
    assert selectors.previous_period(skipped) == first
    assert job.counts["by_rule"] == {"PEMAKAIAN_RENDAH": 1}
    assert job.counts["scheduled"] == 1
    assert Disbursement.objects.get(period=second, recipient=low).rule == "PEMAKAIAN_RENDAH"
    assert selectors.exclusion_help(second)["PEMAKAIAN_RENDAH"].message.count(first.name) == 1


def test_a_period_that_was_opened_and_closed_stays_the_previous_one(operator, pusdatin, school):
    first, _low = _ran_with_usage(operator, pusdatin, school)
    closed = make_period("2020-10A", "2020", date(2020, 10, 1), is_open=False)
    Period.objects.filter(pk=closed.pk).update(is_open=True)
    from verval.reference import actions as reference_actions

    reference_actions.close_period(actor=pusdatin, code=closed.code)
    second = make_period("2021-03", "2021", date(2021, 3, 1))

    job = _run(pusdatin, second)

    assert selectors.previous_period(second) == Period.objects.get(pk=closed.pk)
    assert job.counts["by_rule"] == {}
    assert job.counts["scheduled"] == 2
