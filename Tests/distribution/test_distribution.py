"""The distributables as a user gets them (the `dist` stage of scripts/test; each test builds what
it checks, so this directory is slow and not part of Tests/python):

- `scripts/release`: the tarball holds the stripped release binary, README.md and LICENSE, and the
  binary needs nothing from the Swift toolchain (ldd lists only C runtime libraries);
- the wheel installs with `pip install --no-index` into a fresh venv, and a user's pytest run there
  uses the plugin against the binary bundled inside the wheel, with no BYTESPIKE_MOCK_BIN and no
  toolchain on PATH;
- `scripts/install` puts `bytespike-mock` on PATH (default prefix ~/.local) and can replace a
  binary that is running.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Dict

import pytest

from bytespike_mock import BytespikeMock, __version__

ROOT = Path(__file__).resolve().parents[2]
BARE_PATH = "/usr/bin:/bin"
C_RUNTIME = re.compile(r"(libnghttp2|linux-vdso|ld-linux[-\w.]*|libc|libm|libdl|librt|libpthread|libutil|libresolv|libgcc_s|libstdc\+\+)\.so[.\d]*")


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    run = subprocess.run([str(ROOT / "scripts" / "release"), "--out", str(out)], capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout + run.stderr
    [tarball] = out.glob("*.tar.gz")
    [wheel] = out.glob("*.whl")
    return {"tarball": tarball, "wheel": wheel}


def section_names(path: Path) -> set:
    """The section names of a 64-bit little-endian ELF file, read from its section header table."""
    data = path.read_bytes()
    assert data[:6] == b"\x7fELF\x02\x01", "not a 64-bit little-endian ELF file"
    u = lambda at, n: int.from_bytes(data[at:at + n], "little")  # noqa: E731
    shoff, shentsize, shnum, shstrndx = u(0x28, 8), u(0x3A, 2), u(0x3C, 2), u(0x3E, 2)
    names_at = u(shoff + shstrndx * shentsize + 0x18, 8)
    names = set()
    for i in range(shnum):
        start = names_at + u(shoff + i * shentsize, 4)
        names.add(data[start:data.index(b"\0", start)].decode())
    return names


def test_tarball_holds_the_stripped_binary_readme_and_license(release, tmp_path):
    name = f"bytespike-mock-{__version__}-linux-{os.uname().machine}"
    assert release["tarball"].name == f"{name}.tar.gz"
    with tarfile.open(release["tarball"]) as tar:
        assert sorted(tar.getnames()) == [name, f"{name}/LICENSE", f"{name}/README.md", f"{name}/bytespike-mock"]
        assert all(m.uid == 0 and m.gid == 0 for m in tar.getmembers())
        # Our own tarball; the "data" filter where this Python has it (3.11.4+).
        tar.extractall(tmp_path, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    unpacked = tmp_path / name
    assert (unpacked / "README.md").read_bytes() == (ROOT / "README.md").read_bytes()
    assert (unpacked / "LICENSE").read_bytes() == (ROOT / "LICENSE").read_bytes()
    binary = unpacked / "bytespike-mock"
    sections = section_names(binary)
    assert ".text" in sections and ".symtab" not in sections and ".debug_info" not in sections
    ldd = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout
    libs = [line.split()[0] for line in ldd.splitlines() if line.strip()]
    assert libs and all(C_RUNTIME.fullmatch(Path(lib).name) for lib in libs), ldd
    help_run = subprocess.run([str(binary), "--help"], capture_output=True, text=True, env={"PATH": BARE_PATH}, timeout=30)
    assert help_run.returncode == 0 and "--port-file" in help_run.stdout
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, env={"PATH": BARE_PATH}, timeout=30)
    assert version.returncode == 0 and version.stdout == f"bytespike-mock {__version__}\n"


def test_the_release_version_is_the_binarys_and_the_packages(release):
    version_script = ROOT / "scripts" / "version"
    assert subprocess.run([str(version_script)], capture_output=True, text=True, check=True).stdout.strip() == __version__
    assert release["wheel"].name.startswith(f"bytespike_mock-{__version__}-py3-none-manylinux_2_")


def test_the_wheel_bundles_an_executable_binary(release):
    with zipfile.ZipFile(release["wheel"]) as whl:
        info = whl.getinfo("bytespike_mock/bin/bytespike-mock")
        assert (info.external_attr >> 16) & 0o111 == 0o111
        names = whl.namelist()
        assert "bytespike_mock/py.typed" in names
        entry_points = whl.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "[pytest11]\nbytespike_mock = bytespike_mock.pytest_plugin" in entry_points
    assert re.search(r"manylinux_2_\d+_(x86_64|aarch64)\.whl$", release["wheel"].name)


USER_TESTS = '''
import json
import urllib.error
import urllib.request

import pytest

from bytespike_mock.binary import BUNDLED


def test_the_plugin_runs_the_bundled_binary(bytespike_mock):
    assert bytespike_mock.binary == BUNDLED and "site-packages" in str(BUNDLED)
    assert bytespike_mock.health()["status"] == "ok"


def test_a_session_fault_fails_one_call(bytespike_session):
    bytespike_session.faults.add("503 first=1")
    body = json.dumps({"model": "gpt-5-4-nano", "messages": [{"role": "user", "content": "hi"}]}).encode()
    headers = {"Authorization": "Bearer sk-byts-default-test-key-0001", "Content-Type": "application/json",
               **bytespike_session.headers}
    call = lambda: urllib.request.urlopen(urllib.request.Request(
        bytespike_session.base_url + "/v1/chat/completions", data=body, headers=headers), timeout=10)
    with pytest.raises(urllib.error.HTTPError) as failed:
        call()
    assert failed.value.code == 503
    with call() as ok:
        assert json.load(ok)["object"] == "chat.completion"
    assert [e["status"] for e in bytespike_session.journal.wait(2)] == [503, 200]
'''


def test_the_wheel_in_a_fresh_venv_runs_the_plugin_against_the_bundled_binary(release, tmp_path):
    venv, wheelhouse, project = tmp_path / "venv", tmp_path / "wheelhouse", tmp_path / "project"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pytest_pin = f"pytest=={metadata.version('pytest')}"
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest", str(wheelhouse),
                    pytest_pin], check=True, timeout=300)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-index", "--find-links", str(wheelhouse),
                    str(release["wheel"]), pytest_pin], check=True, timeout=300)

    project.mkdir()
    (project / "test_user.py").write_text(USER_TESTS)
    env = {"PATH": f"{venv / 'bin'}:{BARE_PATH}", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    run = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "2 passed" in run.stdout, run.stdout + run.stderr

    cli = subprocess.run(["bytespike-mock", "--help"], env=env, capture_output=True, text=True, timeout=30)
    assert cli.returncode == 0 and "--port-file" in cli.stdout, cli.stderr


def test_install_puts_the_binary_on_path_and_replaces_a_running_one(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    install = str(ROOT / "scripts" / "install")
    first = subprocess.run([install], env={**os.environ, "HOME": str(home)}, capture_output=True, text=True, timeout=1200)
    assert first.returncode == 0, first.stdout + first.stderr
    target = home / ".local" / "bin" / "bytespike-mock"
    assert target.is_file() and os.access(target, os.X_OK)
    assert f"{target.parent} is not on your PATH" in first.stdout

    on_path = subprocess.run(["bash", "-c", "command -v bytespike-mock && bytespike-mock --help"],
                             env={"PATH": f"{target.parent}:{BARE_PATH}"}, capture_output=True, text=True, timeout=30)
    assert on_path.returncode == 0 and on_path.stdout.startswith(f"{target}\n") and "--port-file" in on_path.stdout

    with BytespikeMock(binary=target) as running:
        again = subprocess.run([install, str(home / ".local")], capture_output=True, text=True, timeout=1200)
        assert again.returncode == 0, again.stdout + again.stderr
        assert running.health()["status"] == "ok"
    assert running.returncode == 0
    assert [p.name for p in target.parent.iterdir()] == ["bytespike-mock"]  # no temporary file left

    usage = subprocess.run([install, "--help"], capture_output=True, text=True, timeout=30)
    assert usage.returncode == 2 and "usage: scripts/install [PREFIX]" in usage.stderr
