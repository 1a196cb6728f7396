"""Start bytespike-mock from Python tests and steer it: sessions, fault rules, the virtual clock,
the journal and verify. A pytest plugin (`bytespike_mock`, `bytespike_session` fixtures) comes
with the package.

    from bytespike_mock import BytespikeMock

    with BytespikeMock() as mock:
        mock.faults.add("429 first=1")
        ...  # point an SDK at mock.base_url
"""

from .binary import find_binary
from .clock import Clock, ClockState
from .control import SESSION_HEADER, MockClient
from .errors import JournalWaitTimeout, MockError, MockStartError, UnsupportedByMock, VerificationError
from .faults import FaultRule, Faults
from .journal import Journal, JournalEntry
from .process import BytespikeMock

__version__ = "0.1.0"

__all__ = [
    "BytespikeMock", "MockClient", "SESSION_HEADER", "find_binary",
    "Faults", "FaultRule", "Clock", "ClockState", "Journal", "JournalEntry",
    "MockError", "MockStartError", "UnsupportedByMock", "VerificationError", "JournalWaitTimeout",
]
