"""``demo-data``: realistic generated datasets for the demo and the benchmarks."""

from __future__ import annotations

import argparse

from countylib.commands import common_options, db_path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo-data",
        parents=[common_options()],
        help="generate a realistic dataset (demo ≈5k items, branch 50k, county 1M)",
    )
    parser.add_argument("--size", choices=["demo", "branch", "county"], default="demo")
    parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
    parser.set_defaults(func=demo_data)


def demo_data(args: argparse.Namespace) -> int:
    from countylib.demo_data import generate

    summary = generate(db_path(args), size=args.size, seed=args.seed)
    print(summary.line())
    return 0
