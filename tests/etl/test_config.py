"""config.toml: reading, precedence of flags, faithful writing, passwords kept out, `config show`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from countydatasync_gui.etl import passwords
from countydatasync_gui.etl.config import load_settings, parse_lookback, save_config
from countydatasync_gui.etl.errors import ConfigError
from countydatasync_gui.etl.datafolder import DataFolder
from countydatasync_gui.etl.mapping import ColumnSpec
from countydatasync_gui.etl.settings import Thresholds

PG_URL = "postgresql+psycopg://assessor@db.county.local:5433/roll"
HAND_WRITTEN = f"""# Written by the county DBA; keep this comment.
[source]
url = "{PG_URL}"
schema = "assessor"
table = "V11_Parcels"
timezone = "America/Chicago"
lookback = "2h"
preset = "wisconsin"

[source.columns]
owner = "OWNERNME2"   # legal owner lives in the second field here

[thresholds]
value_change = 0.4
"""


class FakeKeyring:
    """An in-memory stand-in for the system keyring."""

    def __init__(self) -> None:
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, key: str) -> str | None:
        return self.saved.get((service, key))

    def set_password(self, service: str, key: str, password: str) -> None:
        self.saved[(service, key)] = password


@pytest.fixture(autouse=True)
def keyring(monkeypatch: pytest.MonkeyPatch) -> FakeKeyring:
    ring = FakeKeyring()
    monkeypatch.setattr(passwords, "_keyring", lambda: ring)
    monkeypatch.delenv(passwords.ENV_VAR, raising=False)
    return ring


@pytest.fixture
def configured(folder: DataFolder) -> DataFolder:
    folder.ensure()
    (folder.path / "config.toml").write_text(HAND_WRITTEN)
    return folder


def test_the_file_sets_source_mapping_and_thresholds(configured: DataFolder) -> None:
    settings = load_settings(configured)
    source = settings.source

    assert (source.url, source.schema_name, source.table, source.timezone) == (PG_URL, "assessor", "V11_Parcels", "America/Chicago")
    assert source.lookback == timedelta(hours=2) and source.code_table == "wisconsin"
    assert source.specs()["owner"] == ColumnSpec(("OWNERNME2",))
    assert source.specs()["id"] == ColumnSpec(("PARCELID",))  # from the preset
    assert settings.thresholds == Thresholds(value_change=0.4)


def test_flags_override_the_file(configured: DataFolder, tmp_path: Path) -> None:
    settings = load_settings(configured, source_url=f"sqlite:///{tmp_path}/x.sqlite", table="other", preset="florida_nal")

    assert settings.source.url.startswith("sqlite:///") and settings.source.table == "other"
    assert settings.source.code_table == "florida_dor" and not settings.source.has_timestamp


def test_without_a_file_or_source_it_is_the_demo_county(folder: DataFolder) -> None:
    settings = load_settings(folder, create_demo=False)

    assert settings.source.url == f"sqlite:///{folder.demo_source}" and settings.source.is_default_layout


def test_password_comes_from_keyring_then_environment_then_prompt(
    configured: DataFolder, keyring: FakeKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    assert load_settings(configured, prompt=lambda text: asked.append(text) or "typed").source.password == "typed"
    assert asked == ["Password for assessor@db.county.local:5433/roll: "]

    monkeypatch.setenv(passwords.ENV_VAR, "from-env")
    assert load_settings(configured).source.password == "from-env"

    passwords.store_password(make_url(PG_URL), "from-ring")
    settings = load_settings(configured)
    assert settings.source.password == "from-ring"
    assert "from-ring" not in repr(settings)


def test_a_password_in_the_file_is_refused(folder: DataFolder) -> None:
    folder.ensure()
    (folder.path / "config.toml").write_text('[source]\nurl = "postgresql://assessor:hunter2@db/roll"\n')

    with pytest.raises(ConfigError) as raised:
        load_settings(folder)
    assert "password inside the source address" in raised.value.message and "hunter2" not in raised.value.message


@pytest.mark.parametrize(("text", "words"), [
    ('[source]\ntable = "x"\n', "has no url"),
    ('[source]\nurl = "sqlite:///x"\ntabel = "x"\n', "unknown settings: tabel"),
    ('[source]\nurl = "sqlite:///x"\ntimezone = "Mars/Olympus"\n', "time zone 'Mars/Olympus'"),
    ('[source]\nurl = "sqlite:///x"\nlookback = "soon"\n', "not a duration"),
    ("[source\n", "could not be read"),
])
def test_bad_files_say_what_is_wrong(folder: DataFolder, text: str, words: str) -> None:
    folder.ensure()
    (folder.path / "config.toml").write_text(text)

    with pytest.raises(Exception, match=words):
        load_settings(folder)


def test_saving_keeps_comments_writes_only_preset_differences_and_never_the_password(configured: DataFolder) -> None:
    path = configured.path / "config.toml"
    settings = load_settings(configured, source_url=PG_URL.replace("assessor@", "assessor:Pa55w0rd@"))

    save_config(path, settings)

    text = path.read_text()
    assert "# Written by the county DBA; keep this comment." in text and "# legal owner lives" in text
    assert "Pa55w0rd" not in text
    saved = tomllib.loads(text)
    assert saved["source"]["url"] == PG_URL and saved["source"]["columns"] == {"owner": "OWNERNME2"}
    assert "Pa55w0rd" not in repr(settings) and settings.source.password == "Pa55w0rd"
    reloaded = load_settings(configured)
    assert reloaded.source == settings.source and reloaded.thresholds == settings.thresholds


def test_saving_a_hand_made_mapping_round_trips(folder: DataFolder, tmp_path: Path) -> None:
    path = tmp_path / "fresh.toml"
    folder.ensure()
    (folder.path / "config.toml").write_text(
        '[source]\nurl = "sqlite:///county.sqlite"\nlookback = 90\n[source.columns]\nid = "PIN"\n'
        'acres = { column = "SQFT", convert = "sqft_to_acres" }\nowner = "NAME"\nuse_code = "LUC"\nassessed_value = "AV"\n')
    settings = load_settings(folder)

    save_config(path, settings)

    assert load_settings(folder, config_file=path).source == settings.source
    assert tomllib.loads(path.read_text())["source"]["lookback"] == "90m"


def test_lookback_notation() -> None:
    assert [parse_lookback(v) for v in ("45s", "30m", "1h", "2d", 15)] == [
        timedelta(seconds=45), timedelta(minutes=30), timedelta(hours=1), timedelta(days=2), timedelta(minutes=15)]


def test_config_show_prints_the_effective_settings_without_secrets(configured: DataFolder) -> None:
    env = {**os.environ, passwords.ENV_VAR: "Sup3rSecret", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    cli = [sys.executable, "-m", "countydatasync_gui.cli", "config", "show", "--data-dir", str(configured.path)]

    shown = subprocess.run([*cli, "--json"], capture_output=True, text=True, env=env, timeout=60)
    text = subprocess.run([*cli, "--table", "Other"], capture_output=True, text=True, env=env, timeout=60)

    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    assert report["source"]["url"] == PG_URL and report["source"]["preset"] == "wisconsin"
    assert report["source"]["password"] == f"environment variable {passwords.ENV_VAR}"
    assert report["source"]["columns"]["acres"] == "ASSDACRES, else GISACRES (number stored as text)"
    assert report["thresholds"]["value_change"] == 0.4
    assert "table            Other" in text.stdout and "OWNERNME2" in text.stdout
    assert "Sup3rSecret" not in shown.stdout + shown.stderr + text.stdout + text.stderr
