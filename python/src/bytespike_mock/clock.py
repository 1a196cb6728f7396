"""The mock's virtual clock (`/__mock/clock`). Rate windows, key expiry, task timelines and file
expiry follow it. The clock is global to the mock: a session does not get its own."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Union

from ._http import Transport

TimeLike = Union[int, str, _dt.datetime]


@dataclass(frozen=True)
class ClockState:
    """What the clock reads: Unix seconds, the same as RFC 3339, milliseconds, and whether frozen."""

    now: int
    now_iso: str
    now_ms: int
    frozen: bool
    time_scale: float

    @classmethod
    def from_json(cls, o: Mapping[str, Any]) -> "ClockState":
        return cls(now=o["now"], now_iso=o["now_iso"], now_ms=o["now_ms"], frozen=o["frozen"], time_scale=o["time_scale"])


class Clock:
    """`mock.clock`: freeze, advance, set, resume, reset. Each call returns the new state."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def state(self) -> ClockState:
        _, answer = self._t.call("GET", "/__mock/clock")
        return ClockState.from_json(answer)

    def now(self) -> int:
        """The virtual time in Unix seconds."""
        return self.state().now

    def freeze(self, at: Optional[TimeLike] = None) -> ClockState:
        """Stops the clock, at `at` (Unix seconds, RFC 3339 or an aware datetime) or where it is."""
        body: dict[str, Any] = {"action": "freeze"}
        if at is not None:
            body["time"] = _time(at)
        return self._change(body)

    def advance(self, seconds: float = 0, *, ms: Optional[int] = None) -> ClockState:
        """Moves the clock forward by `seconds` (fractional allowed) or by `ms` milliseconds."""
        if ms is not None:
            if seconds:
                raise ValueError("give seconds or ms, not both")
            return self._change({"action": "advance", "ms": ms})
        return self._change({"action": "advance", "seconds": seconds})

    def set(self, at: TimeLike) -> ClockState:
        """Freezes the clock at `at`."""
        return self._change({"action": "set", "time": _time(at)})

    def resume(self) -> ClockState:
        """Lets a frozen clock run again from where it stands."""
        return self._change({"action": "resume"})

    def reset(self) -> ClockState:
        """Back to real time, running."""
        return self._change({"action": "reset"})

    def _change(self, body: Mapping[str, Any]) -> ClockState:
        _, answer = self._t.call("POST", "/__mock/clock", body)
        return ClockState.from_json(answer)


def _time(at: TimeLike) -> Union[int, str]:
    if isinstance(at, _dt.datetime):
        if at.tzinfo is None:
            raise ValueError("a naive datetime is ambiguous: give it a tzinfo (e.g. timezone.utc)")
        return int(at.timestamp())
    return at
