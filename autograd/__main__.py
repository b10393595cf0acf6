"""python -m autograd graph ...: the graph command (autograd.cli)."""

import sys

from .cli import main

sys.exit(main())
