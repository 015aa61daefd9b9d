"""Command line: `python -m gapdata build|school|coverage|synth|partners|areas`."""
from gapdata.cli import main

raise SystemExit(main())
