"""`python -m pdevidence.metapsy SOURCE [--json]`: see cli.py."""

import sys

from pdevidence.metapsy.cli import main

sys.exit(main())
