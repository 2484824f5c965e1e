"""Provider API v1 (django-ninja). OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Verval Ponsel Provider API",
    version="1.0.0",
    description="Dump batches out, match and injection results back. One token per provider.",
    urls_namespace="api-v1",
)
