"""The `bytespike-mock` console script of the wheel: runs the bundled binary with the same
arguments (`pip install bytespike-mock…whl` puts the mock on the venv's PATH)."""

from __future__ import annotations

import os
import sys

from .binary import find_binary
from .errors import MockStartError


def main() -> None:
    try:
        binary = find_binary()
    except MockStartError as e:
        sys.exit(f"bytespike-mock: {e}")
    os.execv(str(binary), [str(binary), *sys.argv[1:]])
