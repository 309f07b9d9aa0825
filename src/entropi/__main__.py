"""``python -m entropi`` runs the CLI."""

import sys

from entropi.cli import main

sys.exit(main())
