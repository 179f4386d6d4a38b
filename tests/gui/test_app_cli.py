"""The ``scatterdash`` command: --screenshot, and a bad config file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from core.fleet import Fleet
from gui import app
from gui.config_dialogs import shows_windows
from tests.gui.conftest import AsyncLoop

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


def _refusal_box() -> QMessageBox | None:
    shown = [
        widget
        for widget in QApplication.topLevelWidgets()
        if isinstance(widget, QMessageBox)
        and widget.objectName() == "configErrorDialog"
        and widget.isVisible()
    ]
    assert len(shown) <= 1
    return shown[0] if shown else None


@pytest.mark.parametrize(
    ("environ", "system", "expected"),
    [
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({"QT_QPA_PLATFORM": "offscreen:configfile=x.json", "DISPLAY": ":0"}, "linux", False),
        ({"QT_QPA_PLATFORM": "minimal"}, "win32", False),
        ({}, "linux", False),  # no display server: Qt would abort, a bad config must not
        ({"QT_QPA_PLATFORM": "xcb"}, "linux", False),
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":1"}, "linux", True),
        ({"QT_QPA_PLATFORM": "xcb;offscreen"}, "linux", True),  # falls back, never aborts
        ({"QT_QPA_PLATFORM": "eglfs"}, "linux", True),
        ({}, "win32", True),
        ({}, "darwin", True),
    ],
)
def test_a_display_is_expected_only_where_qt_can_show_windows(
    environ: dict[str, str], system: str, expected: bool
) -> None:
    assert app.display_expected(environ, system) is expected


def test_a_bad_config_with_an_unreachable_display_is_still_one_line_and_exit_2(
    tmp_path: Path,
) -> None:
    """The dialog is tried where a display is expected; a dead one must not abort Qt."""
    path = tmp_path / "bad.toml"
    path.write_text("[defaults\n", encoding="utf-8")
    env = {
        k: v for k, v in _env(tmp_path).items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")
    }
    env["DISPLAY"] = ":4242"  # no X server there
    done = subprocess.run(
        [sys.executable, "-m", "gui.launcher", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"scatterdash: {path}: invalid TOML")


def test_offscreen_shows_no_dialogs(qapp: QApplication) -> None:
    assert QApplication.platformName() == "offscreen"
    assert not shows_windows()
    assert not app.can_show_dialogs()


def test_a_bad_config_at_launch_is_also_a_dialog_where_one_is_seen(
    qapp: QApplication,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before the loop runs: the one line in a blocking critical box, then exit 2."""
    path = tmp_path / "bad.toml"
    path.write_text("[defaults\n", encoding="utf-8")
    monkeypatch.setattr(app, "can_show_dialogs", lambda: True)  # as on a desktop
    seen: list[tuple[str, str, QMessageBox.Icon]] = []

    def answer() -> None:  # runs inside the box's exec(), once the box is shown
        box = _refusal_box()
        assert box is not None
        seen.append((box.text(), box.informativeText(), box.icon()))
        box.button(QMessageBox.StandardButton.Ok).click()

    QTimer.singleShot(0, answer)
    assert app.main(["--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("scatterdash: ")
    assert seen == [
        (err.removeprefix("scatterdash: ").rstrip("\n"), app.NOT_STARTED, QMessageBox.Icon.Critical)
    ]
    assert "invalid TOML" in seen[0][0] and str(path) in seen[0][0]


def test_a_bad_config_for_a_screenshot_is_never_a_dialog(
    qapp: QApplication,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--screenshot is scripted: nobody would close the dialog."""
    path = tmp_path / "bad.toml"
    path.write_text("[defaults\n", encoding="utf-8")
    monkeypatch.setattr(app, "can_show_dialogs", lambda: True)  # as on a desktop
    assert app.main(["--config", str(path), "--screenshot", str(tmp_path / "x.png")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert _refusal_box() is None


def test_an_unset_api_key_at_launch_is_also_a_dialog_where_one_is_seen(
    aloop: AsyncLoop,
    fleet: Fleet,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Inside the running loop: the box is opened (never exec()) and serve() waits for it."""
    monkeypatch.delenv("SCATTERDASH_TEST_UNSET_KEY", raising=False)
    first, *rest = fleet.config.suppliers
    keyed = first.model_copy(update={"api_key_env": "SCATTERDASH_TEST_UNSET_KEY"})
    config = fleet.config.model_copy(update={"suppliers": (keyed, *rest)})
    monkeypatch.setattr(app, "shows_windows", lambda: True)  # as on a desktop

    task = aloop.loop.create_task(app.serve(config))
    aloop.until(_refusal_box)
    box = _refusal_box()
    assert box is not None and not task.done()  # serve() waits for the operator
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("scatterdash: ")
    assert box.text() == err.removeprefix("scatterdash: ").rstrip("\n")
    assert "SCATTERDASH_TEST_UNSET_KEY is not set" in box.text()
    assert box.informativeText() == app.NOT_STARTED
    assert box.icon() is QMessageBox.Icon.Critical
    box.button(QMessageBox.StandardButton.Ok).click()
    aloop.until(task.done)
    assert task.result() == 2


def _headless(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The app run with no display server at all and no platform asked for."""
    hidden = ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")
    return subprocess.run(
        [sys.executable, "-m", "gui.launcher", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in _env(tmp_path).items() if k not in hidden},
        cwd=tmp_path,
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's default there is xcb")
def test_without_a_display_the_window_is_one_line_not_a_qt_abort(tmp_path: Path) -> None:
    done = _headless(tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stderr == app.NO_DISPLAY


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's default there is xcb")
def test_without_a_display_a_screenshot_is_still_taken(tmp_path: Path) -> None:
    shot = tmp_path / "window.png"
    done = _headless(tmp_path, "--screenshot", str(shot))
    assert done.returncode == 0, done.stderr
    assert shot.stat().st_size > 10_000
