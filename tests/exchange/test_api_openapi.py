"""The served OpenAPI document describes what the API actually answers: 401/429 on every
operation that takes the token, the error schema's optional fields, the download's request and
answer headers and its 206, an upload's 202 Location, 413 and 415, the report as text/csv."""

from __future__ import annotations

import pytest

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


@pytest.fixture
def document(client):  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    return r.json()


def test_every_operation_that_takes_the_token_documents_401_and_429(document):
    operations = [op for ops in document["paths"].values() for op in ops.values() if op.get("security")]

    assert len(operations) == 21  # every operation of the document: GETs, POSTs and the PUT
    for op in operations:
        assert op["responses"]["401"]["content"]["application/json"]["schema"] == ERROR_REF, op["operationId"]
        assert "WWW-Authenticate" in op["responses"]["401"]["headers"]
        assert "Retry-After" in op["responses"]["429"]["headers"]


def test_the_error_schema_lists_the_extra_fields_errors_send_as_optional(document):
    schema = document["components"]["schemas"]["ErrorOut"]

    assert set(schema["required"]) == {"code", "message", "message_en"}
    assert {"size_bytes", "limit_bytes", "job_id", "counts", "issues_total", "issues_url"} <= set(
        schema["properties"]
    )


@pytest.mark.parametrize(
    "path", ["/api/v1/batches/{batch_id}/file", "/api/v1/disbursements/batches/{batch_id}/file"]
)
def test_the_download_documents_its_range_and_conditional_headers_and_206(document, path):
    get = document["paths"][path]["get"]
    head = document["paths"][path]["head"]

    for op in (get, head):
        headers = {p["name"] for p in op["parameters"] if p["in"] == "header"}
        assert headers == {"Range", "If-Range", "If-None-Match"}
        assert {"200", "206", "304", "401", "404", "416"} <= set(op["responses"])
    assert {"ETag", "X-Content-SHA256", "Accept-Ranges"} <= set(get["responses"]["200"]["headers"])
    assert {"ETag", "X-Content-SHA256", "Content-Range"} <= set(get["responses"]["206"]["headers"])
    assert list(get["responses"]["206"]["content"]) == ["application/gzip"]
    assert "ETag" in get["responses"]["304"]["headers"]
    assert "Content-Range" in get["responses"]["416"]["headers"]


@pytest.mark.parametrize(
    "path", ["/api/v1/batches/{batch_id}/results", "/api/v1/disbursements/batches/{batch_id}/results"]
)
def test_an_upload_documents_its_types_location_and_refusals(document, path):
    post = document["paths"][path]["post"]

    assert set(post["requestBody"]["content"]) == {"text/csv", "application/gzip", "multipart/form-data"}
    assert "Location" in post["responses"]["202"]["headers"]
    for status in ("400", "401", "404", "411", "413", "415", "422", "429"):
        assert post["responses"][status]["content"]["application/json"]["schema"] == ERROR_REF, status
    assert "ISI_GZIP_TERLALU_BESAR" in post["responses"]["413"]["description"]


def test_the_report_of_refused_rows_is_documented_as_csv(document):
    for path in ("/api/v1/jobs/{job_id}/issues", "/api/v1/disbursements/jobs/{job_id}/issues"):
        assert list(document["paths"][path]["get"]["responses"]["200"]["content"]) == ["text/csv"]


def test_reads_that_answer_head_say_so_on_their_get_and_list_no_head_twin(document):
    for path in ("/api/v1/batches", "/api/v1/batches/{batch_id}", "/api/v1/batches/{batch_id}/manifest"):
        ops = document["paths"][path]
        assert "head" not in ops
        assert ops["get"]["summary"].endswith(" (also HEAD: headers only)")


def test_the_reports_of_refused_rows_say_they_answer_head_and_list_no_head_twin(document):
    for path in ("/api/v1/jobs/{job_id}/issues", "/api/v1/disbursements/jobs/{job_id}/issues"):
        ops = document["paths"][path]
        assert list(ops) == ["get"]
        assert ops["get"]["summary"] == "All refused rows of a job (CSV) (also HEAD: headers only)"


# ------------------------------------------------- what schemathesis found the document left open


