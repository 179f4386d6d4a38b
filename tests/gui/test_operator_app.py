"""The whole app in a real X server (Xvfb): a real-window screenshot, losing the display,
and a hang-up signal, each ending with at most one line on stderr and no traceback."""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

pytestmark = [pytest.mark.gui, pytest.mark.timeout(90)]

XVFB = shutil.which("Xvfb")
needs_xvfb = pytest.mark.skipif(XVFB is None, reason="Xvfb is installed by `.ci/setup --test`")


@pytest.fixture
def xvfb() -> Iterator[subprocess.Popen[bytes]]:
    """A real X server at 1440×900; ``.display`` is its DISPLAY once it accepts clients."""
    assert XVFB is not None
    ready_read, ready_write = os.pipe()
    server = subprocess.Popen(
        [XVFB, "-displayfd", str(ready_write), "-screen", "0", "1440x900x24", "-nolisten", "tcp"],
        pass_fds=(ready_write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(ready_write)
    try:
        readable, _, _ = select.select([ready_read], [], [], 30)
        assert readable, "Xvfb did not start"
        number = os.read(ready_read, 64).decode().strip()
        server.display = f":{number}"  # type: ignore[attr-defined]
        yield server
    finally:
        os.close(ready_read)
        server.terminate()
        server.wait(10)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}
    env.update(extra)
    return env


@contextlib.contextmanager
def _launched(tmp_path: Path, **env: str) -> Iterator[subprocess.Popen[str]]:
    """``scatterdash -v`` (the window, on the demo fleet), killed if still running after."""
    app = subprocess.Popen(
        [sys.executable, "-m", "gui.launcher", "-v"],
        env=_env(tmp_path, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        yield app
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()


def _wait_for_line(process: subprocess.Popen[str], text: str) -> list[str]:
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"the app ended before saying {text!r}: {''.join(seen)}")


@needs_xvfb
def test_a_real_window_screenshot(xvfb: subprocess.Popen[bytes], tmp_path: Path) -> None:
    shot = tmp_path / "real.png"
    done = subprocess.run(
        [sys.executable, "-m", "gui.launcher", "--screenshot", str(shot)],
        env=_env(tmp_path, QT_QPA_PLATFORM="xcb", DISPLAY=xvfb.display),  # type: ignore[attr-defined]
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1440, 900)


@needs_xvfb
def test_losing_the_display_is_one_line_and_no_traceback(
    xvfb: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    display = xvfb.display  # type: ignore[attr-defined]
    with _launched(tmp_path, QT_QPA_PLATFORM="xcb", DISPLAY=display) as app:
        _wait_for_line(app, "window open: Scatterdash")
        xvfb.kill()
        xvfb.wait(10)
        _, rest = app.communicate(timeout=30)
    assert app.returncode == 1
    # Qt's own words vary with the moment the socket breaks ("The X11 connection broke
    # (error 1)", "… I/O error (code 1)"): one line of ours around them, nothing else
    [line] = rest.splitlines()
    assert line.startswith("scatterdash: lost the display (The X11 connection broke")
    assert line.endswith("); exiting")


def test_a_hang_up_closes_the_window_with_one_line(tmp_path: Path) -> None:
    with _launched(tmp_path, QT_QPA_PLATFORM="offscreen") as app:
        _wait_for_line(app, "window open: Scatterdash")
        app.send_signal(signal.SIGHUP)
        _, rest = app.communicate(timeout=30)
    assert app.returncode == 0
    assert "Traceback" not in rest
    assert [line for line in rest.splitlines() if line.startswith("scatterdash:")] == [
        "scatterdash: hang-up signal; closing the window"
    ]
