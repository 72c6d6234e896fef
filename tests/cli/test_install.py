"""Chinese after any install: a wheel built by pip and installed into a fresh virtual environment serves a
zh-CN browser in Chinese (the build compiles the catalogues), and an install whose catalogue went missing
compiles it at start.

The wheel is built with pip's build isolation (setuptools, wheel, polib from pip's index or cache, as
`pip install .` does) and installed with --no-deps; the fresh environment reads the dependencies from this
test run's environment through a path entry (its .pth files are not processed, so the editable checkout of
openjxc stays invisible: only the installed wheel is importable)."""

from __future__ import annotations

import gettext
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest

from openjxc.core import i18n
from tests.cli.test_jxc_subprocess import _free_port, jxc_env, own_sqlite

pytestmark = own_sqlite

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = Path("openjxc/locale/zh_Hans/LC_MESSAGES/django.mo")


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the openjxc wheel installed; returns its directory."""
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "source"  # the sources as a checkout has them: no compiled catalogue, no build leftovers
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.mo", "*.egg-info"))
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp / "dist", source)
    wheel = next((tmp / "dist").glob("openjxc-*.whl"))

    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--no-deps", "-q", wheel)
    site = Path(run(venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
                .stdout.strip())
    (site / "_openjxc_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    where = run(venv / "bin" / "python", "-c", "import openjxc; print(openjxc.__file__)", cwd=tmp).stdout
    assert where.startswith(str(site)), where  # the wheel, not the checkout
    return venv


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def test_a_wheel_install_serves_a_chinese_browser_in_chinese(installed, tmp_path):
    mo = site_packages(installed) / CATALOGUE
    assert mo.exists() and i18n.compiled_from(mo) == i18n.source_hash(mo.with_suffix(".po"))
    data = tmp_path / "data"
    init = run(installed / "bin" / "jxc", "init", env=jxc_env(data), cwd=tmp_path)
    assert "admin12345" in init.stdout

    port = _free_port()
    proc = subprocess.Popen([str(installed / "bin" / "jxc"), "serve", "--port", str(port)], env=jxc_env(data),
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                zh = httpx.get(f"http://127.0.0.1:{port}/login/", headers={"Accept-Language": "zh-CN,zh;q=0.9"},
                               timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "jxc serve did not answer in time"
                time.sleep(0.3)
        en = httpx.get(f"http://127.0.0.1:{port}/login/", headers={"Accept-Language": "en"}, timeout=5)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert zh.status_code == 200 and "<title>登录" in zh.text and 'lang="zh-Hans"' in zh.text
    assert en.status_code == 200 and "<title>Sign in" in en.text


def test_an_install_missing_its_catalogue_compiles_it_at_start(installed, tmp_path):
    mo = site_packages(installed) / CATALOGUE
    mo.unlink()
    said = run(installed / "bin" / "jxc", "shell", "-c",
               "from django.utils import translation; translation.activate('zh-hans'); "
               "print(translation.gettext('Sign in'))", env=jxc_env(tmp_path / "data"), cwd=tmp_path)
    assert said.stdout.strip().splitlines()[-1] == "登录"
    assert i18n.compiled_from(mo) == i18n.source_hash(mo.with_suffix(".po"))


def test_stale_catalogues_are_recompiled_and_a_read_only_package_compiles_into_the_data_dir(tmp_path):
    package = tmp_path / "package" / "locale"
    shutil.copytree(i18n.LOCALE_DIR, package, ignore=shutil.ignore_patterns("*.mo"))
    po = package / "zh_Hans" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    data = tmp_path / "data"

    assert i18n.catalogue_dir(data, package) == package  # missing: compiled in place
    assert i18n.compiled_from(mo) == i18n.source_hash(po)
    assert i18n.stale(package, package) == []

    # the .po changes (an upgrade, a merge): its .mo no longer matches and is compiled again
    po.write_text(po.read_text() + '\nmsgid "A message added later"\nmsgstr "后来加的消息"\n')
    assert i18n.stale(package, package) == [po]
    assert i18n.catalogue_dir(data, package) == package
    assert i18n.stale(package, package) == []

    # a package nobody may write (stood in for by a .mo that cannot be replaced): a copy in the data directory
    po.write_text(po.read_text() + '\nmsgid "And one more"\nmsgstr "再加一条"\n')
    mo.unlink()
    mo.mkdir()
    (mo / "keep").touch()
    assert i18n.catalogue_dir(data, package) == data / "locale"
    copy = data / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    assert i18n.compiled_from(copy) == i18n.source_hash(po)
    with copy.open("rb") as f:
        assert gettext.GNUTranslations(f).gettext("And one more") == "再加一条"
