"""Every operation of the provider API's OpenAPI document says what it answers, and every error
answer names its codes: a provider's engineer writes a script from the document alone
(decision 0066)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

CODE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")  # a SPEC-style code: TIDAK_DITEMUKAN


def _operations(client):  # type: ignore[no-untyped-def]
    """Each operation, its answers taken from `components.responses` where it refers to one (the
    500 every operation shares, decision 0103), as a reader of the document follows the $ref."""
    doc = client.get("/api/v1/openapi.json").json()
    shared = doc.get("components", {}).get("responses", {})

    def resolved(op):  # type: ignore[no-untyped-def]
        answers = {
            status: shared[answer["$ref"].rsplit("/", 1)[1]] if "$ref" in answer else answer
            for status, answer in op.get("responses", {}).items()
        }
        return {**op, "responses": answers}

    return [
        (method.upper(), path, resolved(op))
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
    ]


def test_every_operation_has_a_description(client):  # type: ignore[no-untyped-def]
    lacking = [
        f"{method} {path}"
        for method, path, op in _operations(client)
        if not op.get("description", "").strip()
    ]

    assert lacking == []


def test_every_error_answer_of_every_operation_names_its_codes(client):  # type: ignore[no-untyped-def]
    lacking = [
        f"{method} {path} {status}"
        for method, path, op in _operations(client)
        for status, answer in op.get("responses", {}).items()
        if status[0] in "45" and not CODE.search(answer.get("description", ""))
    ]

    assert lacking == []


def test_an_operations_description_names_the_codes_of_its_errors(client):  # type: ignore[no-untyped-def]
    ops = {(method, path): op for method, path, op in _operations(client)}

    assert "TIDAK_DITEMUKAN" in ops[("GET", "/api/v1/batches/{batch_id}")]["description"]
    assert "DMP-20200915-telkomsel-0001" in ops[("GET", "/api/v1/batches/{batch_id}")]["description"]
    assert "REKAP_BELUM_ADA" in ops[("GET", "/api/v1/reports/{period_code}/reconciliation")]["description"]


def test_the_number_format_descriptions_name_each_form_by_its_shape_and_no_example_number(client):  # type: ignore[no-untyped-def]
    # Found by the privacy canary (decision 0110): the document a provider's engineer reads gave
    # SPEC §5's placeholder number in full, which nobody can tell from a child's.
    from tests.privacy_canary import find_numbers

    text = client.get("/api/v1/openapi.json").content.decode()
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]

    assert find_numbers(text) == []
    assert schemas["BatchOut"]["properties"]["number_format"]["description"] == (
        "How the file writes no_ponsel: msisdn (628…), e164 (+628…) or national (08…). "
        "Results may give the number in any of these forms."
    )
    assert schemas["DisbursementBatchOut"]["properties"]["number_format"]["description"] == (
        "How the file writes no_ponsel: msisdn (628…), e164 (+628…) or national (08…), the "
        "provider's number format when the batch was written. Injection results and usage may give "
        "the number in any of these forms."
    )
