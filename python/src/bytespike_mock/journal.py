"""The journal (`/__mock/journal`): every gateway request the mock answered, newest last. Through
a session, every view sees only that session's requests.

Filters are keyword arguments passed to the mock as query parameters: `surface`, `path` (glob),
`model` (glob), `key` (key id), `status` (`429`, `"4xx"`, or a list such as `[200, 503]`),
`faulted`, `rule`, `stream` (booleans), `since` (a journal index), and whatever else the running
mock knows; a list repeats its parameter, except `status`, which the mock reads as one
comma-separated value. The mock rejects an unknown filter with a 400 that lists the valid ones
(raised as `MockError`).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional
from urllib.parse import quote

from ._http import QueryValue, Transport
from .errors import JournalWaitTimeout, MockError

JournalEntry = Dict[str, Any]
"""One journal entry as the mock sends it: `id` (the response's X-Request-Id), `index`, `seq`,
`session`, `time`, `method`, `path`, `surface`, `key`, `model`, `stream`, `status`, `attempt`,
`events`, `bytes`, `duration_ms`, `faults`, …"""


class Journal:
    """`mock.journal`: read, wait for, and clear the recorded requests."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def entries(self, *, limit: Optional[int] = None, **filters: Optional[QueryValue]) -> List[JournalEntry]:
        """The matching entries, oldest first (the newest `limit`, the mock's default 1000)."""
        _, answer = self._t.call("GET", "/__mock/journal", query={**_query(filters), "limit": limit})
        return list(answer["entries"])

    def entry(self, request_id: str) -> JournalEntry:
        """One entry by request id (the response's `X-Request-Id`); `MockError` 404 when unknown."""
        _, answer = self._t.call("GET", f"/__mock/journal/{quote(request_id, safe='')}")
        return dict(answer)

    def wait(self, count: int = 1, *, timeout: float = 5.0, **filters: Optional[QueryValue]) -> List[JournalEntry]:
        """Blocks until `count` matching entries exist and returns them (all matching, oldest first).

        The mock does the waiting (`/__mock/journal/wait`), so a test needs no sleeps. Raises
        `JournalWaitTimeout` (an AssertionError) after `timeout` seconds, with the mock's
        "k of n matching requests recorded" message.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        timeout_ms = round(timeout * 1000)
        if not 0 <= timeout_ms <= 600_000:
            raise ValueError("timeout must be between 0 and 600 seconds")
        try:
            _, answer = self._t.call("GET", "/__mock/journal/wait",
                                     query={**_query(filters), "count": count, "timeout_ms": timeout_ms},
                                     timeout=timeout + self._t.timeout)
        except MockError as e:
            if e.status == 408:
                raise JournalWaitTimeout(e.message) from None
            raise
        return list(answer["entries"])

    def clear(self) -> None:
        """Forgets the entries (of this session, through a session)."""
        self._t.call("DELETE", "/__mock/journal")

    def plan(self) -> Mapping[str, Any]:
        """The run's fault decisions as a faults file (`{"faults": [...]}`) that replays them."""
        _, answer = self._t.call("GET", "/__mock/journal/plan")
        return dict(answer)


def _query(filters: Mapping[str, Optional[QueryValue]]) -> Dict[str, Optional[QueryValue]]:
    """The filters as query parameters: a `status` list becomes the mock's `200,503` form."""
    out = dict(filters)
    status = out.get("status")
    if isinstance(status, (list, tuple)):
        out["status"] = ",".join(str(s) for s in status)
    return out
