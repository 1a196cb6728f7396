"""The exceptions of the package. Every control-API failure is a `MockError` carrying the HTTP
status and the mock's error code and message; assertions a test makes through the mock
(`verify`, `journal.wait`) fail with `AssertionError` subclasses, so pytest reports them as
failed assertions."""

from __future__ import annotations


class MockError(Exception):
    """A control-API call the mock refused, or could not be made.

    `status` is the HTTP status (0 when no answer arrived), `code` the mock's error code
    (e.g. `invalid_fault`), `message` its explanation, `body` the decoded answer (None when
    there was none).
    """

    def __init__(self, status: int, code: str | None, message: str, body: object = None) -> None:
        super().__init__(f"{status} {code}: {message}" if code else f"{status}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.body = body


class MockStartError(RuntimeError):
    """The binary was not found, exited early, or did not become ready in time. The message
    includes what it printed."""


class UnsupportedByMock(MockError):
    """The running binary has no such control route (an older bytespike-mock)."""


class VerificationError(AssertionError):
    """`verify(...)` found a different number of matching requests than expected. The message
    is the mock's report (how many matched and the closest misses); `report` is its body."""

    def __init__(self, message: str, report: object) -> None:
        super().__init__(message)
        self.report = report


class JournalWaitTimeout(AssertionError, TimeoutError):
    """`journal.wait(...)` timed out before enough matching requests were recorded."""
