"""``scatterdash`` as a real process: what the console script runs (``python -m gui.launcher``)."""

from __future__ import annotations

import asyncio
import os
import sys

__all__ = ["into_closed_pipe", "scatterdash", "start"]


async def start(*args: str) -> asyncio.subprocess.Process:
    """Start ``scatterdash ARGS`` with stdout and stderr piped to the test."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gui.launcher",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def scatterdash(*args: str) -> tuple[int, str, str]:
    """Run ``scatterdash ARGS`` to its end: (exit code, stdout, stderr)."""
    process = await start(*args)
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def into_closed_pipe(*args: str) -> tuple[int, str]:
    """Run ``scatterdash ARGS`` with nobody reading its stdout: (exit code, stderr).

    The pipe's read end is closed before the process starts, so its first write fails
    with EPIPE: ``| head -1`` leaving early, made deterministic.
    """
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gui.launcher", *args,
            stdout=write_end, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
    finally:
        os.close(write_end)
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, err.decode()
