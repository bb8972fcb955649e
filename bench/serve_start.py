"""How long the service takes to start on the example, as `make demo` starts it (issue 8: under 2 s).

    python bench/serve_start.py [--runs 3]

The example is loaded into a store of its own, then `aimsgraph serve` is started on it --runs
times (default 3): each figure is from starting the process to the first answer of /healthz
(the service is up), and to the first answer of /v1/gaps (the first gap report, which validates
the stored AIMS). The best and the worst run are printed.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AIMSGRAPH = str(Path(sys.executable).with_name("aimsgraph"))


def free_port() -> int:
    """Give a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def first_answer(url: str, started: float, process: subprocess.Popen[bytes]) -> float:
    """Give the seconds from ``started`` until ``url`` answers 200, polling every 10 ms."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                response.read()
                return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None:
                raise SystemExit(f"the service stopped: exit code {process.returncode}") from None
            time.sleep(0.01)


def main() -> None:
    """Load the example, then start the service on it ``--runs`` times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        store = str(Path(directory) / "store")
        subprocess.run(
            [AIMSGRAPH, "load", str(ROOT / "examples" / "kestrel"), "--data-dir", store],
            check=True,
            capture_output=True,
        )
        up, report = [], []
        for _ in range(arguments.runs):
            port = free_port()
            started = time.perf_counter()
            process = subprocess.Popen(
                [AIMSGRAPH, "serve", "--data-dir", store, "--port", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                up.append(first_answer(f"http://127.0.0.1:{port}/healthz", started, process))
                report.append(first_answer(f"http://127.0.0.1:{port}/v1/gaps", started, process))
            finally:
                process.terminate()
                process.wait(timeout=30)
    print(f"service on the example: up (/healthz answers) in {min(up):.2f} s (slowest {max(up):.2f} s); ", end="")
    print(f"first gap report (/v1/gaps) {min(report):.2f} s after the start (slowest {max(report):.2f} s)")


if __name__ == "__main__":
    main()
