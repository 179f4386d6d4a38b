"""The open-file limit the window and the command line lift for many suppliers."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX resource limits")

PROBE = """
import resource, sys
from core import lift_file_limit
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (int(sys.argv[2]), hard))
lift_file_limit(int(sys.argv[1]))
print(resource.getrlimit(resource.RLIMIT_NOFILE)[0], hard)
"""


def lifted(suppliers: int, soft: int = 64) -> tuple[int, int]:
    """(soft, hard) after lifting from a soft limit of ``soft``, in a process of its own."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(suppliers), str(soft)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[0]), int(out[1])


def test_the_soft_limit_is_lifted_for_a_thousand_suppliers_within_the_hard_one() -> None:
    soft, hard = lifted(1000)
    wanted = 16 * 1000 + 256  # a desktop's default of 1024 is too low for 1000 suppliers
    assert soft == (wanted if hard == -1 else min(wanted, hard))  # -1: RLIM_INFINITY


def test_a_limit_that_is_enough_already_is_left_alone() -> None:
    assert lifted(1, soft=64)[0] == 16 + 256
    assert lifted(1, soft=1000)[0] == 1000  # never lowered
