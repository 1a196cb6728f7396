"""Start a private bytespike-mock process for tests that need their own server (extra flags,
fixtures, or state that must not leak into the shared session server of conftest.py).

    from mockproc import running_mock
    with running_mock("--fault", "429 first=1", "--seed", "7") as mock:
        httpx.get(mock.url + "/__mock/health")

`running_mock` starts the binary through the project's Python package (`BytespikeMock`: 127.0.0.1,
a free port, ready once the port file is written) and on exit sends SIGTERM and asserts a clean
exit (code 0). `mock.logs()` returns stdout and stderr; `mock.control` is the
`BytespikeMock` itself, for its faults, clock and journal helpers.
"""

from __future__ import annotations

import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from bytespike_mock import BytespikeMock, find_binary


@dataclass
class Mock:
    url: str
    port: int
    control: BytespikeMock

    def logs(self) -> str:
        return self.control.logs()


def run_cli(*args: str, timeout: float = 10.0) -> subprocess.CompletedProcess:
    """Runs the binary to completion (e.g. a bad flag that must exit 2)."""
    return subprocess.run([str(find_binary()), *args], capture_output=True, text=True, timeout=timeout)


@contextmanager
def running_mock(*args: str) -> Iterator[Mock]:
    with BytespikeMock(args=args) as mock:
        assert mock.port is not None
        yield Mock(url=mock.base_url, port=mock.port, control=mock)
        code = mock.stop()
        assert code == 0, f"bytespike-mock exited with code {code} after SIGTERM\n{mock.logs()}"
