from __future__ import annotations

import json

from django.core.management import call_command

from tests.factories import RecipientFactory
from verval.exchange import actions
from verval.exchange.models import DumpBatch, DumpItem
from verval.exchange.simulator import active_shares, simulate_round, subscriber_state
from verval.registry.models import Recipient


def test_subscriber_states_are_deterministic_and_near_the_2020_shares():
    states = [subscriber_state(f"62812{n:08d}", "telkomsel", 7, 0.68) for n in range(20000)]
    assert states == [subscriber_state(f"62812{n:08d}", "telkomsel", 7, 0.68) for n in range(20000)]
    assert 0.66 < states.count("active") / len(states) < 0.70
    assert set(states) == {"active", "grace", "inactive", "unknown"}
    assert round(active_shares()["indosat"], 2) == 0.76
    national = active_shares("nasional")
    assert national["telkomsel"] < 0.68


def test_simulate_round_answers_every_waiting_batch_through_the_api(waiting):
    actions.publish_dumps(actor=None)
    summary = simulate_round(seed=3)
    assert (summary["batches"], summary["rows"], summary["applied"], summary["errors"]) == (2, 13, 13, 0)
    assert summary["aktif"] + summary["residu"] == 13
    assert not Recipient.objects.filter(status="MENUNGGU_PROVIDER").exists()
    assert set(DumpBatch.objects.values_list("state", flat=True)) == {"COMPLETE"}
    assert simulate_round(seed=3)["batches"] == 0


def test_simulate_providers_command_json(school, capsys):
    for _ in range(4):
        RecipientFactory(school=school, status="MENUNGGU_PROVIDER", operator="xl", phone_raw=f"0817{_:08d}")
    call_command("dump", "--json")
    call_command("simulate_providers", "--json", "--seed", "1")
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (out["batches"], out["applied"]) == (1, 4)
    assert list(out["providers"]) == ["xl"]


def test_simulate_providers_against_a_server_that_does_not_answer_fails_with_one_line(waiting):
    import pytest
    from django.core.management.base import CommandError

    actions.publish_dumps(actor=None, provider="telkomsel")
    with pytest.raises(CommandError) as err:
        call_command("simulate_providers", "--url", "http://127.0.0.1:9")
    assert str(err.value).startswith("SERVER_TIDAK_TERJANGKAU: cannot reach http://127.0.0.1:9")
    assert err.value.returncode == 2


def test_simulate_injection_refuses_an_unknown_period_and_a_share_outside_0_to_1(db):
    import pytest
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no period 'NOPE'"):
        call_command("simulate_injection", "--period", "NOPE")
    with pytest.raises(CommandError, match="--fail-share must be between 0 and 1"):
        call_command("simulate_injection", "--fail-share", "7")


def test_a_round_in_a_providers_own_number_format_answers_as_the_same_numbers_would_in_the_default(
    school, pusdatin, tmp_path
):
    # The simulated provider keys its subscribers by the number, whatever the dump's format:
    # the same recipients get the same answers whether Pusdatin set e164, national or none.
    answers = {}
    for number_format in ("msisdn", "e164", "national"):
        Recipient.objects.all().delete()
        DumpItem.objects.all().delete()
        DumpBatch.objects.all().delete()
        made = [
            RecipientFactory(
                school=school,
                status="MENUNGGU_PROVIDER",
                needs_validation=False,
                operator="indosat",
                phone_raw=f"0815{60000000 + i:08d}",
            )
            for i in range(30)
        ]
        actions.set_number_format(actor=pusdatin, provider="indosat", number_format=number_format)
        (batch,) = actions.publish_dumps(actor=None, provider="indosat")
        assert batch.number_format == number_format
        summary = simulate_round(seed=5, workdir=tmp_path / number_format)
        assert (summary["rows"], summary["applied"], summary["errors"]) == (30, 30, 0)
        answers[number_format] = sorted(
            Recipient.objects.filter(pk__in=[r.pk for r in made]).values_list("phone_raw", "status", "reason")
        )
    assert answers["e164"] == answers["msisdn"] == answers["national"]
    assert {status for _, status, _ in answers["msisdn"]} == {"AKTIF", "RESIDU"}
