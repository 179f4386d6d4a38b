"""Importing core keeps numpy's OpenBLAS to the calling thread (no idle workers spinning)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

COUNT_THREADS = (
    "import core, numpy, os; numpy.ones((64, 64)) @ numpy.ones((64, 64)); "
    "print(len(os.listdir('/proc/self/task')))"
)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
def test_importing_core_leaves_numpy_without_worker_threads() -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    threads = subprocess.run(
        [sys.executable, "-c", COUNT_THREADS], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert int(threads) == 1
