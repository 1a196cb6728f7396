"""The accounting engine against the running mock: billing through `/__mock/spend`, the usage,
balance, account and wallet reads, the accounting envelope, the order of the admission checks, the
rolling windows on a frozen clock, wallet top-ups and the admin key-management API.

Every expected value is computed from Fixtures/keys.json and Fixtures/catalog.json (see conftest)
and the documented pricing rule. Money is compared exactly, as integer micro-USD credits: headers
are parsed from their six-decimal strings and JSON numbers are read as `Decimal`.

The server fixture is session-scoped and these tests change its state, so an autouse fixture calls
`POST /__mock/reset` (ledger, wallets, runtime key changes and the clock) before and after each
test.
"""

from __future__ import annotations

import calendar
import re
import time
from decimal import Decimal

import pytest
import requests

from conftest import Fixtures
from mockproc import running_mock

FX = Fixtures()  # module-level copy for parametrisation; tests use the `fixtures` fixture
HTTP_TIMEOUT = 10
REQUEST_ID = re.compile(r"^req_[0-9a-f]{24}$")
USD6 = re.compile(r"^-?\d+\.\d{6}$")
SECRET = re.compile(r"^sk-byts-[0-9a-f]{32}$")

ADMIN = "sk-byts-admin-test-key-0001"
ORG = "sk-byts-org-test-key-0001"
DEFAULT = "sk-byts-default-test-key-0001"
CLAUDE = "sk-byts-claude-test-key-0001"
TINY = "sk-byts-tiny-quota-key-0001"
RATE = "sk-byts-rate-limited-key-0001"
BROKE = "sk-byts-broke-test-key-0001"

H5, D1, D7 = 5 * 3600, 86_400, 7 * 86_400


def ts(iso: str) -> int:
    """Unix seconds of an RFC 3339 UTC timestamp."""
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


T0 = ts("2026-06-01T12:00:00Z")  # after every fixture transaction


# ---------------------------------------------------------------------------------------------
# helpers: money, pricing, HTTP
# ---------------------------------------------------------------------------------------------

def micros(value) -> int:
    """Integer micro-USD of a six-decimal USD string, a JSON Decimal or a fixture float."""
    d = Decimal(str(value)) * 1_000_000
    assert d == d.to_integral_value(), f"{value!r} is not exact to the credit"
    return int(d)


def usd(m: int) -> str:
    """The gateway's money format for `m` micro-USD: six decimals."""
    sign = "-" if m < 0 else ""
    return f"{sign}{abs(m) // 1_000_000}.{abs(m) % 1_000_000:06d}"


