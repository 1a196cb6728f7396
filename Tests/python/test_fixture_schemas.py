"""The JSON Schemas in Fixtures/schema/ checked with a real validator (jsonschema, draft 2020-12):
the built-in fixtures pass, deliberately broken files fail, and the binary's own loader
(`--check-fixtures`) agrees with the schema on every one of those documents.

Run: BYTESPIKE_MOCK_BIN=$(swift build --show-bin-path)/bytespike-mock \
     .venv/bin/python -m pytest -q Tests/python/test_fixture_schemas.py
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Fixtures"
SCHEMAS = FIXTURES / "schema"
BINARY = Path(os.environ.get("BYTESPIKE_MOCK_BIN", str(ROOT / ".build" / "debug" / "bytespike-mock")))
FILES = ["catalog.json", "keys.json", "replies.json", "faults.json", "media.json"]

MODEL = {
    "id": "acme-1", "owned_by": "acme", "family": "acme", "kind": "text", "capabilities": ["text", "streaming"],
    "context_window": 8000, "max_output_tokens": 1000, "input_modalities": ["text"], "output_modalities": ["text"],
    "created": 1700000000,
}
ACCOUNT = {"id": "acct_test", "kind": "personal", "name": "Test", "balance": 10, "concurrency": 3}
KEY = {"id": "key_test", "name": "test", "secret": "sk-test-0000000001", "group": "default", "account": "acct_test"}


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name.replace(".json", ".schema.json")).read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def check_fixtures(tmp_path: Path, name: str, document: dict) -> subprocess.CompletedProcess:
    directory = tmp_path / "fixtures"
    directory.mkdir()
    (directory / name).write_text(json.dumps(document))
    return subprocess.run([str(BINARY), "--check-fixtures", "--fixtures", str(directory)],
                          capture_output=True, text=True, timeout=20)


@pytest.mark.parametrize("name", FILES)
def test_every_schema_is_a_valid_draft_2020_12_schema_that_rejects_unknown_top_level_fields(name):
    v = validator(name)
    assert v.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert v.schema["additionalProperties"] is False
    assert list(v.iter_errors({"no_such_field": 1})), "an unknown top-level field must fail"


@pytest.mark.parametrize("name", ["catalog.json", "keys.json", "replies.json", "media.json"])
def test_built_in_fixture_passes_its_schema(name):
    document = json.loads((FIXTURES / name).read_text())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator(name).iter_errors(document)]
    assert errors == []


GOOD = [
    ("catalog.json", {"$schema": "schema/catalog.schema.json", "models": [MODEL]}),
    ("catalog.json", {"mode": "extend", "models": [{**MODEL, "pricing": {"input": 1.5, "output": 2}, "aliases": ["acme"]}],
                      "retired": [{"id": "acme-0", "replacement": "acme-1"}]}),
    ("keys.json", {"accounts": [ACCOUNT], "keys": [KEY]}),
    ("keys.json", {"accounts": [{**ACCOUNT, "tier": "pro"}], "keys": [{**KEY, "expires_at": None, "quota": 5}]}),
    ("replies.json", {"replies": [{"match": {"surface": ["chat", "messages"], "contains": "hi"}, "reply": {"text": "hello"}}]}),
    ("faults.json", {"faults": ["429 first=2", {"fault": "latency", "latency": "200ms"}]}),
    ("media.json", {"files": {"ttl_seconds": 60}, "max_prompt_chars": 100}),
    ("replies.json", {"pacing": {"tokens_per_second": 0.1, "first_token_ms": 0}}),
    ("replies.json", {"pacing": {"tokens_per_second": 0}}),
]

BAD = [
    ("catalog.json", {"models": [{**MODEL, "capabilites": ["text"]}]}, "misspelt field"),
    ("catalog.json", {"models": [{**MODEL, "capabilities": ["text", "vison"]}]}, "unknown capability tag"),
    ("catalog.json", {"models": [{k: v for k, v in MODEL.items() if k != "owned_by"}]}, "missing required field"),
    ("catalog.json", {"models": [{**MODEL, "context_window": -1}]}, "negative context window"),
    ("catalog.json", {"models": [{**MODEL, "kind": "txt"}]}, "unknown kind"),
    ("catalog.json", {"mode": "merge"}, "unknown mode"),
    ("keys.json", {"accounts": [{**ACCOUNT, "concurrency": 0}]}, "concurrency below 1"),
    ("keys.json", {"accounts": [{**ACCOUNT, "status": "frozen"}]}, "unknown status"),
    ("keys.json", {"accounts": [{**ACCOUNT, "balance": -1}]}, "negative balance"),
    ("keys.json", {"accounts": [ACCOUNT], "keys": [{**KEY, "quotas": 5}]}, "misspelt key field"),
    ("keys.json", {"accounts": [ACCOUNT], "keys": [{**KEY, "secret": "short"}]}, "secret too short"),
    ("keys.json", {"accounts": [ACCOUNT], "keys": [{**KEY, "revoked": "yes"}]}, "wrong type"),
    ("replies.json", {"replies": [{"match": {"surface": "chatt"}, "reply": {"text": "x"}}]}, "unknown surface"),
    ("replies.json", {"replies": [{"reply": {"text": "x"}, "times": 0}]}, "times below 1"),
    ("replies.json", {"replies": [{"reply": {"error": {"status": 200}}}]}, "non-error status"),
    ("replies.json", {"replies": [{"reply": {"txt": "x"}}]}, "misspelt reply field"),
    ("replies.json", {"replies": [{"match": {}}]}, "missing reply"),
    ("replies.json", {"pacing": {"first_token_ms": 600001}}, "pacing out of range"),
    ("replies.json", {"pacing": {"tokens_per_second": 0.05}}, "rate below the floor"),
    ("keys.json", {"accounts": [ACCOUNT], "transactions": [{"id": 0, "account": "acct_test", "created": "2026-01-01T00:00:00Z",
                                                           "kind": "topup", "amount": 1}]}, "transaction id 0"),
    ("catalog.json", {"models": [{**MODEL, "created": 253402300800}]}, "created past year 9999"),
    ("media.json", {"max_prompt_chars": 10000001}, "prompt limit too high"),
    ("faults.json", {"fault": ["429"]}, "misspelt top-level field"),
    ("media.json", {"images": [{"model": "gpt-image-2", "n_max": 11, "sizes": ["1x1"], "default_size": "1x1"}]}, "n_max above 10"),
    ("media.json", {"files": {"ttl_seconds": 0}}, "ttl below 1"),
    ("media.json", {"videos": [{"model": "sora-2", "max_seconds": 5, "resolutions": ["4k"], "default_resolution": "720p",
                                "queue_seconds": 1, "render_seconds": 1}]}, "unknown resolution"),
]


@pytest.mark.parametrize("name,document", GOOD, ids=[f"{n}-{i}" for i, (n, _) in enumerate(GOOD)])
def test_good_document_passes_the_schema_and_the_loader(tmp_path, name, document):
    errors = [e.message for e in validator(name).iter_errors(document)]
    assert errors == []
    result = check_fixtures(tmp_path, name, document)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("fixtures ok")


@pytest.mark.parametrize("name,document,why", BAD, ids=[why for _, _, why in BAD])
def test_broken_document_fails_the_schema_and_the_loader(tmp_path, name, document, why):
    assert list(validator(name).iter_errors(document)), f"the schema accepts a {why}"
    result = check_fixtures(tmp_path, name, document)
    assert result.returncode == 2, f"the loader accepts a {why}: {result.stdout}"
    assert f"{name}: " in result.stderr


TIER_CONCURRENCY = {"free": 5, "pro": 25, "max": 100, "enterprise": 500}


def money(value) -> str:
    return "–" if not value else f"${value:g}"


def test_docs_key_table_states_every_built_in_keys_limits():
    """docs/fixtures.md lists each built-in key's account, concurrency, balance, quota and windows
    as Fixtures/keys.json defines them."""
    keys_file = json.loads((FIXTURES / "keys.json").read_text())
    accounts = {a["id"]: a for a in keys_file["accounts"]}
    rows = {}
    for line in (ROOT / "docs" / "fixtures.md").read_text().splitlines():
        if line.startswith("| `sk-"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0].strip("`")] = cells[1:6]
    assert len(rows) == len(keys_file["keys"])
    for key in keys_file["keys"]:
        account = accounts[key["account"]]
        tier = account.get("tier", "free")
        concurrency = account.get("concurrency", TIER_CONCURRENCY[tier])
        windows = [key.get(f"rate_limit_{w}") or 0 for w in ("5h", "1d", "7d")]
        want = [f"`{account['id']}` ({tier})", str(concurrency), f"${account['balance']:g}", money(key.get("quota")),
                " / ".join(money(w) for w in windows) if any(windows) else "–"]
        assert rows[key["secret"]] == want, key["id"]
