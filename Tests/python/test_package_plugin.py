"""The package's pytest plugin, run as a user runs it (a separate pytest process whose plugin is
loaded by the `pytest11` entry point), and how the package finds the binary: an explicit path,
then `BYTESPIKE_MOCK_BIN`, then the binary bundled in the wheel, then PATH (never the package's
own console script, which would only loop back to this lookup).
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import bytespike_mock.binary as binary_module
from bytespike_mock import MockStartError, find_binary
from bytespike_mock.pytest_plugin import session_name

USER_TESTS = '''
import openai
import pytest

KEY = "sk-byts-default-test-key-0001"


def call(s):
    client = openai.OpenAI(base_url=s.base_url + "/v1", api_key=KEY, default_headers=s.headers, max_retries=0)
    return client.chat.completions.create(model="gpt-5-4-nano", messages=[{"role": "user", "content": "hi"}])


def test_a_fault_in_my_session_fails_only_me(bytespike_mock, bytespike_session):
    assert "test_a_fault_in_my_session_fails_only_me" in bytespike_session.session_name
    bytespike_session.faults.add("503 first=1")
    with pytest.raises(openai.InternalServerError):
        call(bytespike_session)
    assert call(bytespike_mock.session("someone-else")).choices[0].message.content
    assert [e["status"] for e in bytespike_session.journal.wait(1, status=503)] == [503]


def test_the_previous_tests_session_was_reset(bytespike_mock, bytespike_session):
    assert [r for r in bytespike_mock.faults.list() if r.origin == "runtime"] == []
    assert [e["session"] for e in bytespike_mock.journal.entries()] == ["someone-else"]
    assert call(bytespike_session).choices[0].message.content
    assert len(bytespike_session.journal.entries()) == 1


def test_ini_flags_reach_the_session_mock(bytespike_mock):
    assert bytespike_mock.journal.plan()["seed"] == "4242"
'''


def run_pytest(tmp_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\nbytespike_mock_args = --seed 4242\n")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})


def test_the_plugin_is_registered_by_its_entry_point():
    points = metadata.entry_points(group="pytest11")
    assert [p.value for p in points if p.name == "bytespike_mock"] == ["bytespike_mock.pytest_plugin"], \
        "bytespike-mock is not installed in this venv: run scripts/setup-venv"


def test_the_plugin_runs_a_users_tests_in_isolated_sessions(tmp_path):
    run = run_pytest(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout


def test_the_plugin_option_chooses_the_binary(tmp_path):
    run = run_pytest(tmp_path, "--bytespike-mock-bin", str(tmp_path / "missing"), "-k", "ini_flags")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "is not an executable file" in run.stdout and "1 error" in run.stdout


def test_the_docs_pytest_example_runs_as_written(tmp_path):
    docs = (Path(__file__).resolve().parents[2] / "docs" / "python.md").read_text()
    example = docs.split("## Ten lines with pytest", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "test_docs_example.py").write_text(example)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout + run.stderr


def test_session_names_follow_the_test_id_and_stay_short():
    assert session_name("tests/test_x.py::test_y[a b]", 3) == "tests/test_x.py::test_y[a_b]#3"
    long = session_name("t.py::test_" + "z" * 300, 12)
    assert len(long) == 128 and long.endswith("zz#12")


# Finding the binary

def fake_binary(path: Path, script: str = "#!/bin/sh\necho fake\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(script)
    path.chmod(0o755)
    return path


def test_lookup_order_explicit_env_bundled_path(tmp_path, monkeypatch):
    on_path = fake_binary(tmp_path / "path" / "bytespike-mock")
    bundled = fake_binary(tmp_path / "bundle" / "bytespike-mock")
    from_env = fake_binary(tmp_path / "env" / "bytespike-mock")
    explicit = fake_binary(tmp_path / "explicit" / "bytespike-mock")
    monkeypatch.setenv("PATH", str(on_path.parent))
    monkeypatch.setattr(binary_module, "BUNDLED", bundled)
    monkeypatch.setenv("BYTESPIKE_MOCK_BIN", str(from_env))
    assert find_binary(explicit) == explicit
    assert find_binary() == from_env
    monkeypatch.delenv("BYTESPIKE_MOCK_BIN")
    assert find_binary() == bundled
    monkeypatch.setattr(binary_module, "BUNDLED", tmp_path / "no-bundle" / "bytespike-mock")
    assert find_binary() == on_path
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(MockStartError, match="no bytespike-mock binary"):
        find_binary()


def test_a_wrong_explicit_or_env_path_is_an_error_not_a_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(fake_binary(tmp_path / "path" / "bytespike-mock").parent))
    with pytest.raises(MockStartError, match="binary argument"):
        find_binary(tmp_path / "missing")
    monkeypatch.setenv("BYTESPIKE_MOCK_BIN", str(tmp_path))  # a directory
    with pytest.raises(MockStartError, match="BYTESPIKE_MOCK_BIN"):
        find_binary()


def test_path_lookup_skips_the_packages_console_script(tmp_path, monkeypatch):
    script = fake_binary(tmp_path / "venv" / "bytespike-mock",
                         "#!/usr/bin/python3\nimport sys\nfrom bytespike_mock._cli import main\nsys.exit(main())\n")
    real = fake_binary(tmp_path / "real" / "bytespike-mock")
    monkeypatch.delenv("BYTESPIKE_MOCK_BIN", raising=False)
    monkeypatch.setattr(binary_module, "BUNDLED", tmp_path / "no-bundle" / "bytespike-mock")
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{real.parent}")
    assert find_binary() == real


def test_the_console_script_runs_the_binary_it_finds(tmp_path):
    script = Path(sys.executable).parent / "bytespike-mock"
    assert script.is_file(), "the console script is missing: run scripts/setup-venv"
    ok = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0 and "--port-file" in ok.stdout, ok.stderr
    # Nothing to run (no env, no bundle in the editable install, only itself on PATH): a message, no loop.
    env = {k: v for k, v in os.environ.items() if k != "BYTESPIKE_MOCK_BIN"}
    env["PATH"] = str(script.parent)
    lost = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=30, env=env)
    assert lost.returncode == 1 and "no bytespike-mock binary" in lost.stderr
