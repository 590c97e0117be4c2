"""`countydatasync-gui --self-test`: the start-up check the packaged app's smoke test relies on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_self_test_opens_the_window_and_quits_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run(
        [sys.executable, "-m", "countydatasync_gui", "--self-test", "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, env=env, timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert "self-test ok: window shown" in done.stdout
    assert "QThread: Destroyed" not in done.stderr and "Traceback" not in done.stderr
