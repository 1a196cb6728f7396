"""`BytespikeMock`: runs the binary on a free loopback port for a test run, and is the control
client of that process."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import weakref
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from ._http import Transport
from .binary import find_binary
from .control import MockClient
from .errors import MockStartError

PathLike = Union[str, "os.PathLike[str]"]


class BytespikeMock(MockClient):
    """One bytespike-mock process: started on port 0, ready once it writes its port file, stopped
    with SIGTERM (then SIGKILL).

    The mock writes the port file atomically once it listens and its event loops run, so that is
    the readiness signal; `start()` makes no probe request of its own, which would take the first
    connection number from `on=accept` / `connection=N` fault rules. `health()` is there to call.

        with BytespikeMock() as mock:
            client = OpenAI(base_url=mock.base_url + "/v1", api_key="sk-byts-default-test-key-0001")
            mock.faults.add("503 first=1")
            ...

    Every control method of `MockClient` (reset, session, faults, clock, journal, verify) works
    once started. Not thread-safe to start and stop from several threads; the control calls are.
    """

    def __init__(self, binary: Optional[PathLike] = None, *, args: Sequence[str] = (), host: str = "127.0.0.1",
                 fixtures: Optional[PathLike] = None, seed: Optional[int] = None, admin_token: Optional[str] = None,
                 env: Optional[Mapping[str, str]] = None, start_timeout: float = 10.0, stop_timeout: float = 10.0,
                 timeout: float = 10.0) -> None:
        """`binary`: the executable (default: `find_binary()`); `args`: extra command-line flags;
        `fixtures`, `seed`, `admin_token`: the matching flags; `env`: extra environment for
        the process; timeouts in seconds (`timeout` for each control call)."""
        self._binary_arg = binary
        self._binary: Optional[Path] = None
        self._host = host
        flags = list(args)
        if fixtures is not None:
            flags += ["--fixtures", str(fixtures)]
        if seed is not None:
            flags += ["--seed", str(int(seed))]
        if admin_token is not None:
            flags += ["--admin-token", admin_token]
        self._flags = flags
        self._admin_token = admin_token
        self._env = dict(env or {})
        self._start_timeout = start_timeout
        self._stop_timeout = stop_timeout
        self._timeout = timeout
        self._proc: Optional[subprocess.Popen[bytes]] = None
        self._workdir: Optional[Path] = None
        # MockClient's transport, made in start(); `_transport` below refuses calls until then.
        self._t: Optional[Transport] = None  # type: ignore[assignment]
        self._finalizer: Optional[Callable[[], object]] = None
        self.port: Optional[int] = None
        self.returncode: Optional[int] = None

    # Life cycle.

    @property
    def binary(self) -> Path:
        """The executable this mock runs (or, before `start()`, would run)."""
        return self._binary if self._binary is not None else find_binary(self._binary_arg)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> "BytespikeMock":
        """Starts the process and waits for its port file; `MockStartError` (with its output) if it
        exits first or writes none within `start_timeout`."""
        if self._proc is not None:
            raise MockStartError("this BytespikeMock was already started")
        binary = self._binary = find_binary(self._binary_arg)
        self._workdir = Path(tempfile.mkdtemp(prefix="bytespike-mock-"))
        port_file = self._workdir / "port"
        argv = [str(binary), "--host", self._host, "--port", "0", "--port-file", str(port_file), *self._flags]
        with open(self._workdir / "stdout.log", "wb") as out, open(self._workdir / "stderr.log", "wb") as err:
            self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=self._workdir,
                                          env={**os.environ, **self._env} if self._env else None)
        self._finalizer = weakref.finalize(self, _kill, self._proc, self._workdir)
        try:
            self.port = self._wait_for_port(port_file)
            host = f"[{self._host}]" if ":" in self._host else self._host
            self._t = Transport(f"http://{host}:{self.port}", admin_token=self._admin_token, timeout=self._timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> Optional[int]:
        """SIGTERM, then SIGKILL after `stop_timeout`; returns the exit code (0 for a clean stop,
        negative for a signal) or None if it was never started. Idempotent."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=self._stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.returncode = proc.returncode
        return self.returncode

    def close(self) -> None:
        """Stops the process and removes its work directory (with its logs)."""
        self.stop()
        if self._finalizer is not None:
            self._finalizer()

    def __enter__(self) -> "BytespikeMock":
        return self.start() if self._proc is None else self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def logs(self) -> str:
        """What the process printed so far: its stdout, then its stderr."""
        if self._workdir is None:
            return ""
        parts = []
        for name in ("stdout", "stderr"):
            path = self._workdir / f"{name}.log"
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- {name} ---\n{text}")
        return "".join(parts)

    @property
    def _transport(self) -> Transport:
        if self._t is None or self._proc is None:
            raise MockStartError("the mock is not running: call start() or use `with BytespikeMock() as mock:`")
        if self._proc.poll() is not None:
            raise MockStartError(f"the mock is not running: it exited with code {self._proc.returncode}")
        return self._t

    # Start-up.

    def _wait_for_port(self, port_file: Path) -> int:
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            self._check_alive()
            text = port_file.read_text().strip() if port_file.exists() else ""
            if text.isdigit() and 0 < int(text) < 65536:
                return int(text)
            time.sleep(0.01)
        raise MockStartError(f"bytespike-mock wrote no port file within {self._start_timeout:g} s\n{self.logs()}")

    def _check_alive(self) -> None:
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise MockStartError(f"bytespike-mock exited early with code {self._proc.returncode}\n{self.logs()}")


def _kill(proc: "subprocess.Popen[bytes]", workdir: Path) -> None:
    """Last resort when a BytespikeMock is dropped or the interpreter exits without close()."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    shutil.rmtree(workdir, ignore_errors=True)
