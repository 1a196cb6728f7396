"""Start a private bytespike-mock process for tests that need their own server (extra flags,
fixtures, or state that must not leak into the shared session server of conftest.py).

    from mockproc import running_mock
    with running_mock("--fault", "429 first=1", "--seed", "7") as mock:
        httpx.get(mock.url + "/__mock/health")

`running_mock` binds 127.0.0.1 on a free port, waits for the port file, and on exit sends
SIGTERM and asserts a clean exit (code 0). `mock.logs()` returns stdout and stderr.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = ROOT / ".build" / "debug" / "bytespike-mock"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


def binary() -> Path:
    return Path(os.environ.get("BYTESPIKE_MOCK_BIN", str(DEFAULT_BIN)))


@dataclass
class Mock:
    url: str
    port: int
    proc: subprocess.Popen
    workdir: Path

    def logs(self) -> str:
        out = (self.workdir / "stdout.log").read_text(errors="replace")
        err = (self.workdir / "stderr.log").read_text(errors="replace")
        return f"--- stdout ---\n{out}--- stderr ---\n{err}"


def run_cli(*args: str, timeout: float = 10.0) -> subprocess.CompletedProcess:
    """Runs the binary to completion (e.g. a bad flag that must exit 2)."""
    return subprocess.run([str(binary()), *args], capture_output=True, text=True, timeout=timeout)


@contextmanager
def running_mock(*args: str):
    exe = binary()
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        raise RuntimeError(f"bytespike-mock binary not found at {exe}: run `swift build` or set BYTESPIKE_MOCK_BIN")
    with tempfile.TemporaryDirectory(prefix="bytespike-mock-") as tmp:
        workdir = Path(tmp)
        port_file = workdir / "port"
        with open(workdir / "stdout.log", "wb") as out, open(workdir / "stderr.log", "wb") as err:
            proc = subprocess.Popen(
                [str(exe), "--host", "127.0.0.1", "--port", "0", "--port-file", str(port_file), *args],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=workdir,
            )
        mock = None
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"bytespike-mock exited early with code {proc.returncode}")
                text = port_file.read_text().strip() if port_file.exists() else ""
                if text.isdigit():
                    port = int(text)
                    mock = Mock(url=f"http://127.0.0.1:{port}", port=port, proc=proc, workdir=workdir)
                    break
                time.sleep(0.02)
            if mock is None:
                raise RuntimeError(f"bytespike-mock wrote no port file within {START_TIMEOUT:.0f} s")
            yield mock
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=STOP_TIMEOUT)
            assert code == 0, f"bytespike-mock exited with code {code} after SIGTERM\n{mock.logs()}"
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
