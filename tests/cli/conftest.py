"""Committing tests here (backup/restore) reuse the stock tests' way of letting the flush empty the ledger; `jxc init`
runs once per run for the tests of the `jxc` command."""

from pathlib import Path

import pytest

from tests.cli.test_jxc_subprocess import jxc


@pytest.fixture(scope="session")
def initialized(tmp_path_factory) -> Path:
    """A data directory right after a first `jxc init` (a minute of migrations on a loaded machine: done once per
    run, and copied by `initialized_copy` for the tests that need a fresh installation to work on)."""
    data = tmp_path_factory.mktemp("jxc-init")
    first = jxc(data, "init")
    assert first.returncode == 0, first.stderr
    assert "admin12345" in first.stdout and "WARNING" in first.stdout
    return data
