"""Files that ship with the project, found the same way from a source checkout and from an installed wheel.

In the repository, `sample_data/` and the Streamlit app (`app.py`, `views/`, `ui/`) sit at the root, beside
the `swap_engine` package. The wheel carries them inside the package, as `swap_engine/_sample_data/` and
`swap_engine/_app/` (see pyproject.toml's package-dir mapping). Every reader goes through this module, so no
code assumes it runs from the repository root.
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_ROOT = _PACKAGE.parent  # the repository root when running from source or an editable install


def _first_dir(*candidates: Path) -> Path | None:
    return next((c for c in candidates if c.is_dir()), None)


def sample_data_dir() -> Path:
    """The folder of the project's own precomputed tables (`sample_data/` in the repository)."""
    found = _first_dir(_PACKAGE / "_sample_data", _ROOT / "sample_data")
    if found is None:
        raise FileNotFoundError(f"no sample data: neither {_PACKAGE / '_sample_data'} (installed) nor "
                                f"{_ROOT / 'sample_data'} (source checkout) exists; reinstall swap-explorer")
    return found


def sample_data_path(name: str, *, must_exist: bool = True) -> Path:
    """Path of one file of the sample data, e.g. `sample_data_path("nb201_swap_b16.csv")`.

    `FileNotFoundError` naming the folder when it is absent, unless `must_exist=False` (then the path where it
    would be, for callers that treat an absent table as "not computed yet").
    """
    if not name or Path(name).is_absolute() or ".." in Path(name).parts:
        raise ValueError(f"sample data name must be a relative file name, got {name!r}")
    path = sample_data_dir() / name
    if must_exist and not path.is_file():
        raise FileNotFoundError(f"sample data file {name!r} is not in {path.parent}")
    return path


def app_dir() -> Path:
    """The folder holding the Streamlit app's `app.py`, `views/` and `ui/`."""
    for candidate in (_PACKAGE / "_app", _ROOT):
        if (candidate / "app.py").is_file() and (candidate / "views").is_dir() and (candidate / "ui").is_dir():
            return candidate
    raise FileNotFoundError(f"the Streamlit app is not installed: no app.py with views/ and ui/ in "
                            f"{_PACKAGE / '_app'} or {_ROOT}")


def streamlit_config() -> Path | None:
    """The app's Streamlit settings file (`.streamlit/config.toml` in the repository), when present."""
    for candidate in (_PACKAGE / "_app" / "_streamlit" / "config.toml", _ROOT / ".streamlit" / "config.toml"):
        if candidate.is_file():
            return candidate
    return None


__all__ = ["app_dir", "sample_data_dir", "sample_data_path", "streamlit_config"]
