"""Run a simulator: python -m doudi_sim records | bank."""

import sys

from doudi_sim.main import main

sys.exit(main())
