"""Starting a server process on loopback for a test, waiting until it answers, and stopping it."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def free_port() -> int:
    """Give a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(
    command: Callable[[int], list[str]], probe_path: str, *, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Run ``command(port)`` until the block ends; give its base URL once ``probe_path`` answers."""
    port = free_port()
    process = subprocess.Popen(
        command(port), env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{base}{probe_path}", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    process.kill()
                    output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                    raise AssertionError(f"{command(port)[0]} did not start: {output}") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
