"""/v1/models against the running mock, through the official SDKs and plain HTTP.

Every expected value is computed from Fixtures/catalog.json and Fixtures/keys.json (see conftest).
"""

from __future__ import annotations

import re
import time

import anthropic
import openai
import pytest
import requests

from conftest import MODEL_FIELDS, Fixtures

FX = Fixtures()  # module-level copy for parametrisation; tests use the `fixtures` fixture
REQUEST_ID = re.compile(r"^req_[0-9a-f]{24}$")
ACCOUNTING_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-quota-remaining-credits")
HTTP_TIMEOUT = 10


def usd(amount: float) -> str:
    """The gateway's money format: USD with six decimals."""
    return f"{amount:.6f}"


def oa(base_url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url + "/v1", api_key=key, max_retries=0, timeout=HTTP_TIMEOUT)


def get(base_url: str, path: str, key: str | None = None, **kw) -> requests.Response:
    headers = kw.pop("headers", {})
    if key is not None:
        headers.setdefault("Authorization", f"Bearer {key}")
    return requests.get(base_url + path, headers=headers, timeout=HTTP_TIMEOUT, **kw)


def ids(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "list"
    return [m["id"] for m in body["data"]]


# ---------------------------------------------------------------------------------------------
# 1. openai SDK: list, retrieve, aliases, retired models, authentication and permission errors
# ---------------------------------------------------------------------------------------------

def test_openai_list_default_group_in_catalog_order(base_url, fixtures):
    expected = fixtures.group_ids("default")
    assert len(expected) == len(fixtures.models)  # the default group routes `*`
    models = list(oa(base_url, fixtures.secret("key_default")).models.list())
    assert [m.id for m in models] == expected
    for m in models:
        assert set(m.to_dict()) == set(MODEL_FIELDS)
        assert m.to_dict() == Fixtures.public(fixtures.model(m.id))


def test_openai_retrieve_matches_fixture(base_url, fixtures):
    model = oa(base_url, fixtures.secret("key_default")).models.retrieve("claude-sonnet-4-6")
    assert model.id == "claude-sonnet-4-6"
    assert model.object == "model"
    assert model.owned_by == "anthropic"
    assert model.created == fixtures.model("claude-sonnet-4-6")["created"]
    assert model.to_dict() == Fixtures.public(fixtures.model("claude-sonnet-4-6"))
    # Exactly these keys, in the documented order (the wire order, not the SDK model's).
    raw = oa(base_url, fixtures.secret("key_default")).models.with_raw_response.retrieve("claude-sonnet-4-6")
    assert list(raw.http_response.json()) == list(MODEL_FIELDS)


@pytest.mark.parametrize("alias,canonical", [(a, m["id"]) for m in FX.models for a in m["aliases"]])
def test_openai_retrieve_alias_gives_canonical_model(base_url, fixtures, alias, canonical):
    model = oa(base_url, fixtures.secret("key_default")).models.retrieve(alias)
    assert model.id == canonical
    assert model.to_dict() == Fixtures.public(fixtures.model(canonical))


def test_openai_retrieve_glm_alias(base_url, fixtures):
    # The brief's named example, kept explicit in case the parametrised list changes.
    assert oa(base_url, fixtures.secret("key_default")).models.retrieve("glm-5.1").id == "glm-5-1"


@pytest.mark.parametrize("retired", FX.retired, ids=[r["id"] for r in FX.retired])
def test_openai_retrieve_retired_is_not_found(base_url, fixtures, retired):
    client = oa(base_url, fixtures.secret("key_default"))
    with pytest.raises(openai.NotFoundError) as info:
        client.models.retrieve(retired["id"])
    e = info.value
    assert e.status_code == 404
    assert e.code == "model_not_found"
    assert e.type == "not_found_error"
    assert retired["id"] in e.message
    if retired.get("replacement"):
        assert retired["replacement"] in e.message
    assert REQUEST_ID.match(e.request_id or "")


def test_openai_retrieve_out_of_group_is_not_found(base_url, fixtures):
    claude_group = set(fixtures.group_ids("claude-default"))
    outsider = next(m["id"] for m in fixtures.models if m["id"] not in claude_group)
    with pytest.raises(openai.NotFoundError) as info:
        oa(base_url, fixtures.secret("key_claude")).models.retrieve(outsider)
    assert info.value.code == "model_not_found"


@pytest.mark.parametrize("key", ["sk-byts-revoked-test-key-0001", "sk-byts-expired-test-key-0001",
                                 "sk-byts-no-such-key-0001"], ids=["revoked", "expired", "unknown"])
def test_openai_bad_key_is_authentication_error(base_url, fixtures, key):
    known = {k["secret"] for k in fixtures.keys.values()}
    if "no-such" in key:
        assert key not in known
    else:
        assert key in known
    with pytest.raises(openai.AuthenticationError) as info:
        oa(base_url, key).models.list()
    e = info.value
    assert e.status_code == 401
    assert e.type == "authentication_error"
    assert e.code == "invalid_api_key"
    assert e.param is None
    assert e.request_id is not None and e.request_id.startswith("req_")
    assert REQUEST_ID.match(e.request_id)
    assert e.request_id == e.response.headers["x-request-id"]
    assert set(e.response.json()) == {"error"}
    assert set(e.response.json()["error"]) == {"message", "type", "param", "code"}
    for h in ACCOUNTING_HEADERS:  # present on failures too
        assert h in e.response.headers, h


def test_openai_revoked_and_expired_messages_say_why(base_url, fixtures):
    for key_id, word in [("key_revoked", "revoked"), ("key_expired", "expired")]:
        with pytest.raises(openai.AuthenticationError) as info:
            oa(base_url, fixtures.secret(key_id)).models.retrieve("claude-sonnet-4-6")
        assert word in info.value.message


def test_openai_paused_org_is_permission_denied(base_url, fixtures):
    key = fixtures.keys["key_paused"]
    assert fixtures.accounts[key["account"]]["status"] == "paused"
    with pytest.raises(openai.PermissionDeniedError) as info:
        oa(base_url, key["secret"]).models.list()
    e = info.value
    assert e.status_code == 403
    assert e.type == "permission_error"
    assert e.code == "permission_denied"
    assert e.request_id == e.response.headers["x-request-id"]
    assert REQUEST_ID.match(e.request_id)


def test_request_ids_are_unique(base_url, fixtures):
    client = oa(base_url, fixtures.secret("key_default"))
    seen = {client.models.with_raw_response.retrieve("gpt-5-5").headers["x-request-id"] for _ in range(5)}
    assert len(seen) == 5
    assert all(REQUEST_ID.match(r) for r in seen)


# ---------------------------------------------------------------------------------------------
# 2. openai SDK raw responses: the accounting headers
# ---------------------------------------------------------------------------------------------

def expected_envelope(fixtures: Fixtures, key_id: str) -> dict:
    key = fixtures.keys[key_id]
    account = fixtures.accounts[key["account"]]
    windows = [(key[f"rate_limit_{w}"], s) for w, s in (("5h", 5 * 3600), ("1d", 86_400), ("7d", 7 * 86_400))]
    windows = [(cap, s) for cap, s in windows if cap > 0]
    tightest = min(windows, key=lambda w: w[0]) if windows else (0, None)
    return {
        "limit": usd(tightest[0]),
        "remaining": usd(tightest[0]),  # nothing spent yet
        "window_seconds": tightest[1],
        "quota": usd(key["quota"] if key["quota"] > 0 else account["balance"]),
        "org": usd(account["balance"]) if account["kind"] == "org" else None,
    }


def test_accounting_headers_org_key(base_url, fixtures):
    key = fixtures.keys["key_org"]
    assert (key["quota"], key["rate_limit_5h"]) == (500.0, 50.0)  # the brief's worked example
    want = expected_envelope(fixtures, "key_org")
    assert (want["quota"], want["limit"], want["window_seconds"]) == ("500.000000", "50.000000", 5 * 3600)

    before = int(time.time())
    raw = oa(base_url, key["secret"]).models.with_raw_response.list()
    after = int(time.time())
    h = raw.headers
    for name in ACCOUNTING_HEADERS:
        assert name in h, name
    assert h["x-ratelimit-limit"] == want["limit"]
    assert h["x-ratelimit-remaining"] == want["remaining"]
    # Nothing spent yet: the rolling bucket is already full, so it "resets" now.
    assert before <= int(h["x-ratelimit-reset"]) <= after
    assert h["x-quota-remaining-credits"] == want["quota"]
    assert h["x-org-quota-remaining-credits"] == want["org"] == "8420.650000"
    assert [m.id for m in raw.parse()] == fixtures.group_ids(key["group"])


def test_accounting_headers_personal_key(base_url, fixtures):
    key = fixtures.keys["key_default"]
    want = expected_envelope(fixtures, "key_default")
    raw = oa(base_url, key["secret"]).models.with_raw_response.list()
    h = raw.headers
    for name in ACCOUNTING_HEADERS:
        assert name in h, name
    assert "x-org-quota-remaining-credits" not in h
    # No window configured: the trio is 0, the gateway's "unlimited".
    assert (h["x-ratelimit-limit"], h["x-ratelimit-remaining"], h["x-ratelimit-reset"]) == ("0.000000", "0.000000", "0")
    # No key quota: what the wallet can still spend.
    assert h["x-quota-remaining-credits"] == want["quota"] == "250.000000"


@pytest.mark.parametrize("key_id", ["key_default", "key_org", "key_claude", "key_revoked", "key_paused"])
def test_accounting_headers_on_every_response(base_url, fixtures, key_id):
    client = oa(base_url, fixtures.secret(key_id))
    responses = []
    for call in (client.models.with_raw_response.list, lambda: client.models.with_raw_response.retrieve("gpt-4o")):
        try:
            responses.append(call().http_response)
        except openai.APIStatusError as e:
            responses.append(e.response)
    org = fixtures.accounts[fixtures.keys[key_id]["account"]]["kind"] == "org"
    for r in responses:
        for name in ACCOUNTING_HEADERS:
            assert name in r.headers, (r.status_code, name)
        assert ("x-org-quota-remaining-credits" in r.headers) == org
        assert REQUEST_ID.match(r.headers["x-request-id"])


# ---------------------------------------------------------------------------------------------
# 3. anthropic SDK: error envelope and request-id
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["sk-byts-no-such-key-0001", "sk-byts-revoked-test-key-0001"], ids=["unknown", "revoked"])
def test_anthropic_bad_key_is_authentication_error(base_url, key):
    client = anthropic.Anthropic(base_url=base_url, api_key=key, max_retries=0, timeout=HTTP_TIMEOUT)
    with pytest.raises(anthropic.AuthenticationError) as info:
        client.models.list()
    e = info.value
    assert e.status_code == 401
    assert e.request_id is not None and REQUEST_ID.match(e.request_id)
    assert e.request_id == e.response.headers["request-id"] == e.response.headers["x-request-id"]
    assert e.body["type"] == "error"
    assert e.body["error"]["type"] == "authentication_error"
    assert isinstance(e.body["error"]["message"], str) and e.body["error"]["message"]
    assert e.body["request_id"] == e.request_id
    assert set(e.body) == {"type", "error", "request_id"}


