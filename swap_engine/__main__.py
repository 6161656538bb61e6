import sys

from swap_engine.cli import main

sys.exit(main())
