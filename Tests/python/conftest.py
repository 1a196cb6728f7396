"""Shared pytest fixtures: run the already-built bytespike-mock binary for the whole session.

Build first (`swift build`), set up the venv (`scripts/setup-venv`), then run
`.venv/bin/python -m pytest -q Tests/python`. `BYTESPIKE_MOCK_BIN` overrides the binary path
(default: <repo>/.build/debug/bytespike-mock).

The server runs with its built-in (embedded) fixtures, and the tests compute what they expect
from Fixtures/catalog.json and Fixtures/keys.json, so a stale embedding shows up as a failure.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Fixtures"
DEFAULT_BIN = ROOT / ".build" / "debug" / "bytespike-mock"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0

# The fields of a /v1/models object, in the order the gateway documents them.
MODEL_FIELDS = (
    "id", "object", "owned_by", "family", "capabilities", "context_window", "max_output_tokens",
    "input_modalities", "output_modalities", "pricing_url", "created",
)


def glob_match(pattern: str, text: str) -> bool:
    """The gateway's group glob: `*` matches any run of characters, everything else itself."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, text, flags=re.DOTALL) is not None


class Fixtures:
    """The fixture files, with the look-ups the tests need to compute expected answers."""

    def __init__(self) -> None:
        self.catalog = json.loads((FIXTURES / "catalog.json").read_text())
        self.keys_file = json.loads((FIXTURES / "keys.json").read_text())
        self.models: list[dict] = self.catalog["models"]
        self.retired: list[dict] = self.catalog["retired"]
        self.groups: dict[str, dict] = {g["name"]: g for g in self.keys_file["groups"]}
        self.accounts: dict[str, dict] = {a["id"]: a for a in self.keys_file["accounts"]}
        self.keys: dict[str, dict] = {k["id"]: k for k in self.keys_file["keys"]}

    def secret(self, key_id: str) -> str:
        return self.keys[key_id]["secret"]

    def group_models(self, group: str) -> list[dict]:
        """The models a routing group reaches, in catalog order."""
        patterns = self.groups[group]["models"]
        return [m for m in self.models if any(glob_match(p, m["id"]) for p in patterns)]

    def group_ids(self, group: str) -> list[str]:
        return [m["id"] for m in self.group_models(group)]

    def model(self, model_id: str) -> dict:
        return next(m for m in self.models if m["id"] == model_id)

    @staticmethod
    def public(model: dict) -> dict:
        """A catalog entry reduced to the fields /v1/models exposes."""
        return {k: model[k] for k in MODEL_FIELDS}


@pytest.fixture(scope="session")
def fixtures() -> Fixtures:
    return Fixtures()


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory):
    """Starts bytespike-mock on a free loopback port; yields `http://127.0.0.1:PORT`.

    A server that cannot start stops the whole run (pytest.exit) rather than failing every test.
    Teardown sends SIGTERM and asserts a clean exit (code 0) within STOP_TIMEOUT seconds.
    """
    binary = Path(os.environ.get("BYTESPIKE_MOCK_BIN", str(DEFAULT_BIN)))
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.exit(f"bytespike-mock binary not found at {binary}: run `swift build` first "
                    "or set BYTESPIKE_MOCK_BIN", returncode=1)

    workdir = tmp_path_factory.mktemp("bytespike-mock")
    port_file = workdir / "port"
    stdout_path, stderr_path = workdir / "stdout.log", workdir / "stderr.log"

    def logs() -> str:
        return (f"--- stdout ---\n{stdout_path.read_text(errors='replace')}"
                f"--- stderr ---\n{stderr_path.read_text(errors='replace')}")

    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            [str(binary), "--host", "127.0.0.1", "--port", "0", "--port-file", str(port_file)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=workdir,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        port = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.exit(f"bytespike-mock exited early with code {proc.returncode}\n{logs()}", returncode=1)
            if port_file.exists():
                text = port_file.read_text().strip()
                if text.isdigit():
                    port = int(text)
                    break
            time.sleep(0.02)
        if port is None:
            pytest.exit(f"bytespike-mock wrote no port file within {START_TIMEOUT:.0f} s\n{logs()}", returncode=1)
        assert 0 < port < 65536

        yield f"http://127.0.0.1:{port}"

        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"bytespike-mock did not exit within {STOP_TIMEOUT:.0f} s of SIGTERM\n{logs()}", pytrace=False)
        assert code == 0, f"bytespike-mock exited with code {code} after SIGTERM\n{logs()}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