def test_anthropic_paused_org_is_permission_error(base_url, fixtures):
    client = anthropic.Anthropic(base_url=base_url, api_key=fixtures.secret("key_paused"), max_retries=0,
                                 timeout=HTTP_TIMEOUT)
    with pytest.raises(anthropic.PermissionDeniedError) as info:
        client.models.list()
    assert info.value.body["error"]["type"] == "permission_error"
    assert info.value.request_id == info.value.response.headers["request-id"]


# ---------------------------------------------------------------------------------------------
# 4. plain HTTP: filters, groups, routing errors
# ---------------------------------------------------------------------------------------------

def with_caps(models: list[dict], *caps: str) -> list[str]:
    return [m["id"] for m in models if all(c in m["capabilities"] for c in caps)]


def with_family(models: list[dict], *fams: str) -> list[str]:
    return [m["id"] for m in models if m["owned_by"] in fams or m["family"] in fams]


def test_capability_filter_is_and(base_url, fixtures):
    key = fixtures.secret("key_default")
    every = fixtures.group_models("default")
    expected = with_caps(every, "vision", "tool_use")
    assert 0 < len(expected) < len(with_caps(every, "vision"))  # the AND really narrows
    assert len(expected) < len(with_caps(every, "tool_use"))
    got = ids(get(base_url, "/v1/models", key, params=[("capability", "vision"), ("capability", "tool_use")]))
    assert got == expected
    assert ids(get(base_url, "/v1/models", key, params=[("capability", "VISION"), ("capability", "Tool_Use")])) == expected
    assert ids(get(base_url, "/v1/models", key, params={"capability": "image_gen"})) == with_caps(every, "image_gen")


