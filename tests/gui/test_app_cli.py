"""The ``scatterdash`` command: --screenshot, and a bad config file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from gui import app

pytestmark = pytest.mark.gui


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HOME": str(tmp_path),
    }


def test_screenshot_saves_the_whole_window(tmp_path: Path) -> None:
    shot = tmp_path / "shots" / "window.png"
    done = subprocess.run(
        [sys.executable, "-m", "gui.launcher", "--screenshot", str(shot)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    image = QImage(str(shot))
    assert not image.isNull()
    assert image.width() >= 1280
    assert image.height() >= 800
    assert "Traceback" not in done.stderr
    assert "WARNING" not in done.stderr and "ERROR" not in done.stderr, done.stderr
    # the screenshot neither used nor saved the user's layout
    assert not (tmp_path / "config" / "Scatterdash").exists()


def test_screenshot_on_a_config_file(tmp_path: Path) -> None:
    """--config with suppliers that refuse: the comparison is undecided, the PNG still comes."""
    config = tmp_path / "refusing.toml"
    config.write_text(
        '[defaults]\ntimeout = 1.0\n\n[[suppliers]]\nname = "nobody"\n'
        'url = "http://127.0.0.1:9/quote"\n',
        encoding="utf-8",
    )
    shot = tmp_path / "shot.png"
    done = subprocess.run(
        [sys.executable, "-m", "gui.launcher", "--config", str(config), "--screenshot", str(shot)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "undecided" in done.stderr
    image = QImage(str(shot))
    assert (image.width(), image.height()) >= (1280, 800)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read config"),
        ("[defaults\n", "invalid TOML"),
        ('[[suppliers]]\nname = "x"\nurl = "ftp://nowhere"\n', "suppliers[0].url"),
    ],
)
def test_a_bad_config_is_one_line_on_stderr_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, expected: str
) -> None:
    path = tmp_path / "bad.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert app.main(["--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("scatterdash: ")
    assert expected in err
