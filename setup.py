"""The package build compiles the gettext catalogues (.po -> .mo) into the package, so that a plain
`pip install .`, a wheel or `pip install -e .` serves the Chinese UI. Everything else is in pyproject.toml."""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def _i18n():
    """openjxc/core/i18n.py by its path: the build must not import the package (or Django) to compile."""
    spec = importlib.util.spec_from_file_location("_openjxc_i18n", HERE / "src" / "openjxc" / "core" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildPyWithCatalogues(build_py):
    def run(self):
        super().run()
        i18n = _i18n()
        if getattr(self, "editable_mode", False):  # the package is the source tree: compile there
            i18n.compile_all()
        else:
            i18n.compile_all(HERE / "src" / "openjxc" / "locale", Path(self.build_lib) / "openjxc" / "locale")


setup(cmdclass={"build_py": BuildPyWithCatalogues})
