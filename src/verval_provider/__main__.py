"""`python -m verval_provider ...` (same as the `verval-provider` console script)."""

import sys

from verval_provider.cli import main

sys.exit(main())
