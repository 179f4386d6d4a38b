"""The long soak: several minutes of comparisons against 30 suppliers with mixed faults.

    python tests/bench/soak.py [--minutes 5] [--workers 4]

Prints what the CI soak test asserts, over a longer run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.soak import cancellation_storm, soak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    report = asyncio.run(soak(args.minutes * 60, workers=args.workers))
    cancelled, finished, left = asyncio.run(cancellation_storm(1000))
    rows = [
        *report.rows(),
        (
            "cancellation storm: cancelled / finished / sockets left",
            f"{cancelled} / {finished} / {left}",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"| {'measure'.ljust(width)} | value |")
    print(f"|{'-' * (width + 2)}|---|")
    for name, value in rows:
        print(f"| {name.ljust(width)} | {value} |")


if __name__ == "__main__":
    main()
