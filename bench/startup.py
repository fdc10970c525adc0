"""bench/startup: how long `keyless up` takes to be ready (endpoints.json written), fresh and restarted.

Measured for a new data dir (keys, CA and database created) and for a restart on the same data dir, each several
times, against a reference from the same run: the Python interpreter starting and importing keyless's
dependencies without doing anything. It prints medians and the ratio to the 2 s target. Not a test.

    .venv/bin/python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def ready_seconds(data_dir: Path) -> float:
    endpoints = data_dir / "endpoints.json"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "keyless.cli.main", "up", "--data-dir", str(data_dir), "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        while True:
            try:
                if json.loads(endpoints.read_text()).get("pid") == proc.pid:
                    return time.perf_counter() - started
            except (OSError, ValueError):
                pass
            if proc.poll() is not None:
                raise RuntimeError("keyless up exited before it was ready")
            if time.perf_counter() - started > 60:
                raise TimeoutError("keyless up was not ready in 60 s")
            time.sleep(0.005)
    finally:
        proc.terminate()
        proc.wait(30)


def imports_seconds() -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import starlette, uvicorn, sqlalchemy, cryptography, jwt, dbos, lxml"], check=True
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    fresh, restart = [], []
    reference = [imports_seconds() for _ in range(args.runs)]
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="keyless-bench-up-") as tmp:
            fresh.append(ready_seconds(Path(tmp)))
            restart.append(ready_seconds(Path(tmp)))
    ref = statistics.median(reference)
    for label, values in (("new data dir", fresh), ("restart", restart)):
        median = statistics.median(values)
        print(
            f"keyless up ready, {label:<13} median {median:5.2f} s  max {max(values):5.2f} s"
            f"  = {median / 2:4.2f} of the 2 s target, {median / ref:4.1f}x the imports alone"
        )
    print(f"reference: python + keyless's dependencies imported  median {ref:5.2f} s")


if __name__ == "__main__":
    main()
