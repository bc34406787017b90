"""The ``aiocloudocr`` command: a thin dispatcher over its subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from aiocloudocr._run_command import add_parsers


def _emulator(args: argparse.Namespace) -> int:
    from aiocloudocr.emulator._cli import main as emulator_main

    return emulator_main(args.forwarded)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser; each subcommand sets ``handler`` (and may take ``forwarded``)."""
    parser = argparse.ArgumentParser(
        prog="aiocloudocr", description="Asyncio client for the cloud OCR and Image APIs."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    emulator = commands.add_parser(
        "emulator",
        help="serve a local emulator of the service (see: aiocloudocr emulator --help)",
        # Its options belong to the emulator's own parser, which gets them verbatim.
        add_help=False,
    )
    emulator.set_defaults(handler=_emulator, forwards=True)
    add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``aiocloudocr`` command line; return the exit status."""
    parser = build_parser()
    args, extra = parser.parse_known_args(sys.argv[1:] if argv is None else list(argv))
    if getattr(args, "forwards", False):
        args.forwarded = extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    status: int = args.handler(args)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
