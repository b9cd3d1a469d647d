"""The ``fastlogreg`` command line."""

from __future__ import annotations

import argparse

from .demo import run_demo

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastlogreg",
        description="Logistic regression for large data with fused Numba kernels.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="train the notebook's problem with the NumPy oracle and the "
        "kernels, side by side (the default command)")
    demo.add_argument("--repeats", type=int, default=15,
                      help="timing repeats; the median is shown (default: 15)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 on success)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command in (None, "demo"):
        repeats = getattr(args, "repeats", 15)
        if repeats < 1:
            parser.error("--repeats must be >= 1")
        run_demo(repeats=repeats)
    return 0
