"""`verval provider-token --provider CODE`: issue (rotate) a provider's API token; shown once."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from verval.accounts.models import PROVIDER_CODES
from verval.exchange import actions


class Command(BaseCommand):
    help = "Issue a new API token for a provider; every earlier token of that provider stops working."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--provider", required=True, choices=PROVIDER_CODES)
        parser.add_argument("--label", default="default", help="a name for the token (shown in the audit)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        row, token = actions.issue_token(actor=None, provider=opts["provider"], label=opts["label"])
        if opts["json"]:
            self.stdout.write(
                json.dumps(
                    {"provider": row.provider, "label": row.label, "prefix": row.prefix, "token": token}
                )
            )
        else:
            self.stdout.write(token)
            self.stderr.write(f"Token for {row.provider} (prefix {row.prefix}); shown once, store it safely.")