def test_family_filter_by_provider_and_family_alias(base_url, fixtures):
    key = fixtures.secret("key_default")
    every = fixtures.group_models("default")
    expected = with_family(every, "anthropic")
    assert expected and expected == with_family(every, "claude")
    by_provider = ids(get(base_url, "/v1/models", key, params={"family": "anthropic"}))
    by_family = ids(get(base_url, "/v1/models", key, params={"family": "claude"}))
    assert by_provider == by_family == expected
    assert ids(get(base_url, "/v1/models", key, params={"family": "Claude"})) == expected


def test_family_filter_is_or_and_combines_with_capability(base_url, fixtures):
    key = fixtures.secret("key_default")
    every = fixtures.group_models("default")
    got = ids(get(base_url, "/v1/models", key, params=[("family", "openai"), ("family", "glm")]))
    assert got == with_family(every, "openai", "glm")
    assert set(got) >= set(with_family(every, "openai")) | set(with_family(every, "zhipu"))
    got = ids(get(base_url, "/v1/models", key, params=[("family", "google"), ("capability", "video_gen")]))
    assert got == [i for i in with_family(every, "google") if i in with_caps(every, "video_gen")]
    assert got  # Veo


@pytest.mark.parametrize("params", [{"family": "no-such-family"}, {"capability": "teleportation"},
                                    [("capability", "vision"), ("capability", "no-such-cap")]])
