"""``python -m leadboard.sim``: the same as the ``leadboard-simulate`` script."""

import sys

from .cli import main

sys.exit(main())
