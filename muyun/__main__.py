"""Entry point for `python -m muyun`."""

import sys

from muyun.cli import main

sys.exit(main())