def cost(model: dict, input_tokens=0, output_tokens=0, thinking_tokens=0, cache_read_tokens=0,
         cache_write_tokens=0, images=0, video_seconds=0) -> int:
    """The documented price in credits: per-1M-token prices, the token part rounded up to the next
    credit, thinking at the input rate; images and video seconds at their unit prices."""
    p = model["pricing"]
    m = {k: micros(p.get(k, 0)) for k in ("input", "output", "cache_read", "cache_write", "per_image", "per_video_second")}
    tokens = ((input_tokens + thinking_tokens) * m["input"] + output_tokens * m["output"]
              + cache_read_tokens * m["cache_read"] + cache_write_tokens * m["cache_write"])
    return -(-tokens // 1_000_000) + images * m["per_image"] + video_seconds * m["per_video_second"]


def call(base_url: str, method: str, path: str, key: str | None = None, **kw) -> requests.Response:
    headers = kw.pop("headers", {})
    if key is not None:
        headers.setdefault("Authorization", f"Bearer {key}")
    return requests.request(method, base_url + path, headers=headers, timeout=HTTP_TIMEOUT, **kw)


def get(base_url, path, key=None, **kw):
    return call(base_url, "GET", path, key, **kw)


def body(r: requests.Response):
    """The JSON body with money as exact Decimals."""
    return r.json(parse_float=Decimal)


def ok(r: requests.Response, status: int = 200):
    assert r.status_code == status, f"{r.request.method} {r.url}: {r.status_code} {r.text}"
    return body(r)


def error(r: requests.Response, status: int, code: str | None = None, param: str | None = None, type_: str | None = None) -> dict:
    """Asserts an OpenAI-shaped gateway error and returns its `error` object."""
    assert r.status_code == status, f"{r.request.method} {r.url}: expected {status}, got {r.status_code} {r.text}"
    e = r.json()["error"]
    assert set(e) == {"message", "type", "param", "code"}
    assert e["message"]
    if code is not None:
        assert e["code"] == code, e
    if param is not None:
        assert e["param"] == param, e
    if type_ is not None:
        assert e["type"] == type_, e
    return e


def control(base_url: str, path: str, payload: dict | None = None) -> requests.Response:
    return requests.post(base_url + "/__mock/" + path, json=payload, timeout=HTTP_TIMEOUT)


def spend(base_url: str, key: str, model: str, **fields) -> requests.Response:
    return control(base_url, "spend", {"key": key, "model": model, **fields})


def spent(base_url: str, key: str, model: str, **fields) -> dict:
    """A spend that must succeed; returns its body."""
    return ok(spend(base_url, key, model, **fields))


def clock(base_url: str, action: str, **fields) -> dict:
    r = control(base_url, "clock", {"action": action, **fields})
    assert r.status_code == 200, r.text
    return r.json()


def freeze(base_url: str, t: int = T0) -> int:
    assert clock(base_url, "set", time=t)["now"] == t
    return t


def advance(base_url: str, seconds: int) -> int:
    return clock(base_url, "advance", seconds=seconds)["now"]


def envelope(r: requests.Response) -> dict:
    """The accounting headers as integers (money in micro-USD); `org` is None when absent."""
    h = r.headers
    for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-Quota-Remaining-Credits"):
        assert USD6.match(h[name]), f"{name}: {h[name]!r}"
    assert re.fullmatch(r"\d+", h["X-RateLimit-Reset"])
    org = h.get("X-Org-Quota-Remaining-Credits")
    if org is not None:
        assert USD6.match(org)
    return {
        "limit": micros(h["X-RateLimit-Limit"]),
        "remaining": micros(h["X-RateLimit-Remaining"]),
        "reset": int(h["X-RateLimit-Reset"]),
        "quota": micros(h["X-Quota-Remaining-Credits"]),
        "org": None if org is None else micros(org),
    }


def env_of(base_url: str, key: str) -> dict:
    r = get(base_url, "/v1/balance", key)
    assert r.status_code == 200, r.text
    return envelope(r)


def ledger(base_url: str, key: str, query: str = "") -> dict:
    return ok(get(base_url, "/v1/usage" + query, key))


def wallet(fx: Fixtures, account: str) -> int:
    return micros(fx.accounts[account]["balance"])


@pytest.fixture(autouse=True)
def reset_mock(base_url):
    r = control(base_url, "reset")
    assert r.status_code == 200 and r.json() == {"status": "reset"}, r.text
    yield
    control(base_url, "reset")  # leave the shared server as the other test modules expect it


# ---------------------------------------------------------------------------------------------
# 0. the pricing rule through /__mock/spend
# ---------------------------------------------------------------------------------------------

PRICED_USAGE = [
    ("claude-sonnet-4-6", dict(input_tokens=1234, output_tokens=567, thinking_tokens=89, cache_read_tokens=1000, cache_write_tokens=200)),
    ("claude-opus-4-8", dict(input_tokens=100_000, output_tokens=20_000)),
    ("gpt-5-4-nano", dict(input_tokens=1)),            # 0.2 credit rounds up to 1, never to 0
    ("gpt-5-4-mini", dict(input_tokens=3, output_tokens=7, thinking_tokens=11)),
    ("deepseek-v3-anthropic", dict(cache_read_tokens=333_333)),
    ("gpt-5-4-nano", dict()),                          # nothing used: nothing billed
    ("gpt-image-2", dict(images=3)),
    ("sora-2", dict(video_seconds=12)),
    ("veo-3.1-lite", dict(video_seconds=7)),
]


@pytest.mark.parametrize("model,usage", PRICED_USAGE, ids=[f"{m}-{i}" for i, (m, _) in enumerate(PRICED_USAGE)])
def test_spend_bills_the_documented_price(base_url, fixtures, model, usage):
    r = spend(base_url, "key_default", model, **usage)
    got = ok(r)
    expected = cost(fixtures.model(model), **usage)
    assert list(got) == ["request_id", "api_key_id", "model", "credits", "cost_usd"]
    assert got["credits"] == expected
    assert micros(got["cost_usd"]) == expected
    assert got["api_key_id"] == "key_default"
    assert got["model"] == model
    assert REQUEST_ID.match(got["request_id"]) and got["request_id"] == r.headers["X-Request-Id"]
    assert "X-Quota-Remaining-Credits" not in r.headers  # control API: no accounting envelope
    if usage.get("input_tokens") == 1:
        assert expected == 1


def test_thinking_tokens_bill_at_the_input_rate(base_url, fixtures):
    a = spent(base_url, "key_default", "claude-opus-4-8", input_tokens=5000, thinking_tokens=7000)
    b = spent(base_url, "key_default", "claude-opus-4-8", input_tokens=12_000)
    assert a["credits"] == b["credits"] == 12_000 * micros(fixtures.model("claude-opus-4-8")["pricing"]["input"]) // 1_000_000


def test_spend_by_secret_and_alias_bills_the_canonical_model(base_url, fixtures):
    got = spent(base_url, DEFAULT, "glm-5.1", input_tokens=1000, output_tokens=1)
    assert got["api_key_id"] == "key_default"
    assert got["model"] == "glm-5-1"
    assert got["credits"] == cost(fixtures.model("glm-5-1"), input_tokens=1000, output_tokens=1) == 1405


@pytest.mark.parametrize("payload,param", [
    ({"key": "key_nope", "model": "gpt-5-5"}, "key"),
    ({"model": "gpt-5-5"}, "key"),
    ({"key": "key_default", "model": "no-such-model"}, "model"),
    ({"key": "key_default", "model": "gpt-4o"}, "model"),  # retired
    ({"key": "key_default", "model": "gpt-5-5", "input_tokens": -1}, "input_tokens"),
    ({"key": "key_default", "model": "gpt-5-5", "output_tokens": 1.5}, "output_tokens"),
    ({"key": "key_default", "model": "gpt-5-5", "images": "2"}, "images"),
])
def test_spend_rejects_bad_input_and_bills_nothing(base_url, fixtures, payload, param):
    before = env_of(base_url, DEFAULT)
    error(control(base_url, "spend", payload), 400, code="invalid_param", param=param)
    assert env_of(base_url, DEFAULT) == before
    assert ledger(base_url, DEFAULT)["total"] == 0


# ---------------------------------------------------------------------------------------------
# 1. /v1/usage and /api/v1/usage
# ---------------------------------------------------------------------------------------------

USAGE_ROW_FIELDS = ["request_id", "created", "created_at", "api_key_id", "model", "surface", "prompt_tokens",
                    "completion_tokens", "thinking_tokens", "cache_read_tokens", "cache_write_tokens", "images",
                    "video_seconds", "credits", "cost_usd"]


def test_usage_row_is_what_was_billed(base_url, fixtures):
    t = freeze(base_url)
    usage = dict(input_tokens=1234, output_tokens=567, thinking_tokens=89, cache_read_tokens=1000, cache_write_tokens=200)
    billed = spent(base_url, "key_default", "claude-sonnet-4-6", **usage)
    credits = cost(fixtures.model("claude-sonnet-4-6"), **usage)
    r = get(base_url, "/v1/usage", DEFAULT)
    page = ok(r)
    assert list(page) == ["object", "data", "totals", "page", "page_size", "total", "has_more"]
    assert page["object"] == "list"
    assert len(page["data"]) == 1
    row = page["data"][0]
    assert list(row) == USAGE_ROW_FIELDS
    assert row == {
        "request_id": billed["request_id"], "created": t, "created_at": iso(t), "api_key_id": "key_default",
        "model": "claude-sonnet-4-6", "surface": "control", "prompt_tokens": 1234, "completion_tokens": 567,
        "thinking_tokens": 89, "cache_read_tokens": 1000, "cache_write_tokens": 200, "images": 0,
        "video_seconds": 0, "credits": credits, "cost_usd": Decimal(usd(credits)),
    }
    assert re.search(r'"cost_usd":' + re.escape(usd(credits)) + r"\}", r.text)  # six decimals on the wire
    assert page["totals"] == {"requests": 1, "prompt_tokens": 1234, "completion_tokens": 567, "credits": credits}
    assert (page["page"], page["page_size"], page["total"], page["has_more"]) == (1, 100, 1, False)


def test_usage_is_newest_first_scoped_to_the_account_and_both_paths_agree(base_url, fixtures):
    t = freeze(base_url)
    spends = [("key_default", "gpt-5-5", dict(input_tokens=1000, output_tokens=100)),
              ("key_claude", "claude-haiku-4-5", dict(input_tokens=2000, output_tokens=50)),
              ("key_org", "gemini-3-flash", dict(input_tokens=300, output_tokens=30)),
              ("key_tiny", "deepseek-r1", dict(input_tokens=10, output_tokens=10))]
    billed = []
    for i, (key, model, usage) in enumerate(spends):
        freeze(base_url, t + 10 * i)
        billed.append((spent(base_url, key, model, **usage), t + 10 * i, usage))
    ada = [b for b in billed if b[0]["api_key_id"] != "key_org"]
    page = ledger(base_url, DEFAULT)
    assert [r["request_id"] for r in page["data"]] == [b[0]["request_id"] for b in reversed(ada)]
    assert [r["created"] for r in page["data"]] == [b[1] for b in reversed(ada)]
    assert page["totals"] == {
        "requests": 3,
        "prompt_tokens": sum(b[2].get("input_tokens", 0) for b in ada),
        "completion_tokens": sum(b[2].get("output_tokens", 0) for b in ada),
        "credits": sum(b[0]["credits"] for b in ada),
    }
    assert page["total"] == 3
    # Any key of the account sees the account's rows; both paths give the same document.
    for key in (DEFAULT, CLAUDE, TINY):
        for path in ("/v1/usage", "/api/v1/usage"):
            assert ok(get(base_url, path, key)) == page
    # The org account sees only its own row.
    org = ok(get(base_url, "/api/v1/usage", ADMIN))
    assert [r["request_id"] for r in org["data"]] == [billed[2][0]["request_id"]]
    assert org == ledger(base_url, ORG)


def test_usage_filters_model_and_key(base_url, fixtures):
    freeze(base_url)
    a = spent(base_url, "key_default", "gpt-5-5", input_tokens=100)
    b = spent(base_url, "key_claude", "claude-haiku-4-5", input_tokens=200)
    c = spent(base_url, "key_default", "claude-haiku-4-5", input_tokens=300, output_tokens=3)
    by_model = ledger(base_url, DEFAULT, "?model=claude-haiku-4-5")
    assert [r["request_id"] for r in by_model["data"]] == [c["request_id"], b["request_id"]]
    assert by_model["totals"] == {"requests": 2, "prompt_tokens": 500, "completion_tokens": 3,
                                  "credits": b["credits"] + c["credits"]}
    by_key = ledger(base_url, DEFAULT, "?key=key_default")
    assert [r["request_id"] for r in by_key["data"]] == [c["request_id"], a["request_id"]]
    assert ledger(base_url, DEFAULT, "?api_key_id=key_default") == by_key
    both = ledger(base_url, CLAUDE, "?key=key_default&model=gpt-5-5")
    assert [r["request_id"] for r in both["data"]] == [a["request_id"]]
    assert both["totals"]["credits"] == a["credits"] == cost(fixtures.model("gpt-5-5"), input_tokens=100)
    none = ledger(base_url, DEFAULT, "?model=gpt-5-4")
    assert none["data"] == [] and none["total"] == 0 and none["has_more"] is False
    assert none["totals"] == {"requests": 0, "prompt_tokens": 0, "completion_tokens": 0, "credits": 0}
    # A key of another account filters to nothing: rows are scoped to the caller's account.
    assert ledger(base_url, DEFAULT, "?key=key_org")["total"] == 0


def test_usage_since_until_on_a_frozen_clock(base_url):
    t = freeze(base_url)
    first = spent(base_url, "key_default", "gpt-5-4", input_tokens=10)
    advance(base_url, 100)
    second = spent(base_url, "key_default", "gpt-5-4", input_tokens=20)
    advance(base_url, 100)
    third = spent(base_url, "key_default", "gpt-5-4", input_tokens=30)

    def rids(q):
        return [r["request_id"] for r in ledger(base_url, DEFAULT, q)["data"]]

    assert rids(f"?since={t + 100}") == [third["request_id"], second["request_id"]]        # inclusive
    assert rids(f"?until={t + 100}") == [first["request_id"]]                               # exclusive
    assert rids(f"?since={t + 1}&until={t + 200}") == [second["request_id"]]
    assert rids(f"?since={iso(t + 100)}&until={iso(t + 200)}") == [second["request_id"]]    # RFC 3339
    assert rids(f"?since={iso(t + 100).replace('Z', '%2B00:00')}") == [third["request_id"], second["request_id"]]
    assert rids(f"?since={iso(t)[:10]}") == [third["request_id"], second["request_id"], first["request_id"]]  # a date
    assert rids(f"?until={iso(t)[:10]}") == []
    assert ledger(base_url, DEFAULT, f"?since={t + 200}")["totals"]["prompt_tokens"] == 30


def test_usage_pagination(base_url):
    freeze(base_url)
    rows = [spent(base_url, "key_default", "gpt-5-4-mini", input_tokens=n) for n in (1000, 2000, 3000)]
    newest_first = [r["request_id"] for r in reversed(rows)]
    total_credits = sum(r["credits"] for r in rows)
    for page, expected_more in ((1, True), (2, True), (3, False)):
        p = ledger(base_url, DEFAULT, f"?page_size=1&page={page}")
        assert [r["request_id"] for r in p["data"]] == [newest_first[page - 1]]
        assert (p["page"], p["page_size"], p["total"], p["has_more"]) == (page, 1, 3, expected_more)
        assert p["totals"] == {"requests": 3, "prompt_tokens": 6000, "completion_tokens": 0, "credits": total_credits}
    p = ledger(base_url, DEFAULT, "?page_size=2&page=2")
    assert [r["request_id"] for r in p["data"]] == newest_first[2:] and p["has_more"] is False
    p = ledger(base_url, DEFAULT, "?page_size=1&page=4")
    assert p["data"] == [] and p["total"] == 3 and p["has_more"] is False
    assert ledger(base_url, DEFAULT, "?page_size=1000")["page_size"] == 1000


@pytest.mark.parametrize("path", ["/v1/usage", "/api/v1/usage"])
@pytest.mark.parametrize("query,param", [
    ("page_size=0", "page_size"), ("page_size=1001", "page_size"), ("page_size=ten", "page_size"),
    ("page=0", "page"), ("page=-1", "page"), ("since=garbage", "since"), ("until=2026-13-45", "until"),
    ("since=yesterday&page_size=5", "since"),
])
def test_usage_rejects_bad_parameters(base_url, path, query, param):
    r = get(base_url, f"{path}?{query}", DEFAULT)
    error(r, 400, code="invalid_param", param=param, type_="invalid_request_error")
    assert REQUEST_ID.match(r.headers["X-Request-Id"])
    assert envelope(r)["quota"] == wallet(FX, "acct_ada")


# ---------------------------------------------------------------------------------------------
# 2. the accounting envelope moves by exactly the billed credits
# ---------------------------------------------------------------------------------------------

def test_envelope_of_fixture_keys_before_any_spend(base_url, fixtures):
    t = freeze(base_url)
    org_wallet = wallet(fixtures, "org_dosia")
    # Nothing spent: the tightest window is full and "resets" now.
    assert env_of(base_url, ORG) == {"limit": micros(50), "remaining": micros(50), "reset": t,
                                     "quota": micros(500), "org": org_wallet}
    assert env_of(base_url, ADMIN) == {"limit": 0, "remaining": 0, "reset": 0, "quota": org_wallet, "org": org_wallet}
    assert env_of(base_url, DEFAULT) == {"limit": 0, "remaining": 0, "reset": 0, "quota": wallet(fixtures, "acct_ada"), "org": None}
    assert env_of(base_url, TINY)["quota"] == micros(fixtures.keys["key_tiny"]["quota"]) == 10_000
    assert env_of(base_url, RATE)["limit"] == micros(1)
    assert env_of(base_url, BROKE) == {"limit": 0, "remaining": 0, "reset": 0, "quota": 0, "org": None}


def test_org_key_envelope_moves_by_the_billed_credits(base_url, fixtures):
    t = freeze(base_url)
    before, admin_before = env_of(base_url, ORG), env_of(base_url, ADMIN)
    usage = dict(input_tokens=123_457, output_tokens=9_876, cache_write_tokens=5)
    billed = spent(base_url, "key_org", "claude-opus-4-7", **usage)
    credits = billed["credits"]
    assert credits == cost(fixtures.model("claude-opus-4-7"), **usage) and micros(billed["cost_usd"]) == credits
    after = env_of(base_url, ORG)
    assert before["quota"] - after["quota"] == credits
    assert before["org"] - after["org"] == credits
    assert before["remaining"] - after["remaining"] == credits
    assert after["limit"] == before["limit"] == micros(50)          # the 5h window is the tightest
    assert after["reset"] == t + H5
    assert after == {"limit": micros(50), "remaining": micros(50) - credits, "reset": t + H5,
                     "quota": micros(500) - credits, "org": wallet(fixtures, "org_dosia") - credits}
    # The admin key of the same org has no quota: its quota header is the wallet, which moved too.
    admin_after = env_of(base_url, ADMIN)
    assert admin_before["quota"] - admin_after["quota"] == credits
    assert admin_before["org"] - admin_after["org"] == credits
    assert (admin_after["limit"], admin_after["remaining"], admin_after["reset"]) == (0, 0, 0)


def test_envelope_on_every_kind_of_response_reflects_the_spend(base_url, fixtures):
    """The same numbers on a 200, a 400, a 403 and a 404 of the same key."""
    spent(base_url, "key_org", "gpt-5-5", input_tokens=77_777)
    expected = env_of(base_url, ORG)
    for r in (get(base_url, "/v1/usage", ORG), get(base_url, "/v1/usage?page=0", ORG),
              get(base_url, "/api/v1/keys", ORG), get(base_url, "/v1/models/gpt-4o", ORG),
              get(base_url, "/api/v1/me/account", ORG)):
        assert envelope(r) == expected, r.url


def test_personal_key_envelope_tracks_its_wallet(base_url, fixtures):
    before = env_of(base_url, DEFAULT)
    assert before["org"] is None
    a = spent(base_url, "key_default", "gemini-3-1-pro", input_tokens=50_001, output_tokens=4_999)
    b = spent(base_url, "key_claude", "claude-sonnet-4-5", output_tokens=1)  # same wallet, other key
    after = env_of(base_url, DEFAULT)
    assert before["quota"] - after["quota"] == a["credits"] + b["credits"]
    assert (after["limit"], after["remaining"], after["reset"], after["org"]) == (0, 0, 0, None)
    # A key with its own quota reports the quota, not the wallet.
    tiny_before = env_of(base_url, TINY)
    c = spent(base_url, "key_tiny", "gpt-5-4-nano", input_tokens=1_234)
    assert tiny_before["quota"] - env_of(base_url, TINY)["quota"] == c["credits"] == 247


def test_failed_spends_move_nothing(base_url, fixtures):
    freeze(base_url)
    keys = (CLAUDE, DEFAULT, ORG, ADMIN)
    before = {k: env_of(base_url, k) for k in keys}
    balance_before = ok(get(base_url, "/v1/balance", CLAUDE))
    error(spend(base_url, "key_claude", "gpt-5-5", input_tokens=1000), 403, code="model_not_in_group", type_="permission_error")
    error(spend(base_url, "key_claude", "gemini-3-flash", output_tokens=1000), 403, code="model_not_in_group")
    error(spend(base_url, "key_broke", "gpt-5-5", input_tokens=1000), 402, code="insufficient_balance")
    assert {k: env_of(base_url, k) for k in keys} == before
    assert ok(get(base_url, "/v1/balance", CLAUDE)) == balance_before
    assert ledger(base_url, CLAUDE)["total"] == 0
    assert ledger(base_url, BROKE)["total"] == 0
    # A 429 on the org key moves nothing either.
    big = spent(base_url, "key_org", "sora-2", video_seconds=600)  # $60: admitted (window was full), then over
    assert big["credits"] == micros(60)
    mid = env_of(base_url, ORG)
    assert mid["remaining"] == 0 and mid["quota"] == micros(440)
    r = spend(base_url, "key_org", "gpt-5-4-nano", input_tokens=10)
    error(r, 429, code="rate_limit_5h", type_="rate_limit_error")
    assert env_of(base_url, ORG) == mid
    assert ledger(base_url, ORG)["total"] == 1


# ---------------------------------------------------------------------------------------------
# 3. order of the admission checks: group → wallet → quota → windows (tightest first)
# ---------------------------------------------------------------------------------------------

def test_broke_wallet_is_402_insufficient_balance(base_url, fixtures):
    # key_broke's group is `default`, which reaches every model, so it cannot show group-before-
    # wallet by itself; test_group_is_checked_before_the_wallet does that with a drained wallet.
    assert fixtures.group_ids(fixtures.keys["key_broke"]["group"]) == [m["id"] for m in fixtures.models]
    e = error(spend(base_url, BROKE, "claude-haiku-4-5", input_tokens=1), 402, code="insufficient_balance", type_="billing_error")
    assert "wallet is empty" in e["message"]


def test_group_is_checked_before_the_wallet(base_url, fixtures):
    drain = spent(base_url, "key_default", "sora-2", video_seconds=3000, enforce=False)  # $300 > the $250 wallet
    assert drain["credits"] == micros(300)
    assert ok(get(base_url, "/v1/balance", CLAUDE))["wallet"]["balance_credits"] == wallet(fixtures, "acct_ada") - micros(300)
    assert env_of(base_url, CLAUDE)["quota"] == 0  # a negative wallet reads as nothing left
    error(spend(base_url, "key_claude", "gpt-5-5", input_tokens=1), 403, code="model_not_in_group")
    error(spend(base_url, "key_claude", "claude-haiku-4-5", input_tokens=1), 402, code="insufficient_balance")


def test_wallet_is_checked_before_the_quota(base_url, fixtures):
    spent(base_url, "key_tiny", "gpt-5-4-pro", output_tokens=1000)  # $0.12 > the $0.01 quota
    error(spend(base_url, "key_tiny", "gpt-5-4-nano", input_tokens=1), 402, code="quota_exceeded")
    spent(base_url, "key_default", "sora-2", video_seconds=2500, enforce=False)  # wallet to ≤ 0
    error(spend(base_url, "key_tiny", "gpt-5-4-nano", input_tokens=1), 402, code="insufficient_balance")


def test_quota_is_checked_before_the_windows(base_url, fixtures):
    spent(base_url, "key_org", "sora-2", video_seconds=5000, enforce=False)  # $500: quota and every window used up
    bal = ok(get(base_url, "/v1/balance", ORG))
    assert [w["remaining_usd"] for w in bal["windows"]] == [0, 0, Decimal(500)]
    assert bal["key"]["remaining_credits"] == 0
    r = spend(base_url, "key_org", "gpt-5-4-nano", input_tokens=1)
    error(r, 402, code="quota_exceeded", type_="billing_error")
    assert "Retry-After" not in r.headers
    # The group check still comes first.
    key = ok(call(base_url, "POST", "/api/v1/keys", ADMIN, json={"name": "c", "group_id": 2, "quota": 0.001}))
    spent(base_url, key["id"], "claude-opus-4-8", output_tokens=1000)
    error(spend(base_url, key["id"], "gpt-5-5", input_tokens=1), 403, code="model_not_in_group")
    error(spend(base_url, key["id"], "claude-opus-4-8", input_tokens=1), 402, code="quota_exceeded")


def test_tiny_quota_runs_out(base_url, fixtures):
    quota = micros(fixtures.keys["key_tiny"]["quota"])
    per = cost(fixtures.model("gpt-5-4-nano"), input_tokens=20_000)
    assert per == 4_000
    total = 0
    while total < quota:  # admitted while something is left, even if this spend goes past it
        before = env_of(base_url, TINY)["quota"]
        assert before == quota - total
        total += spent(base_url, TINY, "gpt-5-4-nano", input_tokens=20_000)["credits"]
        assert env_of(base_url, TINY)["quota"] == max(0, quota - total)
    assert total == 12_000
    e = error(spend(base_url, TINY, "gpt-5-4-nano", input_tokens=1), 402, code="quota_exceeded", type_="billing_error")
    assert "0.01" in e["message"]
    bal = ok(get(base_url, "/v1/balance", TINY))
    assert bal["key"] == {"id": "key_tiny", "name": "tiny-quota", "quota_usd": Decimal("0.01"),
                          "spent_usd": Decimal("0.012"), "remaining_usd": 0, "remaining_credits": 0}
    assert ledger(base_url, TINY, "?key=key_tiny")["totals"]["credits"] == 12_000


def test_rate_limit_5h_retry_after_and_release(base_url, fixtures):
    t = freeze(base_url)
    first = spent(base_url, RATE, "claude-opus-4-8", output_tokens=20_000)  # $1.50 ≥ the $1 window
    assert first["credits"] == micros("1.5")
    e_headers = get(base_url, "/v1/balance", RATE)
    env = envelope(e_headers)
    assert (env["limit"], env["remaining"], env["reset"]) == (micros(1), 0, t + H5)
    r = spend(base_url, RATE, "gpt-5-4-nano", input_tokens=1)
    e = error(r, 429, code="rate_limit_5h", type_="rate_limit_error")
    # Hours away: Retry-After is capped at 60 s and SDK retries are stopped (docs/accounting.md).
    assert (r.headers["Retry-After"], r.headers["x-should-retry"]) == ("60", "false")
    assert e["message"].endswith(f"resets at {iso(t + H5).replace('T', ' ').replace('Z', ' UTC')}")
    advance(base_url, 3600)
    r = spend(base_url, RATE, "gpt-5-4-nano", input_tokens=1)
    error(r, 429, code="rate_limit_5h")
    assert (r.headers["Retry-After"], r.headers["x-should-retry"]) == ("60", "false")
    advance(base_url, H5 - 3600 - 1)  # one second before the spend leaves the window
    r = spend(base_url, RATE, "gpt-5-4-nano", input_tokens=1)
    error(r, 429, code="rate_limit_5h")
    assert r.headers["Retry-After"] == "1" and "x-should-retry" not in r.headers  # within the cap: the real wait
    advance(base_url, 2)  # 5h + 1 s after the spend
    ok_again = spent(base_url, RATE, "gpt-5-4-nano", input_tokens=1)
    assert ok_again["credits"] == 1
    assert ledger(base_url, RATE, "?key=key_ratelimited")["total"] == 2
    bal = ok(get(base_url, "/v1/balance", RATE))
    assert [(w["name"], micros(w["spent_usd"])) for w in bal["windows"]] == [("5h", 1), ("1d", micros("1.5") + 1), ("7d", micros("1.5") + 1)]


def test_rate_limit_5h_is_free_again_exactly_when_the_message_says(base_url):
    t = freeze(base_url)
    spent(base_url, RATE, "sora-2", video_seconds=10)
    r = spend(base_url, RATE, "sora-2", video_seconds=1)
    e = error(r, 429, code="rate_limit_5h")
    at = e["message"].rsplit("resets at ", 1)[1]
    advance(base_url, calendar.timegm(time.strptime(at, "%Y-%m-%d %H:%M:%S UTC")) - t)
    assert clock(base_url, "freeze")["now"] == t + H5
    spent(base_url, RATE, "sora-2", video_seconds=1)


def test_rate_limit_1d_after_the_5h_window_clears(base_url, fixtures):
    t = freeze(base_url)
    for i in range(3):  # $2 every 5h + 1 s: each admitted by a clear 5h window, $6 in the day
        freeze(base_url, t + i * (H5 + 1))
        spent(base_url, RATE, "sora-2", video_seconds=20)
    now = freeze(base_url, t + 3 * (H5 + 1))
    r = spend(base_url, RATE, "gpt-5-4-nano", input_tokens=1)
    error(r, 429, code="rate_limit_1d", type_="rate_limit_error")
    assert now < t + D1 - 60 and (r.headers["Retry-After"], r.headers["x-should-retry"]) == ("60", "false")
    env = env_of(base_url, RATE)
    # The tightest window is now the 1d one (nothing left), reset when the last spend leaves it.
    assert (env["limit"], env["remaining"], env["reset"]) == (micros(5), 0, t + 2 * (H5 + 1) + D1)
    freeze(base_url, t + D1)  # the first $2 leaves the day: $4 < $5
    spent(base_url, RATE, "gpt-5-4-nano", input_tokens=1)


def test_rate_limit_7d(base_url, fixtures):
    t = freeze(base_url)
    spent(base_url, RATE, "sora-2", video_seconds=100)  # $10
    freeze(base_url, t + D1 + 1)
    spent(base_url, RATE, "sora-2", video_seconds=100)  # $20 in the week
    now = freeze(base_url, t + 2 * (D1 + 1))
    r = spend(base_url, RATE, "gpt-5-4-nano", input_tokens=1)
    error(r, 429, code="rate_limit_7d")
    assert now < t + D7 - 60 and (r.headers["Retry-After"], r.headers["x-should-retry"]) == ("60", "false")
    freeze(base_url, t + D7)
    spent(base_url, RATE, "gpt-5-4-nano", input_tokens=1)


def test_enforce_false_skips_admission(base_url, fixtures):
    got = spent(base_url, BROKE, "gpt-5-5", input_tokens=1000, enforce=False)
    assert got["credits"] == cost(fixtures.model("gpt-5-5"), input_tokens=1000)
    assert ok(get(base_url, "/v1/balance", BROKE))["wallet"]["balance_credits"] == -got["credits"]
    got = spent(base_url, "key_claude", "gpt-5-5", input_tokens=10, enforce=False)
    assert got["model"] == "gpt-5-5"


# ---------------------------------------------------------------------------------------------
# 4. /v1/balance and /api/v1/me/account
# ---------------------------------------------------------------------------------------------

def test_balance_of_the_org_key_after_spends(base_url, fixtures):
    t = freeze(base_url)
    a = spent(base_url, "key_org", "gpt-5-4", input_tokens=400_000, output_tokens=100_000)
    freeze(base_url, t + 4 * 3600)
    b = spent(base_url, "key_org", "kimi-k2-6", input_tokens=9_999, output_tokens=1)
    now = freeze(base_url, t + H5 + 60)  # a has left the 5h window, not the others
    total = a["credits"] + b["credits"]
    r = get(base_url, "/v1/balance", ORG)
    bal = ok(r)
    key = fixtures.keys["key_org"]
    org = fixtures.accounts["org_dosia"]
    assert bal == {
        "object": "balance",
        "key": {"id": "key_org", "name": key["name"], "quota_usd": Decimal(usd(micros(key["quota"]))),
                "spent_usd": Decimal(usd(total)), "remaining_usd": Decimal(usd(micros(500) - total)),
                "remaining_credits": micros(500) - total},
        "wallet": {"account_id": "org_dosia", "kind": "org", "balance_usd": Decimal(usd(wallet(fixtures, "org_dosia") - total)),
                   "balance_credits": wallet(fixtures, "org_dosia") - total},
        "org": {"id": "org_dosia", "name": org["name"], "remaining_usd": Decimal(usd(wallet(fixtures, "org_dosia") - total))},
        "windows": [
            {"name": "5h", "limit_usd": 50, "spent_usd": Decimal(usd(b["credits"])),
             "remaining_usd": Decimal(usd(micros(50) - b["credits"])), "reset": t + 4 * 3600 + H5},
            {"name": "1d", "limit_usd": 200, "spent_usd": Decimal(usd(total)),
             "remaining_usd": Decimal(usd(micros(200) - total)), "reset": t + 4 * 3600 + D1},
            {"name": "7d", "limit_usd": 1000, "spent_usd": Decimal(usd(total)),
             "remaining_usd": Decimal(usd(micros(1000) - total)), "reset": t + 4 * 3600 + D7},
        ],
        "in_flight": 0,
        "concurrency_limit": 100,  # tier max
    }
    env = envelope(r)
    assert (env["limit"], env["remaining"], env["reset"]) == (micros(50), micros(50) - b["credits"], t + 4 * 3600 + H5)
    assert env["quota"] == bal["key"]["remaining_credits"] and env["org"] == bal["wallet"]["balance_credits"]
    assert now == t + H5 + 60


def test_balance_of_a_personal_key(base_url, fixtures):
    a = spent(base_url, DEFAULT, "deepseek-v3-2", input_tokens=1_000_000, output_tokens=1_000_000)
    assert a["credits"] == micros("0.70")
    bal = ok(get(base_url, "/v1/balance", CLAUDE))
    left = wallet(fixtures, "acct_ada") - a["credits"]
    assert bal["key"] == {"id": "key_claude", "name": "claude-code-laptop", "quota_usd": None, "spent_usd": 0,
                          "remaining_usd": Decimal(usd(left)), "remaining_credits": left}
    assert bal["wallet"] == {"account_id": "acct_ada", "kind": "personal", "balance_usd": Decimal(usd(left)), "balance_credits": left}
    assert bal["org"] is None and bal["windows"] == []
    assert bal["concurrency_limit"] == 25 and bal["in_flight"] == 0  # tier pro
    assert ok(get(base_url, "/v1/balance", DEFAULT))["key"]["spent_usd"] == Decimal("0.7")
    rl = ok(get(base_url, "/v1/balance", RATE))
    assert [(w["name"], w["limit_usd"], w["spent_usd"]) for w in rl["windows"]] == [("5h", 1, 0), ("1d", 5, 0), ("7d", 20, 0)]


def test_me_account_after_a_spend(base_url, fixtures):
    acct = fixtures.accounts["acct_ada"]
    before = ok(get(base_url, "/api/v1/me/account", CLAUDE))
    # Spend before start-up: what came in through the listed wallet movements, minus the balance.
    came_in = sum(micros(t["amount"]) for t in fixtures.keys_file["transactions"] if t["account"] == "acct_ada")
    initial_spent = came_in - micros(acct["balance"])
    assert before["user"] == {"id": "acct_ada", "username": acct["name"], "email": acct["email"],
                              "created_at": acct["created"], "tier": "individual"}
    assert before["balance"] == {"available_usd": Decimal(usd(micros(acct["balance"]))),
                                 "lifetime_topup_usd": Decimal(usd(micros(acct["lifetime_topup"]))),
                                 "lifetime_spent_usd": Decimal(usd(initial_spent)),
                                 "low_balance_threshold_usd": Decimal(usd(micros(acct["low_balance_threshold"]))),
                                 "low_balance_flagged": False}
    assert before["org"] is None
    group = fixtures.keys["key_claude"]["group"]
    assert [m["id"] for m in before["allowed_models"]] == fixtures.group_ids(group)
    assert all(m == {"id": m["id"], "quota_used_usd": 0, "quota_cap_usd": None} for m in before["allowed_models"])

    a = spent(base_url, CLAUDE, "claude-haiku-4-5", input_tokens=70_000, output_tokens=7_000)
    b = spent(base_url, DEFAULT, "claude-haiku-4-5", input_tokens=1)  # same account, other key
    c = spent(base_url, DEFAULT, "gpt-5-5", input_tokens=1000)        # outside key_claude's group
    total = a["credits"] + b["credits"] + c["credits"]
    after = ok(get(base_url, "/api/v1/me/account", CLAUDE))
    assert micros(before["balance"]["available_usd"]) - micros(after["balance"]["available_usd"]) == total
    assert micros(after["balance"]["lifetime_spent_usd"]) - micros(before["balance"]["lifetime_spent_usd"]) == total
    assert after["balance"]["lifetime_topup_usd"] == before["balance"]["lifetime_topup_usd"]
    used = {m["id"]: micros(m["quota_used_usd"]) for m in after["allowed_models"]}
    assert list(used) == fixtures.group_ids(group)
    assert used["claude-haiku-4-5"] == a["credits"] + b["credits"]
    assert {k: v for k, v in used.items() if k != "claude-haiku-4-5"} == {k: 0 for k in used if k != "claude-haiku-4-5"}
    assert "gpt-5-5" not in used


def test_ledger_size_keeps_the_newest_rows_and_every_credit():
    # --ledger-size bounds the rows listed; the spend totals still count the dropped ones.
    with running_mock("--ledger-size", "3") as m:
        billed = [spent(m.url, DEFAULT, "claude-haiku-4-5", input_tokens=1000 * (i + 1)) for i in range(5)]
        page = ledger(m.url, DEFAULT)
        assert [r["request_id"] for r in page["data"]] == [b["request_id"] for b in reversed(billed[-3:])]
        assert page["totals"]["requests"] == 3
        assert page["totals"]["credits"] == sum(b["credits"] for b in billed[-3:])
        account = ok(get(m.url, "/api/v1/me/account", CLAUDE))
        used = {x["id"]: micros(x["quota_used_usd"]) for x in account["allowed_models"]}
        assert used["claude-haiku-4-5"] == sum(b["credits"] for b in billed)


def test_me_account_low_balance_flag(base_url, fixtures):
    broke = ok(get(base_url, "/api/v1/me/account", BROKE))
    assert broke["balance"] == {"available_usd": 0, "lifetime_topup_usd": Decimal("5"), "lifetime_spent_usd": Decimal("5"),
                                "low_balance_threshold_usd": Decimal("1"), "low_balance_flagged": True}
    assert [m["id"] for m in broke["allowed_models"]] == fixtures.group_ids("default")
    # Ada: $250 with a $5 threshold; spend down to exactly $5 (flagged: available <= threshold).
    spent(base_url, DEFAULT, "sora-2", video_seconds=2450)
    ada = ok(get(base_url, "/api/v1/me/account", DEFAULT))["balance"]
    assert ada["available_usd"] == Decimal("5") and ada["low_balance_flagged"] is True
    assert ada["lifetime_spent_usd"] == Decimal("310.42")  # 65.42 before start-up (315.42 in, 250 left) + 245


def test_me_account_org_roles(base_url, fixtures):
    org = fixtures.accounts["org_dosia"]
    admin = ok(get(base_url, "/api/v1/me/account", ADMIN))
    member = ok(get(base_url, "/api/v1/me/account", ORG))
    assert admin["org"] == {"id": "org_dosia", "name": org["name"], "role": "admin"}
    assert member["org"] == {"id": "org_dosia", "name": org["name"], "role": "member"}
    assert admin["user"]["tier"] == member["user"]["tier"] == "enterprise"
    assert admin["balance"] == member["balance"]
    assert admin["balance"]["available_usd"] == Decimal(usd(wallet(fixtures, "org_dosia")))
    assert admin["balance"]["low_balance_flagged"] is False


# ---------------------------------------------------------------------------------------------
# 5. /api/v1/me/usage
# ---------------------------------------------------------------------------------------------

ME_USAGE_SPENDS = [  # (time, key, model, input, output)
    ("2026-06-09T10:15:00Z", "key_default", "gpt-5-5", 10_000, 1_000),
    ("2026-06-09T10:45:00Z", "key_claude", "claude-haiku-4-5", 20_000, 2_000),
    ("2026-06-09T11:05:00Z", "key_default", "gpt-5-5", 30_000, 3_000),
    ("2026-06-10T08:00:00Z", "key_default", "claude-haiku-4-5", 40_000, 4_000),
    ("2026-06-10T08:59:59Z", "key_org", "gpt-5-5", 50_000, 5_000),  # other account
]


def seed_me_usage(base_url, fixtures) -> list[dict]:
    rows = []
    for when, key, model, i, o in ME_USAGE_SPENDS:
        t = freeze(base_url, ts(when))
        got = spent(base_url, key, model, input_tokens=i, output_tokens=o)
        assert got["credits"] == cost(fixtures.model(model), input_tokens=i, output_tokens=o)
        rows.append({"time": t, "key": key, "model": model, "input": i, "output": o, "credits": got["credits"]})
    freeze(base_url, ts("2026-06-12T00:00:00Z"))
    return rows


def expected_buckets(rows, groups):
    buckets = {}
    for r in rows:
        fields = []
        for g in groups:
            if g == "day":
                fields.append(("bucket", iso(r["time"])[:10]))
            elif g == "hour":
                fields.append(("bucket", iso(r["time"] // 3600 * 3600)))
            elif g == "model":
                fields.append(("model", r["model"]))
            else:
                fields.append(("api_key", r["key"]))
        bid = "|".join(f"{k}={v}" for k, v in fields)
        b = buckets.setdefault(bid, {"fields": fields, "usd": 0, "in": 0, "out": 0, "n": 0})
        b["usd"] += r["credits"]; b["in"] += r["input"]; b["out"] += r["output"]; b["n"] += 1
    out = []
    for bid in sorted(buckets):
        b = buckets[bid]
        out.append({**dict(b["fields"]), "total_usd": Decimal(usd(b["usd"])), "input_tokens": b["in"],
                    "output_tokens": b["out"], "call_count": b["n"]})
    return out


def totals_of(rows):
    return {"total_usd": Decimal(usd(sum(r["credits"] for r in rows))), "input_tokens": sum(r["input"] for r in rows),
            "output_tokens": sum(r["output"] for r in rows), "call_count": len(rows)}


@pytest.mark.parametrize("group_by", ["day", "hour", "model", "api_key", "day,model", "model,day", "hour,api_key",
                                      "day, model"])
def test_me_usage_buckets(base_url, fixtures, group_by):
    rows = [r for r in seed_me_usage(base_url, fixtures) if r["key"] != "key_org"]
    groups = [g.strip() for g in group_by.split(",")]
    got = ok(get(base_url, f"/api/v1/me/usage?group_by={group_by}&since=2026-06-01&until=2026-06-15", DEFAULT))
    assert list(got) == ["buckets", "totals"]
    assert got["buckets"] == expected_buckets(rows, groups)
    for b in got["buckets"]:  # the grouping fields first, then the counts
        assert list(b)[-4:] == ["total_usd", "input_tokens", "output_tokens", "call_count"]
    assert got["totals"] == totals_of(rows)
    assert sum(b["call_count"] for b in got["buckets"]) == len(rows)


def test_me_usage_day_model_explicitly(base_url, fixtures):
    seed_me_usage(base_url, fixtures)
    got = ok(get(base_url, "/api/v1/me/usage?group_by=day,model", DEFAULT))  # default window: the last 30 days
    gpt = fixtures.model("gpt-5-5")
    haiku = fixtures.model("claude-haiku-4-5")
    assert got["buckets"] == [
        {"bucket": "2026-06-09", "model": "claude-haiku-4-5",
         "total_usd": Decimal(usd(cost(haiku, input_tokens=20_000, output_tokens=2_000))),
         "input_tokens": 20_000, "output_tokens": 2_000, "call_count": 1},
        {"bucket": "2026-06-09", "model": "gpt-5-5",
         "total_usd": Decimal(usd(cost(gpt, input_tokens=10_000, output_tokens=1_000) + cost(gpt, input_tokens=30_000, output_tokens=3_000))),
         "input_tokens": 40_000, "output_tokens": 4_000, "call_count": 2},
        {"bucket": "2026-06-10", "model": "claude-haiku-4-5",
         "total_usd": Decimal(usd(cost(haiku, input_tokens=40_000, output_tokens=4_000))),
         "input_tokens": 40_000, "output_tokens": 4_000, "call_count": 1},
    ]
    assert got["totals"]["call_count"] == 4 and got["totals"]["input_tokens"] == 100_000
    # The org sees only its own spend.
    org = ok(get(base_url, "/api/v1/me/usage?group_by=day,model", ADMIN))
    assert [(b["bucket"], b["model"], b["call_count"]) for b in org["buckets"]] == [("2026-06-10", "gpt-5-5", 1)]


def test_me_usage_filters_and_windows(base_url, fixtures):
    rows = [r for r in seed_me_usage(base_url, fixtures) if r["key"] != "key_org"]
    q = "/api/v1/me/usage?since=2026-06-01&until=2026-06-15"
    by_model = ok(get(base_url, q + "&model=gpt-5-5&group_by=api_key", CLAUDE))
    assert by_model["buckets"] == expected_buckets([r for r in rows if r["model"] == "gpt-5-5"], ["api_key"])
    by_key = ok(get(base_url, q + "&api_key=key_claude", DEFAULT))
    assert by_key["totals"] == totals_of([r for r in rows if r["key"] == "key_claude"])
    # since inclusive, until exclusive, any accepted time format.
    window = ok(get(base_url, f"/api/v1/me/usage?since={iso(ts('2026-06-09T10:45:00Z'))}&until={ts('2026-06-10T08:00:00Z')}", DEFAULT))
    assert window["totals"] == totals_of(rows[1:3])
    # Default window: the last 30 days before now; a spend 31 days ago is outside it.
    freeze(base_url, ts("2026-06-12T00:00:00Z") - 31 * D1)
    spent(base_url, DEFAULT, "gpt-5-5", input_tokens=999)
    freeze(base_url, ts("2026-06-12T00:00:00Z"))
    assert ok(get(base_url, "/api/v1/me/usage", DEFAULT))["totals"] == totals_of(rows)
    assert ok(get(base_url, "/api/v1/me/usage", DEFAULT))["buckets"] == expected_buckets(rows, ["day"])  # default group_by
    assert ok(get(base_url, "/api/v1/me/usage?since=2026-05-01", DEFAULT))["totals"]["call_count"] == 5
    empty = ok(get(base_url, "/api/v1/me/usage?since=2026-01-01&until=2026-01-02", DEFAULT))
    assert empty == {"buckets": [], "totals": {"total_usd": 0, "input_tokens": 0, "output_tokens": 0, "call_count": 0}}
    # Exactly 90 days is allowed.
    end = ts("2026-06-12T00:00:00Z")
    full = ok(get(base_url, f"/api/v1/me/usage?since={end - 90 * D1}&until={end}", DEFAULT))
    assert [b["bucket"] for b in full["buckets"]] == ["2026-05-12", "2026-06-09", "2026-06-10"]
    assert full["buckets"][1:] == expected_buckets(rows, ["day"]) and full["totals"]["call_count"] == 5


@pytest.mark.parametrize("query,param", [
    ("group_by=bogus", "group_by"),
    ("group_by=day,week", "group_by"),
    ("since=2026-01-01&until=2026-04-02", "since"),         # 91 days
    (f"since={T0 - 90 * D1 - 2}&until={T0}", "since"),      # just over 90 days
    ("since=2026-06-10&until=2026-06-10", "until"),
    ("since=2026-06-10&until=2026-06-09", "until"),
    ("since=garbage", "since"),
    ("until=later", "until"),
])
def test_me_usage_rejects(base_url, query, param):
    freeze(base_url, ts("2026-06-12T00:00:00Z"))
    r = get(base_url, f"/api/v1/me/usage?{query}", DEFAULT)
    error(r, 400, code="invalid_param", param=param, type_="invalid_request_error")
    assert envelope(r)["quota"] == wallet(FX, "acct_ada")


def test_me_usage_default_window_capped_at_90_days(base_url):
    freeze(base_url)
    error(get(base_url, f"/api/v1/me/usage?since={T0 - 100 * D1}", DEFAULT), 400, param="since")
    ok(get(base_url, f"/api/v1/me/usage?since={T0 - 90 * D1 + 1}", DEFAULT))


# ---------------------------------------------------------------------------------------------
# 6. /api/v1/me/billing/transactions and top-ups
# ---------------------------------------------------------------------------------------------

def fixture_transactions(fx: Fixtures, account: str) -> list[dict]:
    """The fixture wallet rows of an account as the endpoint shows them: newest first, with
    `balance_after` the running sum in time order."""
    rows = sorted((t for t in fx.keys_file["transactions"] if t["account"] == account), key=lambda t: (ts(t["created"]), t["id"]))
    running, out = 0, []
    for t in rows:
        running += micros(t["amount"])
        out.append({"id": t["id"], "created_at": t["created"], "kind": t["kind"], "amount_usd": Decimal(usd(micros(t["amount"]))),
                    "balance_after_usd": Decimal(usd(running)), "source": t["source"], "note": t.get("note")})
    return out[::-1]


@pytest.mark.parametrize("key,account", [(DEFAULT, "acct_ada"), (ADMIN, "org_dosia"), (ORG, "org_dosia"), (BROKE, "acct_broke")])
def test_transactions_fixture_items_newest_first(base_url, fixtures, key, account):
    r = get(base_url, "/api/v1/me/billing/transactions", key)
    got = ok(r)
    expected = fixture_transactions(fixtures, account)
    assert got == {"items": expected, "total": len(expected), "page": 1, "page_size": 50}
    for item in got["items"]:
        assert list(item) == ["id", "created_at", "kind", "amount_usd", "balance_after_usd", "source", "note"]
    times = [ts(i["created_at"]) for i in got["items"]]
    assert times == sorted(times, reverse=True)
    assert USD6.match(re.search(r'"amount_usd":([^,]+),', r.text).group(1))


def test_transactions_negative_amount_and_order_of_same_time_rows(base_url, fixtures):
    got = ok(get(base_url, "/api/v1/me/billing/transactions", ADMIN))
    renew = next(i for i in got["items"] if i["kind"] == "subscription_renew")
    assert renew["amount_usd"] == Decimal("-200") and renew["note"] == "Max plan renewal"
    assert [i["id"] for i in got["items"]] == [900204, 900203, 900205, 900202, 900201]  # same time: higher id first
    raw = get(base_url, "/api/v1/me/billing/transactions?kind=subscription_renew", ADMIN).text
    assert '"amount_usd":-200.000000' in raw


def test_transactions_kind_filter_and_paging(base_url, fixtures):
    all_items = fixture_transactions(fixtures, "acct_ada")
    for kind in ("topup", "bonus", "refund", "admin_credit"):
        got = ok(get(base_url, f"/api/v1/me/billing/transactions?kind={kind}", DEFAULT))
        want = [i for i in all_items if i["kind"] == kind]
        assert got["items"] == want and got["total"] == len(want)
    p = ok(get(base_url, "/api/v1/me/billing/transactions?page_size=2&page=2", DEFAULT))
    assert p == {"items": all_items[2:4], "total": 5, "page": 2, "page_size": 2}
    p = ok(get(base_url, "/api/v1/me/billing/transactions?page_size=2&page=4", DEFAULT))
    assert p["items"] == [] and p["total"] == 5
    assert ok(get(base_url, "/api/v1/me/billing/transactions?page_size=200", DEFAULT))["page_size"] == 200
    since = ok(get(base_url, "/api/v1/me/billing/transactions?since=2026-03-15T10:02:11Z", DEFAULT))
    assert [i["id"] for i in since["items"]] == [900105, 900104, 900103]
    until = ok(get(base_url, "/api/v1/me/billing/transactions?until=2026-03-15T10:02:11Z&kind=bonus", DEFAULT))
    assert [i["id"] for i in until["items"]] == [900102]


@pytest.mark.parametrize("query,param", [
    ("page_size=201", "page_size"), ("page_size=0", "page_size"), ("page=0", "page"),
    ("kind=payment", "kind"), ("kind=TOPUP", "kind"), ("since=nope", "since"), ("until=12:00", "until"),
])
def test_transactions_reject(base_url, query, param):
    r = get(base_url, f"/api/v1/me/billing/transactions?{query}", ADMIN)
    error(r, 400, code="invalid_param", param=param)
    assert envelope(r)["org"] == wallet(FX, "org_dosia")


def test_topup_adds_topup_and_bonus_rows(base_url, fixtures):
    t = freeze(base_url)
    start = wallet(fixtures, "acct_ada")
    r = control(base_url, "accounts/acct_ada/topup", {"amount_usd": 100})
    got = ok(r)
    assert "X-Quota-Remaining-Credits" not in r.headers and REQUEST_ID.match(r.headers["X-Request-Id"])
    first_id = max(tx["id"] for tx in fixtures.keys_file["transactions"]) + 1
    assert got == {"transactions": [
        {"id": first_id, "kind": "topup", "amount_usd": 100, "balance_after_usd": Decimal(usd(start + micros(100)))},
        {"id": first_id + 1, "kind": "bonus", "amount_usd": 5, "balance_after_usd": Decimal(usd(start + micros(105)))},
    ], "balance_usd": Decimal(usd(start + micros(105)))}
    items = ok(get(base_url, "/api/v1/me/billing/transactions", DEFAULT))
    assert items["total"] == 7
    assert items["items"][:2] == [
        {"id": first_id + 1, "created_at": iso(t), "kind": "bonus", "amount_usd": 5,
         "balance_after_usd": Decimal(usd(start + micros(105))), "source": {"ladder": "+5.0%"}, "note": None},
        {"id": first_id, "created_at": iso(t), "kind": "topup", "amount_usd": 100,
         "balance_after_usd": Decimal(usd(start + micros(100))),
         "source": {"provider": "mock", "receipt_id": f"mock_{t}", "method": "card_visa_4242"}, "note": None},
    ]
    assert items["items"][2:] == fixture_transactions(fixtures, "acct_ada")
    acct = ok(get(base_url, "/api/v1/me/account", DEFAULT))["balance"]
    assert micros(acct["available_usd"]) == start + micros(105)
    assert micros(acct["lifetime_topup_usd"]) == micros(fixtures.accounts["acct_ada"]["lifetime_topup"]) + micros(100)
    assert env_of(base_url, DEFAULT)["quota"] == start + micros(105)
    assert ok(get(base_url, "/api/v1/me/billing/transactions?kind=bonus&page_size=1", CLAUDE))["items"][0]["id"] == first_id + 1


LADDER = [("5", 0), ("19.99", 0), ("20", 30), ("99.99", 30), ("100", 50), ("499.99", 50),
          ("500", 80), ("999.99", 80), ("1000", 112), ("1250", 112)]


@pytest.mark.parametrize("amount,permille", LADDER)
def test_topup_bonus_ladder(base_url, fixtures, amount, permille):
    freeze(base_url)
    before = ok(get(base_url, "/v1/balance", BROKE))["wallet"]["balance_credits"]
    got = ok(control(base_url, "accounts/acct_broke/topup", {"amount_usd": float(amount), "method": "apple_pay"}))
    amt = micros(amount)
    bonus = amt * permille // 1000
    rows = got["transactions"]
    assert rows[0]["kind"] == "topup" and micros(rows[0]["amount_usd"]) == amt
    assert micros(rows[0]["balance_after_usd"]) == before + amt
    if permille:
        assert len(rows) == 2
        assert rows[1]["kind"] == "bonus" and micros(rows[1]["amount_usd"]) == bonus
        assert micros(rows[1]["balance_after_usd"]) == before + amt + bonus
    else:
        assert len(rows) == 1
    assert micros(got["balance_usd"]) == before + amt + bonus
    assert ok(get(base_url, "/v1/balance", BROKE))["wallet"]["balance_credits"] == before + amt + bonus
    listed = ok(get(base_url, "/api/v1/me/billing/transactions?since=" + str(T0), BROKE))["items"]
    assert [i["kind"] for i in listed] == (["bonus", "topup"] if permille else ["topup"])
    assert listed[-1]["source"]["method"] == "apple_pay"
    if permille:
        assert listed[0]["source"] == {"ladder": f"+{permille / 10}%"}
    # A topped-up wallet can spend again.
    spent(base_url, BROKE, "gpt-5-4-nano", input_tokens=1)


@pytest.mark.parametrize("payload", [{"amount_usd": 3}, {"amount_usd": 4.99}, {"amount_usd": 1250.01}, {"amount_usd": 0},
                                     {"amount_usd": -5}, {"amount_usd": "100"}, {}, {"amount_usd": 10.0000001}])
def test_topup_out_of_range_is_400_and_moves_nothing(base_url, fixtures, payload):
    before = env_of(base_url, DEFAULT)
    error(control(base_url, "accounts/acct_ada/topup", payload), 400, code="invalid_param", param="amount_usd")
    assert env_of(base_url, DEFAULT) == before
    assert ok(get(base_url, "/api/v1/me/billing/transactions", DEFAULT))["total"] == 5


def test_topup_unknown_account_is_404(base_url):
    error(control(base_url, "accounts/acct_nobody/topup", {"amount_usd": 50}), 404, code="account_not_found")


def test_reset_restores_wallets_ledger_and_transactions(base_url, fixtures):
    spent(base_url, DEFAULT, "gpt-5-5", input_tokens=1000)
    ok(control(base_url, "accounts/acct_ada/topup", {"amount_usd": 20}))
    assert ok(control(base_url, "reset")) == {"status": "reset"}
    assert ledger(base_url, DEFAULT)["total"] == 0
    assert env_of(base_url, DEFAULT)["quota"] == wallet(fixtures, "acct_ada")
    assert ok(get(base_url, "/api/v1/me/billing/transactions", DEFAULT))["items"] == fixture_transactions(fixtures, "acct_ada")
    assert clock(base_url, "freeze")["frozen"] is True
    control(base_url, "reset")
    assert get(base_url, "/__mock/clock").json()["frozen"] is False


# ---------------------------------------------------------------------------------------------
# 7. key management (admin keys only)
# ---------------------------------------------------------------------------------------------

KEY_FIELDS = ["id", "object", "name", "group", "group_id", "masked_key", "quota", "quota_used", "rate_limit_5h",
              "rate_limit_1d", "rate_limit_7d", "expires_at", "revoked", "ip_whitelist", "ip_blacklist", "admin",
              "account_id", "created_at"]
KEY_FIELDS_WITH_SECRET = KEY_FIELDS[:6] + ["key"] + KEY_FIELDS[6:]

MANAGEMENT_CALLS = [
    ("GET", "/api/v1/groups/available", None), ("GET", "/api/v1/keys", None),
    ("POST", "/api/v1/keys", {"name": "x", "group_id": 1}), ("GET", "/api/v1/keys/key_org", None),
    ("PATCH", "/api/v1/keys/key_org", {"name": "y"}), ("PUT", "/api/v1/keys/key_org", {"name": "y"}),
    ("DELETE", "/api/v1/keys/key_org", None), ("POST", "/api/v1/keys/key_org/revoke", None),
    ("POST", "/api/v1/keys/key_org/rotate", None), ("GET", "/api/v1/keys/key_org/reveal", None),
    ("GET", "/v1/keys/key_org/reveal", None), ("GET", "/api/v1/keys/key_nope", None),
]


def masked(secret: str) -> str:
    return secret[:12] + "…" + secret[-4:]


def create_key(base_url, **fields) -> dict:
    payload = {"name": "ci-key", "group_id": 1, **fields}
    return ok(call(base_url, "POST", "/api/v1/keys", ADMIN, json=payload))


@pytest.mark.parametrize("key", [ORG, DEFAULT, CLAUDE])
@pytest.mark.parametrize("method,path,payload", MANAGEMENT_CALLS, ids=[f"{m} {p}" for m, p, _ in MANAGEMENT_CALLS])
def test_management_needs_an_admin_key(base_url, key, method, path, payload):
    r = call(base_url, method, path, key, json=payload)
    error(r, 403, code="admin_key_required", type_="permission_error")
    assert REQUEST_ID.match(r.headers["X-Request-Id"])
    envelope(r)
    # Nothing changed: key_org still works and is not renamed.
    assert ok(get(base_url, "/api/v1/keys/key_org", ADMIN))["name"] == FX.keys["key_org"]["name"]
    assert get(base_url, "/v1/models", ORG).status_code == 200


def test_management_unauthenticated_is_401(base_url):
    r = get(base_url, "/api/v1/keys")
    error(r, 401, code="invalid_api_key", type_="authentication_error")
    assert envelope(r) == {"limit": 0, "remaining": 0, "reset": 0, "quota": 0, "org": None}
    error(get(base_url, "/api/v1/keys", "sk-byts-nope"), 401)


def test_groups_available(base_url, fixtures):
    got = ok(get(base_url, "/api/v1/groups/available", ADMIN))
    assert got == {"object": "list", "data": [
        {"id": g["id"], "name": g["name"], "description": g["description"], "model_count": len(fixtures.group_ids(g["name"]))}
        for g in fixtures.keys_file["groups"]]}


def test_list_and_get_fixture_keys(base_url, fixtures):
    spent(base_url, "key_org", "gpt-5-5", input_tokens=1000)
    got = ok(get(base_url, "/api/v1/keys", ADMIN))
    org_keys = [k for k in fixtures.keys_file["keys"] if k["account"] == "org_dosia"]
    assert got["object"] == "list"
    assert [k["id"] for k in got["data"]] == [k["id"] for k in org_keys]
    groups = {g["name"]: g["id"] for g in fixtures.keys_file["groups"]}
    for k, fx in zip(got["data"], org_keys):
        assert list(k) == KEY_FIELDS
        assert "key" not in k
        assert k == {
            "id": fx["id"], "object": "api_key", "name": fx["name"], "group": fx["group"], "group_id": groups[fx["group"]],
            "masked_key": masked(fx["secret"]), "quota": Decimal(usd(micros(fx["quota"]))),
            "quota_used": Decimal(usd(cost(fixtures.model("gpt-5-5"), input_tokens=1000) if fx["id"] == "key_org" else 0)),
            "rate_limit_5h": Decimal(usd(micros(fx["rate_limit_5h"]))), "rate_limit_1d": Decimal(usd(micros(fx["rate_limit_1d"]))),
            "rate_limit_7d": Decimal(usd(micros(fx["rate_limit_7d"]))), "expires_at": fx["expires_at"], "revoked": fx["revoked"],
            "ip_whitelist": fx["ip_whitelist"], "ip_blacklist": fx["ip_blacklist"], "admin": fx["admin"],
            "account_id": "org_dosia", "created_at": fx["created"],
        }
        assert ok(get(base_url, f"/api/v1/keys/{fx['id']}", ADMIN)) == k
    assert fixtures.secret("key_org") not in get(base_url, "/api/v1/keys", ADMIN).text


@pytest.mark.parametrize("path", ["/api/v1/keys/key_org/reveal", "/v1/keys/key_org/reveal"])
def test_reveal_fixture_key(base_url, fixtures, path):
    got = ok(get(base_url, path, ADMIN))
    assert list(got) == KEY_FIELDS_WITH_SECRET
    assert got["key"] == fixtures.secret("key_org") and got["masked_key"] == masked(got["key"])


def test_create_key_and_use_it(base_url, fixtures):
    t = freeze(base_url)
    created = create_key(base_url, name="vision-ci", group_id=3, quota=2.5, rate_limit_5h=1, rate_limit_1d=0,
                         rate_limit_7d=7.25, ip_whitelist=["127.0.0.0/8"], expires_in_days=30)
    assert list(created) == KEY_FIELDS_WITH_SECRET
    secret = created["key"]
    assert SECRET.match(secret), secret
    assert re.fullmatch(r"key_\d+", created["id"])
    assert created == {
        "id": created["id"], "object": "api_key", "name": "vision-ci", "group": "gemini-default", "group_id": 3,
        "masked_key": masked(secret), "key": secret, "quota": Decimal("2.5"), "quota_used": 0, "rate_limit_5h": 1,
        "rate_limit_1d": 0, "rate_limit_7d": Decimal("7.25"), "expires_at": iso(t + 30 * D1), "revoked": False,
        "ip_whitelist": ["127.0.0.0/8"], "ip_blacklist": [], "admin": False, "account_id": "org_dosia", "created_at": iso(t),
    }
    # The secret authenticates and sees only its group's models.
    models = get(base_url, "/v1/models", secret)
    assert models.status_code == 200, models.text
    assert [m["id"] for m in models.json()["data"]] == fixtures.group_ids("gemini-default")
    env = envelope(models)
    assert env == {"limit": micros(1), "remaining": micros(1), "reset": t, "quota": micros("2.5"), "org": wallet(fixtures, "org_dosia")}
    assert get(base_url, "/v1/models/gpt-5-5", secret).status_code == 404
    # Listed (without the secret) after the fixture keys; GET shows the same object.
    listed = ok(get(base_url, "/api/v1/keys", ADMIN))["data"]
    assert [k["id"] for k in listed] == ["key_org", "key_admin", created["id"]]
    mine = listed[-1]
    assert "key" not in mine and secret not in get(base_url, "/api/v1/keys", ADMIN).text
    assert mine == {k: v for k, v in created.items() if k != "key"}
    assert ok(get(base_url, f"/api/v1/keys/{created['id']}", ADMIN)) == mine
    # Spending on it bills the org wallet and its own quota.
    billed = spent(base_url, secret, "gemini-3-flash", input_tokens=100_000)
    after = env_of(base_url, secret)
    assert after["quota"] == micros("2.5") - billed["credits"]
    assert after["org"] == wallet(fixtures, "org_dosia") - billed["credits"]
    assert after["remaining"] == micros(1) - billed["credits"]
    assert ok(get(base_url, f"/api/v1/keys/{created['id']}", ADMIN))["quota_used"] == Decimal(usd(billed["credits"]))
    assert ledger(base_url, ADMIN, f"?key={created['id']}")["total"] == 1
    error(spend(base_url, secret, "claude-opus-4-8", input_tokens=1), 403, code="model_not_in_group")


@pytest.mark.parametrize("group_id,name", [(1, "default"), (2, "claude-default"), (3, "gemini-default"),
                                           ("claude-default", "claude-default"), ("gemini-default", "gemini-default"),
                                           ("2", "claude-default")])
def test_create_key_group_by_number_or_name(base_url, fixtures, group_id, name):
    created = create_key(base_url, group_id=group_id)
    gid = next(g["id"] for g in fixtures.keys_file["groups"] if g["name"] == name)
    assert (created["group"], created["group_id"]) == (name, gid)
    assert [m["id"] for m in get(base_url, "/v1/models", created["key"]).json()["data"]] == fixtures.group_ids(name)


@pytest.mark.parametrize("payload,param", [
    ({"name": "x", "group_id": 1, "revoked": True}, "revoked"),
    ({"name": "x", "group_id": 1, "admin": True}, "admin"),
    ({"name": "x", "group_id": 1, "secret": "sk-byts-xxxxxxxx"}, "secret"),
    ({"group_id": 1}, "name"),
    ({"name": "", "group_id": 1}, "name"),
    ({"name": 5, "group_id": 1}, "name"),
    ({"name": "x"}, "group_id"),
    ({"name": "x", "group_id": 99}, "group_id"),
    ({"name": "x", "group_id": "nope"}, "group_id"),
    ({"name": "x", "group_id": None}, "group_id"),
    ({"name": "x", "group_id": 1, "quota": -1}, "quota"),
    ({"name": "x", "group_id": 1, "quota": "5"}, "quota"),
    ({"name": "x", "group_id": 1, "rate_limit_5h": 0.0000001}, "rate_limit_5h"),
    ({"name": "x", "group_id": 1, "expires_in_days": 0}, "expires_in_days"),
    ({"name": "x", "group_id": 1, "ip_whitelist": ["300.1.1.1"]}, "ip_whitelist"),
    ({"name": "x", "group_id": 1, "ip_blacklist": "10.0.0.0/8"}, "ip_blacklist"),
    ({"name": "x", "group_id": 1, "custom_key": "short"}, "custom_key"),
    ({"name": "x", "group_id": 1, "custom_key": "sk-byts with space"}, "custom_key"),
])
def test_create_key_rejects(base_url, payload, param):
    r = call(base_url, "POST", "/api/v1/keys", ADMIN, json=payload)
    error(r, 400, param=param, type_="invalid_request_error")
    assert [k["id"] for k in ok(get(base_url, "/api/v1/keys", ADMIN))["data"]] == ["key_org", "key_admin"]


def test_create_key_rejects_bad_json(base_url):
    error(call(base_url, "POST", "/api/v1/keys", ADMIN, data="{not json", headers={"Content-Type": "application/json"}),
          400, code="invalid_json")
    error(call(base_url, "POST", "/api/v1/keys", ADMIN, json=[1, 2]), 400, code="invalid_json")


def test_create_key_with_custom_secret_and_duplicates(base_url, fixtures):
    created = create_key(base_url, custom_key="sk-byts-my-own-secret-0001", group_id=2)
    assert created["key"] == "sk-byts-my-own-secret-0001"
    assert get(base_url, "/v1/models", "sk-byts-my-own-secret-0001").status_code == 200
    for taken in ("sk-byts-my-own-secret-0001", fixtures.secret("key_default")):
        r = call(base_url, "POST", "/api/v1/keys", ADMIN, json={"name": "dup", "group_id": 1, "custom_key": taken})
        error(r, 409, code="duplicate_key", param="custom_key")
    # PATCH cannot set a secret.
    error(call(base_url, "PATCH", f"/api/v1/keys/{created['id']}", ADMIN, json={"custom_key": "sk-byts-another-0001"}),
          400, param="custom_key")


def test_patch_limits_show_in_the_envelope(base_url, fixtures):
    t = freeze(base_url)
    created = create_key(base_url)
    secret = created["key"]
    assert env_of(base_url, secret)["limit"] == 0
    patched = ok(call(base_url, "PATCH", f"/api/v1/keys/{created['id']}", ADMIN,
                      json={"rate_limit_5h": 10, "rate_limit_1d": 2, "quota": 3, "name": "renamed"}))
    assert "key" not in patched
    assert (patched["name"], patched["rate_limit_5h"], patched["rate_limit_1d"], patched["rate_limit_7d"], patched["quota"]) == \
        ("renamed", 10, 2, 0, 3)
    assert patched["group"] == "default" and patched["id"] == created["id"]
    env = env_of(base_url, secret)
    assert env == {"limit": micros(2), "remaining": micros(2), "reset": t, "quota": micros(3), "org": wallet(fixtures, "org_dosia")}
    billed = spent(base_url, secret, "gpt-5-4", input_tokens=100_000)
    env = env_of(base_url, secret)
    assert (env["limit"], env["remaining"], env["reset"]) == (micros(2), micros(2) - billed["credits"], t + D1)
    # The fixture org key too: tighten its 5h window and the next request shows it.
    ok(call(base_url, "PUT", "/api/v1/keys/key_org", ADMIN, json={"rate_limit_5h": 0.5}))
    assert env_of(base_url, ORG)["limit"] == micros("0.5")
    spent(base_url, ORG, "sora-2", video_seconds=5)
    error(spend(base_url, ORG, "sora-2", video_seconds=1), 429, code="rate_limit_5h")
    # Moving a key to another group changes what it sees; 0 removes a window.
    ok(call(base_url, "PATCH", "/api/v1/keys/key_org", ADMIN, json={"group_id": "claude-default", "rate_limit_5h": 0}))
    assert [m["id"] for m in get(base_url, "/v1/models", ORG).json()["data"]] == fixtures.group_ids("claude-default")
    assert env_of(base_url, ORG)["limit"] == micros(200)
    error(call(base_url, "PATCH", "/api/v1/keys/key_org", ADMIN, json={"bogus": 1}), 400, param="bogus")
    error(call(base_url, "PATCH", "/api/v1/keys/key_org", ADMIN, json={"name": ""}), 400, param="name")
    assert ok(get(base_url, "/api/v1/keys/key_org", ADMIN))["name"] == fixtures.keys["key_org"]["name"]


def test_rotate_key(base_url, fixtures):
    created = create_key(base_url, group_id=2)
    old = created["key"]
    rotated = ok(call(base_url, "POST", f"/api/v1/keys/{created['id']}/rotate", ADMIN))
    new = rotated["key"]
    assert SECRET.match(new) and new != old
    assert rotated["id"] == created["id"] and rotated["masked_key"] == masked(new)
    error(get(base_url, "/v1/models", old), 401, code="invalid_api_key")
    assert [m["id"] for m in get(base_url, "/v1/models", new).json()["data"]] == fixtures.group_ids("claude-default")
    assert ok(get(base_url, f"/api/v1/keys/{created['id']}/reveal", ADMIN))["key"] == new
    assert ok(get(base_url, f"/v1/keys/{created['id']}/reveal", ADMIN))["key"] == new
    # A fixture key rotates too; its old secret stops working, its spend history stays.
    b = spent(base_url, ORG, "gpt-5-5", input_tokens=10)
    r = ok(call(base_url, "POST", "/api/v1/keys/key_org/rotate", ADMIN))
    error(get(base_url, "/v1/balance", ORG), 401)
    assert ok(get(base_url, "/v1/balance", r["key"]))["key"]["spent_usd"] == Decimal(usd(b["credits"]))


@pytest.mark.parametrize("how", ["revoke", "delete"])
def test_revoke_key(base_url, fixtures, how):
    created = create_key(base_url)
    secret = created["key"]
    assert get(base_url, "/v1/balance", secret).status_code == 200
    if how == "revoke":
        r = call(base_url, "POST", f"/api/v1/keys/{created['id']}/revoke", ADMIN)
    else:
        r = call(base_url, "DELETE", f"/api/v1/keys/{created['id']}", ADMIN)
    got = ok(r)
    assert got["revoked"] is True and "key" not in got
    for path in ("/v1/models", "/v1/balance", "/v1/usage", "/api/v1/me/account"):
        e = error(get(base_url, path, secret), 401, code="invalid_api_key")
        assert "revoked" in e["message"]
    assert ok(get(base_url, f"/api/v1/keys/{created['id']}", ADMIN))["revoked"] is True
    assert [k["id"] for k in ok(get(base_url, "/api/v1/keys", ADMIN))["data"]][-1] == created["id"]  # still listed
    # The fixture org key: revoked, then back after a reset.
    ok(call(base_url, "DELETE" if how == "delete" else "POST",
            "/api/v1/keys/key_org" if how == "delete" else "/api/v1/keys/key_org/revoke", ADMIN))
    error(get(base_url, "/v1/models", ORG), 401)
    control(base_url, "reset")
    assert get(base_url, "/v1/models", ORG).status_code == 200


@pytest.mark.parametrize("method,suffix", [("GET", ""), ("PATCH", ""), ("PUT", ""), ("DELETE", ""), ("POST", "/revoke"),
                                           ("POST", "/rotate"), ("GET", "/reveal")])
@pytest.mark.parametrize("key_id", ["key_default", "key_broke", "key_1001", "nope"])
def test_keys_of_another_account_are_404(base_url, fixtures, method, suffix, key_id):
    r = call(base_url, method, f"/api/v1/keys/{key_id}{suffix}", ADMIN, json={"name": "stolen"} if method in ("PATCH", "PUT") else None)
    error(r, 404, code="key_not_found", type_="not_found_error")
    assert envelope(r)["org"] == wallet(fixtures, "org_dosia")
    if key_id in fixtures.keys:  # untouched
        assert get(base_url, "/v1/models", fixtures.secret(key_id)).status_code == 200
        assert ok(get(base_url, "/v1/balance", fixtures.secret(key_id)))["key"]["name"] == fixtures.keys[key_id]["name"]
    if suffix == "/reveal" and key_id in fixtures.keys:
        assert fixtures.secret(key_id) not in r.text
    error(get(base_url, f"/v1/keys/{key_id}/reveal", ADMIN), 404, code="key_not_found")


def test_management_wrong_methods(base_url):
    r = call(base_url, "POST", "/api/v1/keys/key_org/reveal", ADMIN)
    error(r, 405, code="method_not_allowed")
    assert "GET" in r.headers["Allow"]
    r = call(base_url, "GET", "/api/v1/keys/key_org/rotate", ADMIN)
    error(r, 405)
    assert r.headers["Allow"] == "POST"


# ---------------------------------------------------------------------------------------------
# 8. every endpoint carries X-Request-Id and the accounting headers
# ---------------------------------------------------------------------------------------------

ENDPOINT_CASES = [  # (method, path, key, expected status)
    ("GET", "/v1/usage", DEFAULT, 200), ("GET", "/api/v1/usage", ORG, 200), ("GET", "/v1/usage?page_size=0", ORG, 400),
    ("GET", "/v1/balance", ORG, 200), ("GET", "/v1/balance", DEFAULT, 200), ("GET", "/v1/balance", BROKE, 200),
    ("GET", "/api/v1/me/account", ADMIN, 200), ("GET", "/api/v1/me/usage", DEFAULT, 200),
    ("GET", "/api/v1/me/usage?group_by=bogus", ORG, 400), ("GET", "/api/v1/me/billing/transactions", ADMIN, 200),
    ("GET", "/api/v1/me/billing/transactions?page_size=201", DEFAULT, 400),
    ("GET", "/api/v1/keys", ADMIN, 200), ("GET", "/api/v1/keys", ORG, 403), ("GET", "/api/v1/keys/key_org", ADMIN, 200),
    ("GET", "/api/v1/keys/key_default", ADMIN, 404), ("GET", "/api/v1/keys/key_org/reveal", ADMIN, 200),
    ("GET", "/v1/keys/key_org/reveal", DEFAULT, 403), ("GET", "/api/v1/groups/available", ADMIN, 200),
    ("GET", "/api/v1/groups/available", CLAUDE, 403), ("POST", "/api/v1/keys", ADMIN, 400),
    ("PATCH", "/api/v1/keys/key_admin", ADMIN, 200), ("POST", "/v1/balance", DEFAULT, 405),
    ("GET", "/v1/usage", "sk-byts-revoked-test-key-0001", 401), ("GET", "/v1/balance", "sk-byts-paused-test-key-0001", 403),
]


@pytest.mark.parametrize("method,path,key,status", ENDPOINT_CASES, ids=[f"{m} {p} {s}" for m, p, _, s in ENDPOINT_CASES])
def test_every_endpoint_carries_request_id_and_envelope(base_url, fixtures, method, path, key, status):
    freeze(base_url)
    spent(base_url, "key_org", "gpt-5-5", input_tokens=3_333)
    spent(base_url, "key_default", "gpt-5-5", input_tokens=4_444)
    key_id = next(k for k, v in fixtures.keys.items() if v["secret"] == key)
    account = fixtures.keys[key_id]["account"]
    kw = {"json": {}} if method in ("POST", "PATCH") else {}
    r = call(base_url, method, path, key, **kw)
    assert r.status_code == status, r.text
    assert REQUEST_ID.match(r.headers["X-Request-Id"]), r.headers
    assert r.headers["Content-Type"] == "application/json"
    env = envelope(r)
    if status >= 400:
        assert r.json()["error"]["message"]
    if key_id in ("key_revoked", "key_paused"):
        return
    # The envelope is the key's own, and equals what /v1/balance reports.
    bal = ok(get(base_url, "/v1/balance", key))
    assert env["quota"] == bal["key"]["remaining_credits"]
    assert (env["org"] is not None) == (fixtures.accounts[account]["kind"] == "org")
    if env["org"] is not None:
        assert env["org"] == bal["wallet"]["balance_credits"]
    windows = bal["windows"]
    if windows:
        tight = min(windows, key=lambda w: w["remaining_usd"])
        assert (env["limit"], env["remaining"], env["reset"]) == (micros(tight["limit_usd"]), micros(tight["remaining_usd"]), tight["reset"])
    else:
        assert (env["limit"], env["remaining"], env["reset"]) == (0, 0, 0)


def test_request_ids_are_unique(base_url):
    seen = {get(base_url, p, ADMIN).headers["X-Request-Id"]
            for p in ("/v1/usage", "/v1/balance", "/api/v1/me/account", "/api/v1/keys", "/api/v1/keys", "/v1/usage?page=0")}
    assert len(seen) == 6


def test_head_on_accounting_reads(base_url):
    for path in ("/v1/usage", "/v1/balance", "/api/v1/me/account", "/api/v1/me/billing/transactions"):
        r = requests.head(base_url + path, headers={"Authorization": f"Bearer {DEFAULT}"}, timeout=HTTP_TIMEOUT)
        assert r.status_code == 200 and r.content == b""
        assert REQUEST_ID.match(r.headers["X-Request-Id"])
        assert envelope(r)["quota"] == wallet(FX, "acct_ada")


# --- regressions for bugs found while writing this suite -----------------------------------------

def test_me_usage_group_by_is_deduplicated_defaulted_and_exclusive(base_url):
    spent(base_url, DEFAULT, "gpt-5-4", input_tokens=1000)
    dup = get(base_url, "/api/v1/me/usage?group_by=day,day", DEFAULT)
    assert dup.status_code == 200 and dup.text.count('"bucket"') == 1
    assert ok(get(base_url, "/api/v1/me/usage?group_by=", DEFAULT)) == ok(get(base_url, "/api/v1/me/usage", DEFAULT))
    error(get(base_url, "/api/v1/me/usage?group_by=day,hour", DEFAULT), 400, param="group_by")


@pytest.mark.parametrize("key, status, code", [("key_revoked", 401, "invalid_api_key"), ("key_expired", 401, "invalid_api_key"),
                                               ("key_paused", 403, "permission_denied")])
def test_enforced_spend_rejects_keys_real_traffic_rejects(base_url, key, status, code):
    error(spend(base_url, key, "gpt-5-5", input_tokens=1000), status, code=code)
    assert ok(spend(base_url, key, "gpt-5-5", input_tokens=1000, enforce=False))["credits"] > 0


def test_headers_describe_the_callers_key_after_it_changed_itself(base_url):
    r = call(base_url, "PATCH", "/api/v1/keys/key_admin", ADMIN, json={"quota": 1})
    assert r.status_code == 200, r.text
    assert r.headers["x-quota-remaining-credits"] == "1.000000"
