"""``python -m aiocloudocr.emulator``: the emulator's command line."""

from aiocloudocr.emulator._cli import main

raise SystemExit(main())
