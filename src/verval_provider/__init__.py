"""verval_provider: the kit a telecom provider runs on its side of Verval Ponsel.

No Django. Needs only the Python standard library and polars (isal, when present, makes gzip faster).

- `match(dump, subscribers, out)`: join a dump file against the subscriber export, write results.
- `ApiClient` / `sync(...)`: pull new dump batches from the provider API, check their SHA-256,
  match them and upload the results.
- `verval_provider.dumps`: for a provider matching with its own pipeline, download dumps with
  their manifests (`pull_dumps`) and send its own results file (`upload_match_results`).
- `verval_provider.disbursement`: pull disbursement batches, upload the provider's own injection
  results and usage, and send the recap of a whole period (`pull_batches`, `upload_injection`,
  `upload_usage`, `period_recap`, `send_recap`); `verval_provider.inject` simulates injection
  for demos.
Command line: `verval-provider match | sync | pull | upload-results | pull-disbursements |
upload-injection | upload-usage | send-recap | simulate-injection` (docs/provider-kit.md).
"""

from verval_provider.client import ApiClient, ApiFailure, UrllibTransport
from verval_provider.match import STATUS_MAP, match
from verval_provider.sync import sync

__all__ = ["STATUS_MAP", "ApiClient", "ApiFailure", "UrllibTransport", "match", "sync"]
__version__ = "1.0.0"
