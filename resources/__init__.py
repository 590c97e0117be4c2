"""Data files shipped with CountyDataSync: land-use code tables, presets, icons, the .desktop entry.

The folder stays at the top of the repository, but pyproject.toml installs it as
the package `countydatasync_gui.resource_files` (package-dir mapping plus
package-data), so a wheel, an sdist and an editable install all carry it inside
the installed package. This file only makes it a regular package: setuptools'
editable finder and `importlib.resources.files()` then resolve it to a plain
folder. Look files up with `countydatasync_gui.resources.resource_path`.
"""