@pytest.mark.parametrize(
    ("path", "states"),
    [
        ("/api/v1/batches", ["OPEN", "INCOMPLETE", "COMPLETE"]),
        ("/api/v1/disbursements/batches", ["TERBIT", "DIAMBIL", "SELESAI"]),
    ],
)
def test_both_batch_lists_document_state_as_one_of_their_states_with_an_empty_value_allowed(
    document, path, states
):
    (state,) = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == "state"]

    assert state["in"] == "query"
    assert state["required"] is False
    assert state["allowEmptyValue"] is True
    assert state["schema"] == {"type": "string", "enum": states}
    assert state["description"].endswith("; in any case, empty: no filter; another value answers 400")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/batches/{batch_id}/results",
        "/api/v1/disbursements/batches/{batch_id}/results",
        "/api/v1/reports/{period_code}/usage",
    ],
)
def test_a_multipart_upload_documents_its_file_part_as_required(document, path):
    multipart = document["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]

    assert multipart["schema"] == {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary"}},
        "required": ["file"],
    }


def test_the_recap_documents_the_bounds_the_server_takes_for_each_figure(document):
    properties = document["components"]["schemas"]["RecapIn"]["properties"]

    for name in ("sent", "injected", "failed"):
        assert (properties[name]["type"], properties[name]["minimum"], properties[name]["maximum"]) == (
            "integer",
            0,
            2_147_483_647,
        )
    assert properties["gb"]["anyOf"] == [
        {"type": "number", "minimum": 0, "exclusiveMaximum": 1_000_000_000_000},
        {"type": "string", "pattern": r"^[0-9]{1,12}(\.[0-9]+)?$"},
    ]


BARE_REASONS = {"Bad Request", "Not Found", "Gone", "Length Required", "Unprocessable Entity"}


def test_every_error_answer_names_its_codes_and_gives_an_example(document):
    # Decision 0063: the docs page said "Not Found" or "Unprocessable Entity" and nothing else,
    # so an engineer could not tell which codes a script must handle.
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            for status, answer in op["responses"].items():
                if status.startswith("2") or status in ("304", "401", "429") or "$ref" in answer:
                    continue
                assert answer["description"] not in BARE_REASONS, (method, path, status)
                json_answer = answer.get("content", {}).get("application/json")
                if status in ("400", "404", "410", "411", "422"):
                    assert set(json_answer["example"]) >= {"code", "message", "message_en"}, (path, status)


def test_every_json_error_answer_shows_an_example_body_with_its_code(document):
    # Decision 0100: 401, 413, 415, 416 and 429 were an empty ErrorOut schema on the docs page.
    examples = {
        (status, answer["content"]["application/json"].get("example", {}).get("code"))
        for operations in document["paths"].values()
        for op in operations.values()
        for status, answer in op["responses"].items()
        if status >= "400" and "application/json" in answer.get("content", {})
    }

    assert examples == {
        ("400", "PERMINTAAN_TIDAK_VALID"),
        ("400", "REKAP_TIDAK_KONSISTEN"),
        ("401", "TIDAK_TERAUTENTIKASI"),
        ("404", "TIDAK_DITEMUKAN"),
        ("410", "BERKAS_SUDAH_DIHAPUS"),
        ("411", "CONTENT_LENGTH_DIPERLUKAN"),
        ("413", "BERKAS_TERLALU_BESAR"),
        ("415", "JENIS_ISI_TIDAK_DIDUKUNG"),
        ("416", "RENTANG_TIDAK_VALID"),
        ("422", "TERLALU_BANYAK_DITOLAK"),
        ("429", "TERLALU_BANYAK_PERMINTAAN"),
    }


@pytest.mark.django_db
def test_the_example_of_a_refusal_is_what_the_server_answers(client):  # type: ignore[no-untyped-def]
    document = client.get("/api/v1/openapi.json").json()
    responses = document["paths"]["/api/v1/batches"]["get"]["responses"]

    answer = client.get("/api/v1/batches", HTTP_AUTHORIZATION="Bearer vp_00000000_unknown")

    assert answer.status_code == 401
    assert answer.json() == responses["401"]["content"]["application/json"]["example"]


def test_the_refused_whole_answer_is_documented_with_its_codes_and_a_real_message(document):
    answer = document["paths"]["/api/v1/batches/{batch_id}/results"]["post"]["responses"]["422"]

    for code in ("KOLOM_SALAH", "BERKAS_TERPOTONG", "TERLALU_BANYAK_DITOLAK", "curl -d"):
        assert code in answer["description"]
    example = answer["content"]["application/json"]["example"]
    assert (example["code"], example["message_en"]) == (
        "TERLALU_BANYAK_DITOLAK",
        "Too many rows refused; the whole file is refused. Check that the file and the batch are the right ones.",
    )
    assert [(r["line"], r["column"], r["code"], r["value"]) for r in example["rows"]] == [
        (2, "no_ponsel", "NOMOR_TIDAK_SESUAI", "0812****0350")
    ]


def test_the_recaps_400_names_the_figure_codes_not_a_malformed_request(document):
    answer = document["paths"]["/api/v1/reports/{period_code}/recap"]["put"]["responses"]["400"]

    assert answer["description"].startswith("A figure of the recap refused: REKAP_TIDAK_VALID")
    assert answer["content"]["application/json"]["example"]["code"] == "REKAP_TIDAK_KONSISTEN"
    assert answer["content"]["application/json"]["example"]["rows"][0]["column"] == "sent"


def test_every_operation_refers_to_the_shared_500_and_its_example_is_the_servers_answer(
    client, document, tsel_batch, tsel_token, monkeypatch
):  # type: ignore[no-untyped-def]
    # Decision 0103: any operation can answer 500; one definition, referred to by all twenty.
    from verval.exchange import api

    refs = {
        op["responses"]["500"]["$ref"]
        for ops in document["paths"].values()
        for op in ops.values()
        if op.get("security")
    }
    example = document["components"]["responses"]["KesalahanSistem"]["content"]["application/json"]["example"]

    def broken(batch):  # type: ignore[no-untyped-def]
        raise RuntimeError("rusak")

    monkeypatch.setattr(api, "_batch_out", broken)
    answer = client.get("/api/v1/batches", HTTP_AUTHORIZATION=f"Bearer {tsel_token}")

    assert refs == {"#/components/responses/KesalahanSistem"}
    assert answer.status_code == 500
    assert answer.json() == example


def test_the_405_is_defined_once_and_named_in_the_description_not_on_each_operation(
    client, document, tsel_token
):
    # No operation answers 405 (each is a method its path takes): a row on all twenty would
    # document an answer none of them gives.
    answer = document["components"]["responses"]["MetodeTidakDiizinkan"]
    statuses = {
        status for ops in document["paths"].values() for op in ops.values() for status in op["responses"]
    }

    refused = client.delete("/api/v1/batches", HTTP_AUTHORIZATION=f"Bearer {tsel_token}")

    assert "405" not in statuses
    assert "Allow" in answer["headers"]
    assert refused.status_code == 405
    assert refused.json() == answer["content"]["application/json"]["example"]
    assert "405 (METODE_TIDAK_DIIZINKAN" in document["info"]["description"]
    assert "components.responses.MetodeTidakDiizinkan" in document["info"]["description"]
