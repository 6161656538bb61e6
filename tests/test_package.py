"""Packaging: one version, package data that ships every sample_data file, the console command, the app launcher.

The real install is `make wheel-check` (a built wheel in a fresh venv, run from a temp folder); these are the
fast checks of what it relies on.
"""
import fnmatch
import re
import sys
from pathlib import Path

import pytest

import swap_engine
from swap_engine import resources
from swap_engine.cli import main
from swap_engine.commands import app as app_command

ROOT = Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib")


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_one_version(pyproject, capsys):
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "swap_engine.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", swap_engine.__version__)
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.split() == ["swap-explorer", swap_engine.__version__]
    assert f"## [{swap_engine.__version__}]" in (ROOT / "CHANGELOG.md").read_text()


def test_console_command_and_extras(pyproject):
    project = pyproject["project"]
    module, _, function = project["scripts"]["swap-explorer"].partition(":")
    assert callable(getattr(__import__(module, fromlist=[function]), function))
    core = " ".join(project["dependencies"])
    assert "streamlit" not in core and "plotly" not in core and "ray" not in core  # library users skip them
    extras = project["optional-dependencies"]
    assert any(d.startswith("streamlit") for d in extras["app"]) and any(d.startswith("ray") for d in extras["ray"])
    # `make app` installs requirements.txt: everything in it is a core dependency or in the app extra.
    declared = {re.split(r"[<>=!~\[ ]", d)[0].lower() for d in [*project["dependencies"], *extras["app"]]}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        name = re.split(r"[<>=!~\[ #]", line.strip())[0].lower()
        assert not name or name in declared, f"requirements.txt's {name} is not declared in pyproject.toml"


def test_every_sample_data_file_is_package_data(pyproject):
    setuptools = pyproject["tool"]["setuptools"]
    assert setuptools["package-dir"]["swap_engine._sample_data"] == "sample_data"
    patterns = setuptools["package-data"]["swap_engine._sample_data"]
    assert "*.parquet" in patterns  # the proxy atlas
    for path in (ROOT / "sample_data").iterdir():
        if path.is_file():
            assert any(fnmatch.fnmatch(path.name, p) for p in patterns), f"{path.name} would not ship"
    # The app's folders ship as modules, plus the package data named for them: nothing else.
    for folder in ("views", "ui"):
        package = f"swap_engine._app.{folder}"
        assert setuptools["package-dir"][package] == folder
        data = setuptools.get("package-data", {}).get(package, [])
        others = [p.name for p in (ROOT / folder).iterdir() if p.is_file() and p.suffix != ".py"
                  and not any(fnmatch.fnmatch(p.name, pattern) for pattern in data)]
        assert not others, f"{folder}/ has files that would not ship: {others}"


def test_sample_data_path_from_the_checkout():
    path = resources.sample_data_path("nb201_swap_b16.csv")
    assert path == ROOT / "sample_data" / "nb201_swap_b16.csv" and path.is_file()
    assert resources.sample_data_path("nb201_atlas_not_yet.parquet", must_exist=False).parent == path.parent
    with pytest.raises(FileNotFoundError, match="not in"):
        resources.sample_data_path("no_such_table.csv")
    with pytest.raises(ValueError, match="relative"):
        resources.sample_data_path("../README.md")
    assert (resources.app_dir() / "app.py").is_file()


def test_installed_layout_is_preferred(tmp_path, monkeypatch):
    installed = tmp_path / "swap_engine"
    (installed / "_sample_data").mkdir(parents=True)
    (installed / "_sample_data" / "t.csv").write_text("a\n1\n")
    for part in ("views", "ui"):
        (installed / "_app" / part).mkdir(parents=True)
    (installed / "_app" / "app.py").write_text("")
    monkeypatch.setattr(resources, "_PACKAGE", installed)
    monkeypatch.setattr(resources, "_ROOT", tmp_path / "nowhere")
    assert resources.sample_data_path("t.csv") == installed / "_sample_data" / "t.csv"
    assert resources.app_dir() == installed / "_app"
    assert resources.streamlit_config() is None
    monkeypatch.setattr(resources, "_PACKAGE", tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="reinstall"):
        resources.sample_data_dir()


def test_app_command(capsys, monkeypatch):
    assert main(["app", "--print-command", "--server.port", "8611"]) == 0
    line = capsys.readouterr().out
    assert f"{sys.executable} -m streamlit run {resources.app_dir() / 'app.py'}" in line
    assert line.rstrip().endswith("--server.port 8611")
    if sys.version_info >= (3, 11):
        assert "--theme.base light" in line  # the repository's .streamlit/config.toml, passed on
    monkeypatch.setattr(app_command.importlib.util, "find_spec", lambda name: None)
    assert main(["app"]) == 2
    assert "pip install 'swap-explorer[app]'" in capsys.readouterr().err


def test_about_page_shows_versions_and_device():
    import torch
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.switch_page("views/about.py").run()
    assert not app.exception
    caption = " ".join(c.value for c in app.caption)
    assert f"SWAP Explorer **{swap_engine.__version__}**" in caption and f"PyTorch **{torch.__version__}**" in caption
    from swap_engine.device import available_devices

    assert f"Device in use **{available_devices()[0]}" in caption  # the sidebar's default
