"""The provider API's building blocks live in modules of their own (token auth, rate limits,
audit, errors, uploads, route helpers); every name `verval.exchange.apiauth` offered before
they were split out of it is still importable from there, as the very same object."""

from __future__ import annotations

from verval.exchange import apiaudit, apiauth, apierrors, apiratelimit, apiroutes, apiupload

BEFORE_THE_SPLIT = {
    "ERRORS",
    "GZIP_MAGIC",
    "LAST_USED_RESOLUTION",
    "RATE_WINDOW_SECONDS",
    "UNAUTHENTICATED_AUDITS_PER_MINUTE",
    "UNPACKED_BYTES_PER_ROW",
    "UNPACKED_SLACK_BYTES",
    "UPLOAD_BYTES_PER_ROW",
    "UPLOAD_CONTENT_TYPES",
    "UPLOAD_OPENAPI",
    "UPLOAD_RESPONSES",
    "UPLOAD_SLACK_BYTES",
    "ApiError",
    "ErrorOut",
    "IssueOut",
    "ProviderTokenAuth",
    "Upload",
    "audit_call",
    "audit_refusal",
    "audit_unauthenticated",
    "check_token_rate",
    "check_upload",
    "check_upload_size",
    "check_upload_type",
    "client_ip",
    "error_body",
    "error_for_status",
    "find_token",
    "get_with_head",
    "hash_token",
    "issue_out",
    "not_found",
    "open_upload",
    "provider_auth",
    "provider_of",
    "run_or_queue",
    "state_filter",
    "unauthenticated_error",
    "unpacked_limit",
    "upload_limit",
    "upload_openapi",
}


def test_every_name_apiauth_offered_is_still_importable_from_it():
    assert set(apiauth.__all__) == BEFORE_THE_SPLIT
    for name in BEFORE_THE_SPLIT:
        assert hasattr(apiauth, name), name


def test_each_building_block_is_the_object_of_the_module_it_lives_in():
    homes = {
        apierrors: ("ERRORS", "ApiError", "ErrorOut", "IssueOut", "error_body", "issue_out", "not_found"),
        apiratelimit: ("RATE_WINDOW_SECONDS", "check_token_rate", "client_ip"),
        apiaudit: ("audit_call", "audit_refusal", "audit_unauthenticated"),
        apiupload: ("Upload", "check_upload", "open_upload", "run_or_queue", "upload_openapi"),
        apiroutes: ("get_with_head", "state_filter"),
    }
    for module, names in homes.items():
        for name in names:
            assert getattr(apiauth, name) is getattr(module, name), (module.__name__, name)
