"""`keyless demo` (what `make demo` runs): the six steps pass and the refused case is explained."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_demo_runs_the_seed_scenario(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "keyless.cli.main", "demo", "--data-dir", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for n in range(1, 7):
        assert f"\n[{n}] " in out
    assert "token roles            ['AddRole']" in out
    assert "run action Call_orders_API Succeeded (OK)" in out
    assert "run action Call_orders_API Failed (Unauthorized)" in out
    assert "keyless: validate-jwt: the token has no 'roles' claim value 'AddRole'" in out
    logs = [line.split("log", 1)[1].strip() for line in out.splitlines() if line.strip().startswith("log ")]
    assert [line.split(":", 1)[0] for line in logs] == ["keyless.identity", "keyless.gateway", "keyless.workflows"]
    assert len({line.split("correlation=", 1)[1].split()[0] for line in logs}) == 1  # one id joins them
    assert "The chain behaves as Azure's does" in out
