"""Run the local platform: python -m doudi_platform run | status | stop."""

import sys

from doudi_platform.cli import main

sys.exit(main())
