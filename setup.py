"""Only what pyproject.toml cannot say: the package list is found, so a new swap_engine subpackage ships too."""
from setuptools import find_packages, setup

# Mapped in pyproject.toml's [tool.setuptools.package-dir]: repository folders shipped inside swap_engine.
MAPPED = ["swap_engine._sample_data", "swap_engine._app.views", "swap_engine._app.ui", "swap_engine._app.ui.charts",
          "swap_engine._app._streamlit"]

setup(packages=[*find_packages(include=["swap_engine", "swap_engine.*"]), *MAPPED])
