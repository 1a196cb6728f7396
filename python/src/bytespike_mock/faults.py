"""Fault rules at run time (`/__mock/faults`): add, list, get, remove, clear. Rules added through
a session act only on that session's requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Mapping, Sequence, Union
from urllib.parse import quote

from ._http import Transport
from .errors import MockError

FaultSpec = Union[str, Mapping[str, Any], Sequence[Union[str, Mapping[str, Any]]]]


@dataclass(frozen=True)
class FaultRule:
    """One rule as the mock lists it, with its counters (requests matched, faults applied)."""

    id: str
    spec: str
    origin: str
    stage: str
    session: Union[str, None]
    matched: int
    applied: int

    @classmethod
    def from_json(cls, o: Mapping[str, Any]) -> "FaultRule":
        return cls(id=o["id"], spec=o["spec"], origin=o["origin"], stage=o["stage"], session=o.get("session"),
                   matched=o["matched"], applied=o["applied"])


class Faults:
    """`mock.faults`: the runtime fault rules. Stateless apart from its transport."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def add(self, spec: FaultSpec) -> List[FaultRule]:
        """Adds rules and returns them with their ids.

        `spec` is a rule in the mock's grammar (`"429 retry_after=1 first=2"`, several joined
        by `;`), a rule object (`{"fault": 429, "first": 1}`), or a list of either. A bad spec
        raises `MockError` (400 `invalid_fault`) naming the mistake.
        """
        if isinstance(spec, (str, Mapping)):
            body: Any = spec
        else:
            body = {"faults": list(spec)}
        _, answer = self._t.call("POST", "/__mock/faults", body)
        return [FaultRule.from_json(o) for o in answer["faults"]]

    def list(self) -> List[FaultRule]:
        """Every rule in the order tried (runtime, command line, fixtures), with counters."""
        _, answer = self._t.call("GET", "/__mock/faults")
        return [FaultRule.from_json(o) for o in answer["faults"]]

    def get(self, rule_id: str) -> FaultRule:
        _, answer = self._t.call("GET", f"/__mock/faults/{_segment(rule_id)}")
        return FaultRule.from_json(answer)

    def remove(self, rule_id: str) -> bool:
        """Removes one runtime rule; False when there was none by that id."""
        try:
            self._t.call("DELETE", f"/__mock/faults/{_segment(rule_id)}")
        except MockError as e:
            if e.status == 404:
                return False
            raise
        return True

    def clear(self) -> None:
        """Removes every runtime rule (of this session, through a session)."""
        self._t.call("DELETE", "/__mock/faults")


def _segment(text: str) -> str:
    return quote(text, safe="")
