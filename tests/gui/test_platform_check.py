"""A bare Linux desktop: the missing X11 libraries are named as packages to install, before Qt aborts."""

from __future__ import annotations

from countydatasync_gui.gui.platform_check import missing_platform_packages, platform_problem_text


def test_a_missing_xcb_library_names_the_package_to_install():
    missing = missing_platform_packages("linux", {"DISPLAY": ":0"}, loads=lambda name: "cursor" not in name)
    assert missing == ["libxcb-cursor0"]
    text = platform_problem_text(missing)
    assert "sudo apt-get install libxcb-cursor0" in text and "xcb" not in text.split("(")[0]


def test_no_check_where_qt_does_not_use_xcb():
    nothing = lambda _name: False  # noqa: E731 - every library "missing"
    assert missing_platform_packages("win32", {}, loads=nothing) == []
    assert missing_platform_packages("linux", {"QT_QPA_PLATFORM": "offscreen"}, loads=nothing) == []
    assert missing_platform_packages("linux", {"WAYLAND_DISPLAY": "wayland-0"}, loads=nothing) == []
    assert len(missing_platform_packages("linux", {"QT_QPA_PLATFORM": "xcb"}, loads=nothing)) == 8
