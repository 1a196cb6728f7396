"""The pytest plugin (entry point `pytest11`, loaded automatically once the package is installed).

Fixtures:
- `bytespike_mock` (session scope): one `BytespikeMock` for the whole run. Its teardown fails the
  run if the mock did not exit cleanly (code 0) on SIGTERM.
- `bytespike_session` (per test): the same mock seen through a session of its own
  (`X-Mock-Session`), named after the test; the session is reset after the test. Send its
  `headers` with every SDK call so the journal, faults and verify see only this test's requests.
- `bytespike_mock_args` (session scope): extra command-line flags for the mock; override it in a
  conftest.py, or set the `bytespike_mock_args` ini option.

Options: `--bytespike-mock-bin PATH` chooses the executable (otherwise `BYTESPIKE_MOCK_BIN`, the
binary bundled in the wheel, then PATH).
"""

from __future__ import annotations

import itertools
import re
from typing import Iterator, List

import pytest

from .control import MockClient
from .process import BytespikeMock

_counter = itertools.count(1)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bytespike-mock")
    group.addoption("--bytespike-mock-bin", default=None, metavar="PATH",
                    help="bytespike-mock executable (default: $BYTESPIKE_MOCK_BIN, the bundled binary, then PATH)")
    parser.addini("bytespike_mock_args", type="args", default=[],
                  help="extra command-line flags for the session's bytespike-mock (e.g. --seed 7)")


@pytest.fixture(scope="session")
def bytespike_mock_args(pytestconfig: pytest.Config) -> List[str]:
    """Extra flags for the session mock: the `bytespike_mock_args` ini option, or override this fixture."""
    return list(pytestconfig.getini("bytespike_mock_args"))


@pytest.fixture(scope="session")
def bytespike_mock(pytestconfig: pytest.Config, bytespike_mock_args: List[str]) -> Iterator[BytespikeMock]:
    """A running bytespike-mock shared by the whole test run."""
    mock = BytespikeMock(pytestconfig.getoption("bytespike_mock_bin"), args=bytespike_mock_args)
    mock.start()
    try:
        yield mock
        code = mock.stop()
        if code != 0:
            pytest.fail(f"bytespike-mock exited with code {code} after SIGTERM\n{mock.logs()}", pytrace=False)
    finally:
        mock.close()


@pytest.fixture
def bytespike_session(bytespike_mock: BytespikeMock, request: pytest.FixtureRequest) -> Iterator[MockClient]:
    """This test's own session on the shared mock; reset (its rules, counters, journal) afterwards."""
    session = bytespike_mock.session(session_name(request.node.nodeid, next(_counter)))
    yield session
    if bytespike_mock.running:
        session.reset()


def session_name(nodeid: str, n: int) -> str:
    """A readable, unique session name: the test id (its tail if long) and a counter."""
    suffix = f"#{n}"
    text = re.sub(r"[^!-~]", "_", nodeid)
    return text[-(128 - len(suffix)):] + suffix
