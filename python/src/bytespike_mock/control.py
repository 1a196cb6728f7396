"""`MockClient`: the control API of one running mock, optionally seen through one session.

A session (`X-Mock-Session: NAME`) lets tests share one mock: fault rules and reply rules added
through it act only on its requests, its journal views show only its requests, and `reset()`
resets only its rules, counters and journal. Accounting and the clock stay global.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional, Union

from ._http import Body, QueryValue, Transport
from .clock import Clock
from .errors import MockError, UnsupportedByMock, VerificationError
from .faults import Faults
from .journal import Journal, JournalEntry

SESSION_HEADER = "X-Mock-Session"
_SESSION_NAME = re.compile(r"[!-~]{1,128}")


class MockClient:
    """Steers one running mock. Holds no state of its own beyond where the mock is and which
    session it speaks for, so any number of clients (and threads) may share one mock."""

    def __init__(self, base_url: str, *, session: Optional[str] = None, admin_token: Optional[str] = None,
                 timeout: float = 10.0) -> None:
        if session is not None:
            check_session_name(session)
        self._t = Transport(base_url, session=session, admin_token=admin_token, timeout=timeout)

    # Where the mock is, and the session headers an SDK client should send.

    @property
    def _transport(self) -> Transport:
        return self._t

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`, without a trailing slash. SDKs: `base_url + "/v1"` for OpenAI,
        `base_url` for Anthropic and Google."""
        return self._transport.base_url

    @property
    def session_name(self) -> Optional[str]:
        """The session this client speaks for (None: the whole mock)."""
        return self._transport.session

    @property
    def headers(self) -> Dict[str, str]:
        """The headers that put a gateway request in this client's session (`{}` without one).
        Pass them as an SDK's `default_headers` (OpenAI, Anthropic) or `http_options.headers` (Google)."""
        return {SESSION_HEADER: self.session_name} if self.session_name else {}

    def session(self, name: str) -> "MockClient":
        """The same mock seen through session `name`."""
        t = self._transport
        return MockClient(t.base_url, session=name, admin_token=t.admin_token, timeout=t.timeout)

    # The control API.

    @property
    def faults(self) -> Faults:
        return Faults(self._transport)

    @property
    def clock(self) -> Clock:
        return Clock(self._transport)

    @property
    def journal(self) -> Journal:
        return Journal(self._transport)

    def health(self) -> Dict[str, Any]:
        """`/__mock/health`: status, model, key, fault, journal, task and file counts, the clock's `now`."""
        _, answer = self._transport.call("GET", "/__mock/health")
        return dict(answer)

    def reset(self) -> None:
        """Back to the fixture state; through a session, only that session's rules, counters and journal."""
        self._transport.call("POST", "/__mock/reset")

    def verify(self, count: Union[int, Mapping[str, int], None] = None, **match: Any) -> List[JournalEntry]:
        """Asserts that the mock received the requests `match` describes, `count` times.

        `match` is the mock's matcher (e.g. `path="/v1/chat/completions", body_contains="hi"`),
        `count` a number (exactly that many), `{"at_least": n}` or `{"at_most": n}`; without it,
        at least one. Returns the matched entries; raises `VerificationError` (an AssertionError)
        with the mock's report otherwise. A mock without `POST /__mock/verify` raises
        `UnsupportedByMock`.
        """
        body: Dict[str, Any] = {"match": match}
        if count is not None:
            if isinstance(count, bool) or not isinstance(count, (int, Mapping)):
                raise TypeError("count must be a whole number or a mapping such as {'at_least': 2}")
            if isinstance(count, int) and count < 0:
                raise ValueError("count must be 0 or more")
            body["count"] = {"exactly": count} if isinstance(count, int) else dict(count)
        return self._verify(body)

    def verify_sequence(self, *steps: Mapping[str, Any]) -> List[JournalEntry]:
        """Asserts that requests matching `steps` (matchers, as for `verify`) arrived in this order."""
        if not steps:
            raise ValueError("give at least one matcher")
        return self._verify({"sequence": [dict(step) for step in steps]})

    def _verify(self, body: Mapping[str, Any]) -> List[JournalEntry]:
        try:
            _, answer = self._transport.call("POST", "/__mock/verify", body)
        except MockError as e:
            if e.status == 404:
                raise UnsupportedByMock(404, e.code, "this bytespike-mock has no POST /__mock/verify; "
                                                     "use a newer binary, or journal.entries(...) to count requests") from None
            if e.status == 422:
                raise VerificationError(e.message, e.body) from None
            raise
        return list(answer.get("entries", [])) if isinstance(answer, dict) else []

    def request(self, method: str, path: str, body: Body = None, **query: Optional[QueryValue]) -> Any:
        """Any other control call (`/__mock/replies`, `/__mock/spend`, …): the decoded JSON answer."""
        if not path.startswith("/"):
            raise ValueError("path must start with '/', e.g. '/__mock/replies'")
        _, answer = self._transport.call(method.upper(), path, body, query=query)
        return answer


def check_session_name(name: str) -> None:
    """Session names travel in a header and in fault selectors: 1–128 visible ASCII characters."""
    if not isinstance(name, str) or not _SESSION_NAME.fullmatch(name):
        raise ValueError(f"session name must be 1-128 visible ASCII characters (no spaces), got {name!r}")
