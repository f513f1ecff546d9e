"""`make -s admin ARGS=…` as an operator redirects it: only the command's own output on stdout."""

from __future__ import annotations

import os
import subprocess
import sys

from forms.ports import WELCOMER_REQUEST
from forms.submissions import accept
from formskit import ROOT, sample_fields


def make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-s", "--no-print-directory", "-C", str(ROOT), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_make_admin_export_writes_exactly_the_csv(forms_app, sqlite_store):
    accept(forms_app, WELCOMER_REQUEST, sample_fields(WELCOMER_REQUEST), None)
    argv = ["export", "--store", f"sqlite:{sqlite_store.path}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "functions")}
    direct = subprocess.run(
        [sys.executable, "-m", "forms.admin", *argv], env=env, capture_output=True, text=True
    )

    result = make("admin", f"ARGS={' '.join(argv)}")

    assert direct.returncode == result.returncode == 0, direct.stderr + result.stderr
    assert direct.stdout.count("\n") >= 2  # the header and the submission
    assert result.stdout == direct.stdout


def test_a_python_without_venv_is_explained_in_french(tmp_path):
    python = tmp_path / "python3"
    python.write_text("#!/bin/sh\nexit 1\n")  # as Debian's python3 without python3-venv
    python.chmod(0o755)

    result = make(f"PYTHON={python}", f"VENV={tmp_path / 'venv'}", "venv")

    assert result.returncode != 0
    assert "apt-get install python3-venv" in result.stderr
    assert not (tmp_path / "venv").exists()
