#!/usr/bin/env python3
"""Known-vulnerability audits of what CI installed: the Python environment (pip-audit, PyPI's vulnerability data)
and the npm packages the app serves (`npm audit --omit=dev`).

Usage: python3 .ci/audit.py VENV_BIN   (from the project root)

Exit 1 when either audit reports a known vulnerability. A vulnerability service that cannot be reached is not a
pass: it is printed as "NOT AUDITED" with the reason, and fails the stage too when JXC_AUDIT_REQUIRED=1 (set it
where CI can reach the services; on a network that serves the package indexes but not these endpoints the stage
says so instead of pretending to have checked).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

OUR_OWN = {"openjxc"}  # the project itself, installed editable: not on PyPI


def audit_python(bin_dir: str) -> tuple[list[str], str | None]:
    """(vulnerabilities found, why the audit could not be done or None)."""
    proc = subprocess.run([f"{bin_dir}/pip-audit", "--format", "json", "--progress-spinner", "off"],
                          capture_output=True, text=True, timeout=900)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return [], f"pip-audit gave no report (exit {proc.returncode}): {proc.stderr.strip()[-500:]}"
    found, skipped = [], []
    for dep in report.get("dependencies", []):
        if dep["name"] in OUR_OWN:
            continue
        for vuln in dep.get("vulns", []):
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            found.append(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
        if dep.get("skip_reason"):
            skipped.append(dep["skip_reason"])
    if skipped:
        return found, (f"{len(skipped)} of {len(report.get('dependencies', []))} Python packages could not be "
                       f"checked, e.g. {skipped[0]}")
    return found, None


def audit_npm() -> tuple[list[str], str | None]:
    proc = subprocess.run(["npm", "audit", "--omit=dev", "--json"], capture_output=True, text=True, timeout=300)
    try:
        report = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError:
        return [], f"npm audit gave no report (exit {proc.returncode}): {proc.stderr.strip()[-500:]}"
    if "vulnerabilities" not in report:
        return [], f"npm audit could not reach its advisory service: {report.get('message') or proc.stderr[-300:]}"
    found = [f"{name} {v.get('range', '')}: {v.get('severity')} "
             f"({', '.join(a.get('url', '') if isinstance(a, dict) else str(a) for a in v.get('via', []))})"
             for name, v in report["vulnerabilities"].items()]
    return found, None


def main() -> int:
    bin_dir = sys.argv[1] if len(sys.argv) > 1 else ".venv/bin"
    required = os.environ.get("JXC_AUDIT_REQUIRED") == "1"
    status = 0
    for name, (found, unreachable) in (("pip-audit", audit_python(bin_dir)), ("npm audit", audit_npm())):
        for line in found:
            print(f"[audit] VULNERABLE ({name}): {line}")
        if found:
            status = 1
        if unreachable:
            print(f"[audit] NOT AUDITED ({name}): {unreachable}")
            if required:
                status = 1
        elif not found:
            print(f"[audit] {name}: no known vulnerabilities")
    return status


if __name__ == "__main__":
    sys.exit(main())
