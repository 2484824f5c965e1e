"""`verval provider-token --provider CODE`: issue (rotate) a provider's API token; shown once.
`--revoke` revokes every token of the provider and issues none (cuts the provider off)."""

from __future__ import annotations

from typing import Any

from verval.accounts.models import PROVIDER_CODES
from verval.core.commands import DataCommand
from verval.exchange import actions


class Command(DataCommand):
    help = "Issue a new API token for a provider; every earlier token of that provider stops working."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--provider", required=True, choices=PROVIDER_CODES)
        parser.add_argument("--label", default="default", help="a name for the token (shown in the audit)")
        parser.add_argument(
            "--revoke", action="store_true", help="revoke every token of the provider and issue none"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["revoke"]:
            revoked = actions.revoke_tokens(actor=None, provider=opts["provider"])
            if opts["json"]:
                self.emit({"provider": opts["provider"], "revoked": revoked})
            else:
                self.stdout.write(f"{revoked:,} token(s) of {opts['provider']} revoked; none issued.")
            return
        row, token = actions.issue_token(actor=None, provider=opts["provider"], label=opts["label"])
        if opts["json"]:
            self.emit({"provider": row.provider, "label": row.label, "prefix": row.prefix, "token": token})
        else:
            self.stdout.write(token)
            self.stderr.write(f"Token for {row.provider} (prefix {row.prefix}); shown once, store it safely.")
