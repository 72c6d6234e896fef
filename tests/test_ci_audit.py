"""The audit stage of .ci/run (.ci/audit.py) fails on a known vulnerability and never passes an audit it could not do.

pip-audit and npm audit reach their vulnerability services over the network, the outside world: here they are
stand-in executables on PATH that print reports in the tools' own JSON shapes (recorded from the real tools).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CLEAN_PY = {"dependencies": [{"name": "django", "version": "5.2.20", "vulns": []},
                             {"name": "openjxc", "skip_reason": "Dependency not found on PyPI: openjxc (0.1.0)"}],
            "fixes": []}
VULNERABLE_PY = {"dependencies": [{"name": "django", "version": "5.2.0", "vulns": [
    {"id": "PYSEC-2025-13", "fix_versions": ["5.2.2"], "aliases": ["CVE-2025-48432"], "description": "..."}]}],
    "fixes": []}
UNREACHABLE_PY = {"dependencies": [{"name": "django", "skip_reason": "Dependency not found on PyPI and could not be "
                                                                    "audited: django (5.2.20)"}], "fixes": []}
CLEAN_NPM = {"auditReportVersion": 2, "vulnerabilities": {}, "metadata": {"vulnerabilities": {"total": 0}}}
VULNERABLE_NPM = {"auditReportVersion": 2, "vulnerabilities": {"htmx.org": {
    "name": "htmx.org", "severity": "moderate", "range": "<1.9.12",
    "via": [{"url": "https://github.com/advisories/GHSA-0000-0000-0000"}]}}}
UNREACHABLE_NPM = {"message": "405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk",
                   "statusCode": 405}


def _tool(path: Path, report: dict, exit_code: int) -> None:
    path.write_text(f"#!{sys.executable}\nimport sys\nprint({json.dumps(json.dumps(report))})\n"
                    f"sys.exit({exit_code})\n", encoding="utf-8")
    path.chmod(0o755)


def _audit(tmp_path: Path, py: dict, npm: dict, **env) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    _tool(bin_dir / "pip-audit", py, 1 if any(d.get("vulns") for d in py["dependencies"]) else 0)
    _tool(bin_dir / "npm", npm, 0 if npm.get("vulnerabilities") == {} else 1)
    environ = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **env}
    return subprocess.run([sys.executable, str(ROOT / ".ci" / "audit.py"), str(bin_dir)], cwd=tmp_path,
                          env=environ, capture_output=True, text=True, timeout=60)


def test_clean_reports_pass(tmp_path):
    run = _audit(tmp_path, CLEAN_PY, CLEAN_NPM, JXC_AUDIT_REQUIRED="1")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "pip-audit: no known vulnerabilities" in run.stdout and "npm audit: no known vulnerabilities" in run.stdout


@pytest.mark.parametrize(("py", "npm", "named"), [
    (VULNERABLE_PY, CLEAN_NPM, "django 5.2.0: PYSEC-2025-13 (fixed in 5.2.2)"),
    (CLEAN_PY, VULNERABLE_NPM, "htmx.org <1.9.12: moderate"),
])
def test_a_known_vulnerable_pin_fails_the_stage(tmp_path, py, npm, named):
    run = _audit(tmp_path, py, npm)
    assert run.returncode == 1
    assert "VULNERABLE" in run.stdout and named in run.stdout


def test_an_unreachable_service_is_reported_not_passed(tmp_path):
    run = _audit(tmp_path, UNREACHABLE_PY, UNREACHABLE_NPM)
    assert "NOT AUDITED (pip-audit)" in run.stdout and "NOT AUDITED (npm audit): " in run.stdout
    assert "no known vulnerabilities" not in run.stdout
    # out of reach, the stage says so and passes; where CI must audit, JXC_AUDIT_REQUIRED=1 makes it fail
    assert run.returncode == 0
    assert _audit(tmp_path / "required", UNREACHABLE_PY, UNREACHABLE_NPM, JXC_AUDIT_REQUIRED="1").returncode == 1
