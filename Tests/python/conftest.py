"""Shared pytest fixtures: run the already-built bytespike-mock binary for the whole session,
through the repository's own Python package and pytest plugin (python/), so every run exercises it.

Build first (`swift build`), set up the venv (`scripts/setup-venv`), then run
`.venv/bin/python -m pytest -q Tests/python`. `BYTESPIKE_MOCK_BIN` overrides the binary path
(default: <repo>/.build/debug/bytespike-mock).

The server runs with its built-in (embedded) fixtures, and the tests compute what they expect
from Fixtures/catalog.json and Fixtures/keys.json, so a stale embedding shows up as a failure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Fixtures"
DEFAULT_BIN = ROOT / ".build" / "debug" / "bytespike-mock"
# The plugin and mockproc find the binary through BYTESPIKE_MOCK_BIN; default it to the debug build.
os.environ.setdefault("BYTESPIKE_MOCK_BIN", str(DEFAULT_BIN))

# scripts/setup-venv installs python/ editable, and its pytest11 entry point loads the plugin. A venv
# made before that (or by hand) gets the same plugin from the source tree instead.
if importlib.util.find_spec("bytespike_mock") is None:
    sys.path.insert(0, str(ROOT / "python" / "src"))
    pytest_plugins = ["bytespike_mock.pytest_plugin"]

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
def base_url(bytespike_mock) -> str:
    """`http://127.0.0.1:PORT` of the session's mock: the `bytespike_mock` fixture of the project's own
    pytest plugin (python/, installed editable by scripts/setup-venv), which starts the binary on a
    free loopback port and, at teardown, fails the run unless SIGTERM stops it with exit code 0."""
    return bytespike_mock.base_url
