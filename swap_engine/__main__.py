import sys

from swap_engine.cli import main

sys.exit(main(prog="python -m swap_engine"))