def test_unknown_filter_value_gives_empty_list(base_url, fixtures, params):
    r = get(base_url, "/v1/models", fixtures.secret("key_default"), params=params)
    assert r.status_code == 200
    assert r.json() == {"object": "list", "data": []}


@pytest.mark.parametrize("key_id", ["key_claude", "key_gemini"])
def test_group_key_sees_only_its_group(base_url, fixtures, key_id):
    key = fixtures.keys[key_id]
    expected = fixtures.group_ids(key["group"])
    assert 0 < len(expected) < len(fixtures.models)
    r = get(base_url, "/v1/models", key["secret"])
    assert ids(r) == expected
    assert r.json()["data"] == [Fixtures.public(m) for m in fixtures.group_models(key["group"])]
    # Filters apply within the group only.
    assert ids(get(base_url, "/v1/models", key["secret"], params={"family": "openai"})) == []


def test_claude_group_key_with_filters(base_url, fixtures):
    key = fixtures.keys["key_claude"]
    members = fixtures.group_models(key["group"])
    got = ids(get(base_url, "/v1/models", key["secret"], params={"family": "deepseek"}))
    assert got == with_family(members, "deepseek") == ["deepseek-v3-anthropic", "deepseek-v4-pro"]


def test_x_api_key_wins_over_bearer(base_url, fixtures):
    r = get(base_url, "/v1/models", headers={"x-api-key": fixtures.secret("key_claude"),
                                             "Authorization": f"Bearer {fixtures.secret('key_revoked')}"})
    assert ids(r) == fixtures.group_ids("claude-default")
    r = get(base_url, "/v1/models", headers={"x-api-key": fixtures.secret("key_revoked"),
                                             "Authorization": f"Bearer {fixtures.secret('key_default')}"})
    assert r.status_code == 401


def test_missing_key_is_401(base_url):
    r = get(base_url, "/v1/models")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_api_key"
    assert r.json()["error"]["type"] == "authentication_error"


def test_unknown_route_is_404_with_openai_envelope(base_url, fixtures):
    r = get(base_url, "/v1/no-such-route", fixtures.secret("key_default"))
    assert r.status_code == 404
    body = r.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["type"] == "not_found_error"
    assert body["error"]["code"] == "not_found"
    assert body["error"]["param"] is None
    assert "/v1/no-such-route" in body["error"]["message"]
    assert REQUEST_ID.match(r.headers["X-Request-Id"])
    assert r.headers["Content-Type"].startswith("application/json")


def test_post_models_is_405_with_allow(base_url, fixtures):
    r = requests.post(base_url + "/v1/models", json={}, timeout=HTTP_TIMEOUT,
                      headers={"Authorization": f"Bearer {fixtures.secret('key_default')}"})
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, HEAD"
    assert r.json()["error"]["type"] == "invalid_request_error"
    assert r.json()["error"]["code"] == "method_not_allowed"
    assert REQUEST_ID.match(r.headers["X-Request-Id"])


def test_anthropic_version_header_switches_envelope(base_url, fixtures):
    retired = fixtures.retired[0]["id"]
    r = get(base_url, f"/v1/models/{retired}", fixtures.secret("key_default"),
            headers={"anthropic-version": "2023-06-01"})
    assert r.status_code == 404
    body = r.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == "not_found_error"
    assert body["request_id"] == r.headers["request-id"] == r.headers["X-Request-Id"]


def test_head_models(base_url, fixtures):
    r = requests.head(base_url + "/v1/models", timeout=HTTP_TIMEOUT,
                      headers={"Authorization": f"Bearer {fixtures.secret('key_default')}"})
    assert r.status_code == 200
    assert r.content == b""
    assert REQUEST_ID.match(r.headers["X-Request-Id"])
