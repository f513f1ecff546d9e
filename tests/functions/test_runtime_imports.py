"""`make serve` installs the runtime lock only (no boto3): what it runs must import without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# None in sys.modules makes `import boto3` fail as if it were not installed.
BLOCK_AWS = "import sys; sys.modules['boto3'] = sys.modules['botocore'] = None; "


def test_the_local_server_announce_and_outbox_import_without_boto3():
    code = BLOCK_AWS + "import forms.local, forms.announce, forms.outbox, territories.generator"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'functions'}:{ROOT / 'plugins'}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
