from __future__ import annotations

from typing import Any


def provider_home_counts(user: Any) -> dict[str, Any]:
    return {"batches": 0, "unanswered": 0}
