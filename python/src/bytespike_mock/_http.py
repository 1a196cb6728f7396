"""The control API's transport: JSON over HTTP/1.1 with the standard library only, never
through a proxy (the mock is on loopback; an `HTTP_PROXY` in the environment must not reroute
it)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Mapping, Optional, Sequence, Tuple, Union

from .errors import MockError

Body = Union[str, bytes, Mapping[str, Any], Sequence[Any], None]
QueryValue = Union[str, int, float, bool, Sequence[Union[str, int]]]

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def query_string(params: Mapping[str, Optional[QueryValue]]) -> str:
    """`?a=1&b=true&c=x&c=y`: booleans lower-case, a list repeats its parameter, None is left out."""
    pairs: list[Tuple[str, str]] = []
    for name, value in params.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if v is not None:
                pairs.append((name, ("true" if v else "false") if isinstance(v, bool) else str(v)))
    return "?" + urllib.parse.urlencode(pairs) if pairs else ""


class Transport:
    """Sends control calls to one mock, with an optional session and admin token.

    Immutable after construction; safe to share between threads (each call opens its own
    connection).
    """

    def __init__(self, base_url: str, *, session: Optional[str] = None, admin_token: Optional[str] = None,
                 timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.admin_token = admin_token
        self.timeout = timeout

    def call(self, method: str, path: str, body: Body = None, *, query: Optional[Mapping[str, Optional[QueryValue]]] = None,
             timeout: Optional[float] = None) -> Tuple[int, Any]:
        """Sends one call; returns (status, decoded JSON) for a 2xx answer, raises `MockError` otherwise."""
        headers = {"Accept": "application/json"}
        data: Optional[bytes] = None
        if isinstance(body, str):
            data, headers["Content-Type"] = body.encode(), "text/plain; charset=utf-8"
        elif isinstance(body, bytes):
            data, headers["Content-Type"] = body, "application/octet-stream"
        elif body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        if self.session:
            headers["X-Mock-Session"] = self.session
        if self.admin_token:
            headers["Authorization"] = f"Bearer {self.admin_token}"
        url = self.base_url + path + (query_string(query) if query else "")
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with _opener.open(request, timeout=self.timeout if timeout is None else timeout) as response:
                return response.status, _decode(response.read())
        except urllib.error.HTTPError as e:
            raise error_from(e.code, e.read()) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise MockError(0, None, f"{method} {url} failed: {reason}") from None


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def error_from(status: int, raw: bytes) -> MockError:
    """A `MockError` from an error answer: the mock's `{"error": {"code", "message"}}` envelope, or the raw text."""
    payload = _decode(raw)
    code, message = None, payload if isinstance(payload, str) else json.dumps(payload)
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        err = payload["error"]
        code = err.get("code") or err.get("type")
        message = err.get("message") or message
    return MockError(status, code, message, payload)
