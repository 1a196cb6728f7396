"""Where the `bytespike-mock` executable is: an explicit path, then `BYTESPIKE_MOCK_BIN`, then the
binary bundled in the wheel (`bytespike_mock/bin/bytespike-mock`), then `PATH`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Union

from .errors import MockStartError

ENV_VAR = "BYTESPIKE_MOCK_BIN"
NAME = "bytespike-mock"
BUNDLED = Path(__file__).resolve().parent / "bin" / NAME


def find_binary(explicit: Union[str, "os.PathLike[str]", None] = None) -> Path:
    """The executable to run; `MockStartError` listing every place looked when there is none.

    An explicit path or `BYTESPIKE_MOCK_BIN` that is not an executable file is an error rather
    than a reason to look further: a test must not silently run a different binary.
    """
    for source, value in (("binary argument", explicit), (ENV_VAR, os.environ.get(ENV_VAR))):
        if value is not None and str(value) != "":
            path = Path(value).expanduser()
            if not _executable(path):
                raise MockStartError(f"{source} {str(value)!r} is not an executable file")
            return path
    if _executable(BUNDLED):
        return BUNDLED
    for found in _on_path():
        return found
    raise MockStartError(
        f"no {NAME} binary: pass binary=..., set {ENV_VAR}, install the wheel that bundles it, or put it on PATH "
        f"(looked in {BUNDLED} and on PATH)")


def _on_path() -> List[Path]:
    """`bytespike-mock` on PATH, skipping this package's own console script (it execs the bundled
    binary, so running it from here would only loop back)."""
    found = []
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(directory or ".") / NAME
        if _executable(candidate) and not _is_console_script(candidate):
            found.append(candidate)
    return found


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _is_console_script(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return head.startswith(b"#!") and b"bytespike_mock._cli" in head


__all__ = ["find_binary", "ENV_VAR", "BUNDLED"]
