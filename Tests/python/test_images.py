"""The image surface end to end: `POST /v1/images/generations` (JSON), `POST /v1/images/edits`
(multipart) and the `/files/{name}` downloads they point at, against real servers.

- Every image model of Fixtures/media.json, every size it lists (one 4096x4096 request only: a
  debug build renders it slowly): the returned URL is downloaded without a key and decoded with
  Pillow (`verify()`, then a fresh `load()`); width and height are exact.
- `n` images → n distinct URLs and distinct pictures; `b64_json` carries the very bytes the URL form
  serves for the same prompt, size and `seed`; same prompt + size + seed → identical bytes across
  requests, another seed or prompt → other bytes.
- The official OpenAI SDK as a real client (`images.generate`, `images.edit` with one file, a list
  of files and a mask), its typed results and its typed errors.
- Every validation error with its exact status, the `{"error":{message,type,param,code}}` envelope,
  `code` and `param`; none is billed (the accounting header and the `/v1/usage` rows do not move).
- Billing: n × the model's `per_image` price in exact micro-USD, one usage row per request.
- Files: GET/HEAD headers, byte ranges (206 / 416), 404 for names never issued, expiry on the
  virtual clock (private servers), the `files.ttl_seconds` override, `/__mock/reset`.
- Faults reach the images and files surfaces and are never billed.

Expected values come from Fixtures/media.json and Fixtures/catalog.json, so a stale embedding of
the fixtures shows up as a failure.
"""

from __future__ import annotations

import base64
import io
import json
import re
import socket
import uuid
from decimal import Decimal
from pathlib import Path

import openai
import pytest
import requests
from PIL import Image

from mockproc import running_mock
from sdk_helpers import (  # noqa: F401  (reset_mock is an autouse fixture)
    BROKE, CLAUDE, DEFAULT, GEMINI, TINY, Traffic, exhaust_tiny_quota, openai_client, reset_mock, usage_rows,
)

ROOT = Path(__file__).resolve().parents[2]
MEDIA = json.loads((ROOT / "Fixtures" / "media.json").read_text())
CATALOG = {m["id"]: m for m in json.loads((ROOT / "Fixtures" / "catalog.json").read_text())["models"]}
SPECS: dict[str, dict] = {i["model"]: i for i in MEDIA["images"]}
IMAGE_MODELS = list(SPECS)
EDIT_MODELS = [m for m, s in SPECS.items() if s.get("edits")]
NON_EDIT_MODELS = [m for m, s in SPECS.items() if not s.get("edits")]
# Options the mock knows (ImageEndpoints.imageOptionNames); a model that does not list one rejects it.
OPTION_NAMES = ["quality", "style", "output_format", "background", "negative_prompt", "source_image", "aspect_ratio"]
TTL = MEDIA["files"]["ttl_seconds"]
MAX_PROMPT = MEDIA["max_prompt_chars"]
BLOCKED = MEDIA["blocked_terms"]
TEXT_MODEL = "gpt-5-4-nano"
VIDEO_MODEL = MEDIA["videos"][0]["model"]

T = 15  # seconds, every HTTP call
PNG_SIG = b"\x89PNG\r\n\x1a\n"
FILE_URL = re.compile(r"^/files/img_[A-Za-z0-9]{24}\.png$")
ENVELOPE_KEYS = {"message", "type", "param", "code"}


def size_of(text: str) -> tuple[int, int]:
    w, h = text.split("x")
    return int(w), int(h)


def micros(value) -> int:
    d = Decimal(str(value)) * 1_000_000
    assert d == d.to_integral_value(), value
    return int(d)


def price(model: str) -> int:
    """The catalog's per-image price in micro-USD credits."""
    return micros(CATALOG[model]["pricing"]["per_image"])


# Every (model, size) pair of media.json; the only 4096x4096 one stays a single request.
SIZE_CASES = [(m, s) for m, spec in SPECS.items() for s in spec["sizes"]]
assert sum(1 for _, s in SIZE_CASES if s == "4096x4096") == 1, "keep the suite to one 4096x4096 render"


# ---------------------------------------------------------------------------------------------
# HTTP helpers
# ---------------------------------------------------------------------------------------------

def auth(key: str = DEFAULT, **extra) -> dict:
    return {"Authorization": f"Bearer {key}", **extra}


def generate(base: str, body, key: str = DEFAULT, headers: dict | None = None) -> requests.Response:
    h = auth(key, **(headers or {}))
    if isinstance(body, (bytes, str)):
        return requests.post(base + "/v1/images/generations", headers={**h, "Content-Type": "application/json"},
                             data=body, timeout=T)
    return requests.post(base + "/v1/images/generations", headers=h, json=body, timeout=T)


def edit(base: str, files, data: dict | None = None, key: str = DEFAULT, headers: dict | None = None) -> requests.Response:
    return requests.post(base + "/v1/images/edits", headers=auth(key, **(headers or {})), files=files,
                         data=data or {}, timeout=T)


def ok(r: requests.Response) -> dict:
    assert r.status_code == 200, f"{r.request.method} {r.url}: {r.status_code} {r.text[:500]}"
    assert r.headers["Content-Type"].startswith("application/json")
    return r.json()


def error(r: requests.Response, status: int, code: str, param: str | None = ..., type_: str | None = None) -> dict:
    """Asserts the gateway's OpenAI-shaped error envelope and returns its `error` object."""
    assert r.status_code == status, f"{r.request.method} {r.url}: expected {status}, got {r.status_code} {r.text[:500]}"
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}, body
    e = body["error"]
    assert set(e) == ENVELOPE_KEYS, e
    assert isinstance(e["message"], str) and e["message"], e
    assert e["code"] == code, e
    if param is not ...:
        assert e["param"] == param, e
    if type_ is not None:
        assert e["type"] == type_, e
    return e


def quota_header(r: requests.Response) -> int:
    v = r.headers["X-Quota-Remaining-Credits"]
    assert re.fullmatch(r"-?\d+\.\d{6}", v), v
    return micros(v)


def quota(base: str, key: str = DEFAULT) -> int:
    """The key's remaining credits, from the accounting header of a free read."""
    r = requests.get(base + "/v1/balance", headers=auth(key), timeout=T)
    assert r.status_code == 200, r.text
    return quota_header(r)


def rows(base: str, key: str = DEFAULT) -> list[dict]:
    return usage_rows(base, key)


def download(url: str, headers: dict | None = None) -> bytes:
    """GETs a `/files/` URL with no API key; asserts a complete PNG response."""
    r = requests.get(url, headers=headers or {}, timeout=T)
    assert r.status_code == 200, f"GET {url}: {r.status_code} {r.text[:300]}"
    assert r.headers["Content-Type"] == "image/png"
    assert int(r.headers["Content-Length"]) == len(r.content)
    assert r.headers["Accept-Ranges"] == "bytes"
    return r.content


def decode(data: bytes, size: tuple[int, int]) -> Image.Image:
    """Validates a PNG with Pillow (verify, then a full decode) and checks its exact size."""
    assert data[:8] == PNG_SIG, data[:16]
    im = Image.open(io.BytesIO(data))
    assert im.format == "PNG"
    im.verify()
    im = Image.open(io.BytesIO(data))
    im.load()
    assert im.size == size, (im.size, size)
    # Media.png: indexed colour, a 16-entry palette, a pattern (never a flat picture).
    assert im.mode == "P", im.mode
    assert len(im.getpalette()) == 16 * 3
    colours = im.getcolors(maxcolors=256)
    assert colours is not None and len(colours) > 1, colours
    return im


def file_path(url: str, base: str) -> str:
    assert url.startswith(base + "/files/"), (url, base)
    path = url[len(base):]
    assert FILE_URL.match(path), path
    return path


def check_generation(body: dict, base: str, model: str, size: str, n: int, prompt: str, *,
                     inline: bool = False, quality: str | None = None) -> list[str]:
    """The success shape; returns the URLs (url form) or the base64 strings (b64_json form)."""
    want = {"created", "data", "model", "size", "output_format", "expires_at"} | ({"quality"} if quality else set())
    assert set(body) == want, body.keys()
    assert body["model"] == model and body["size"] == size and body["output_format"] == "png"
    if quality:
        assert body["quality"] == quality
    assert isinstance(body["created"], int)
    assert body["expires_at"] == body["created"] + TTL
    assert len(body["data"]) == n
    out = []
    for item in body["data"]:
        field = "b64_json" if inline else "url"
        assert set(item) == {field, "revised_prompt"}, item
        assert item["revised_prompt"] == prompt
        if not inline:
            file_path(item["url"], base)
        out.append(item[field])
    return out


def png_bytes(size=(8, 8), colour=(200, 10, 10), fmt: str = "PNG") -> bytes:
    b = io.BytesIO()
    Image.new("RGB", size, colour).save(b, fmt)
    return b.getvalue()


class ReadingTraffic(Traffic):
    """Traffic that buffers each request body (multipart bodies are streams), so tests can read it."""

    def on_request(self, request) -> None:
        request.read()
        super().on_request(request)


def session() -> str:
    return "img-" + uuid.uuid4().hex[:12]


class Unbilled:
    """Asserts that what happens inside the block bills nothing: header and usage rows unchanged."""

    def __init__(self, base: str, key: str = DEFAULT) -> None:
        self.base, self.key = base, key

    def __enter__(self):
        self.quota = quota(self.base, self.key)
        self.rows = rows(self.base, self.key)
        return self

    def check(self, r: requests.Response) -> None:
        """The error response itself carries the unchanged remaining credits."""
        assert quota_header(r) == self.quota, (r.headers["X-Quota-Remaining-Credits"], self.quota)

    def __exit__(self, *exc):
        if exc[0] is None:
            assert quota(self.base, self.key) == self.quota
            assert rows(self.base, self.key) == self.rows
        return False


def seed_a_row(base: str) -> dict:
    """One billed generation, so that "rows unchanged" compares a non-empty ledger."""
    body = ok(generate(base, {"model": "seedream-v5lite", "prompt": "a baseline picture"}))
    assert len(body["data"]) == 1
    return body


# ---------------------------------------------------------------------------------------------
# generations: every model, every size
# ---------------------------------------------------------------------------------------------

def test_fixture_sanity():
    """The fixtures drive the parametrisation: every image model is a priced image model."""
    assert len(IMAGE_MODELS) >= 7
    for m in IMAGE_MODELS:
        assert CATALOG[m]["kind"] == "image" and CATALOG[m]["pricing"]["per_image"] > 0
        assert SPECS[m]["default_size"] in SPECS[m]["sizes"]
    assert "seedream-v5lite" in NON_EDIT_MODELS and "gpt-image-2" in EDIT_MODELS
    assert SPECS["nano-banana"]["n_max"] == 2


@pytest.mark.parametrize("model", IMAGE_MODELS)
def test_generation_default_size_billed_once(base_url, model):
    seed_a_row(base_url)
    before, before_rows = quota(base_url), rows(base_url)
    prompt = f"a lighthouse for {model}"
    r = generate(base_url, {"model": model, "prompt": prompt})
    body = ok(r)
    assert re.fullmatch(r"req_[0-9a-f]{24}", r.headers["X-Request-Id"])
    [url] = check_generation(body, base_url, model, SPECS[model]["default_size"], 1, prompt)
    decode(download(url), size_of(SPECS[model]["default_size"]))
    # billing: exactly one image at the catalog price, seen on the response itself and after
    assert quota_header(r) == before - price(model)
    assert quota(base_url) == before - price(model)
    after_rows = rows(base_url)
    assert after_rows[1:] == before_rows
    row = after_rows[0]
    assert row["request_id"] == r.headers["X-Request-Id"]
    assert row["model"] == model and row["surface"] == "images" and row["api_key_id"] == "key_default"
    assert row["images"] == 1 and row["credits"] == price(model)
    assert Decimal(str(row["cost_usd"])) == Decimal(price(model)) / 1_000_000
    assert row["prompt_tokens"] == row["completion_tokens"] == row["video_seconds"] == 0


@pytest.mark.parametrize("model", IMAGE_MODELS)
def test_generation_n_max_distinct_images_and_n_limits(base_url, model):
    spec = SPECS[model]
    n = spec["n_max"]
    before = quota(base_url)
    r = generate(base_url, {"model": model, "prompt": "a flock of birds", "n": n})
    urls = check_generation(ok(r), base_url, model, spec["default_size"], n, "a flock of birds")
    assert len(set(urls)) == n
    pictures = [download(u) for u in urls]
    assert len(set(pictures)) == n, "every image of one request is a different picture"
    for p in pictures:
        decode(p, size_of(spec["default_size"]))
    assert quota_header(r) == before - n * price(model)
    [row] = rows(base_url)
    assert row["images"] == n and row["credits"] == n * price(model) and row["model"] == model
    # one past the limit, zero and negative are refused, unbilled
    with Unbilled(base_url) as u:
        for bad in (n + 1, 0, -1):
            resp = generate(base_url, {"model": model, "prompt": "a flock of birds", "n": bad})
            e = error(resp, 400, "invalid_param", "n", "invalid_request_error")
            assert f"1 to {n}" in e["message"] and str(bad) in e["message"]
            u.check(resp)


@pytest.mark.parametrize("model,size", SIZE_CASES, ids=[f"{m}-{s}" for m, s in SIZE_CASES])
def test_generation_every_listed_size(base_url, model, size):
    r = generate(base_url, {"model": model, "prompt": f"a mountain at {size}", "size": size})
    [url] = check_generation(ok(r), base_url, model, size, 1, f"a mountain at {size}")
    decode(download(url), size_of(size))


def test_size_auto_is_the_default_size(base_url):
    for model in ("gpt-image-2", "seedream-v4.5"):
        body = ok(generate(base_url, {"model": model, "prompt": "auto", "size": "auto"}))
        assert body["size"] == SPECS[model]["default_size"]


def test_alias_resolves_and_bills_the_canonical_model(base_url):
    alias = CATALOG["seedream-v4"]["aliases"][0]
    assert alias == "seedream-4"
    before = quota(base_url)
    body = ok(generate(base_url, {"model": alias, "prompt": "an alias"}))
    assert body["model"] == "seedream-v4"
    assert quota(base_url) == before - price("seedream-v4")
    [row] = rows(base_url)
    assert row["model"] == "seedream-v4" and row["credits"] == price("seedream-v4")


# ---------------------------------------------------------------------------------------------
# b64_json, determinism
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["gpt-image-2", "seedream-v4.5", "nano-banana"])
def test_b64_json_is_the_url_forms_bytes(base_url, model):
    spec = SPECS[model]
    size = spec["sizes"][-1]
    n = 2
    req = {"model": model, "prompt": "the same harbour", "size": size, "seed": 1234, "n": n}
    before = quota(base_url)
    inline = ok(generate(base_url, {**req, "response_format": "b64_json"}))
    b64s = check_generation(inline, base_url, model, size, n, "the same harbour", inline=True)
    decoded = [base64.b64decode(s, validate=True) for s in b64s]
    for d in decoded:
        decode(d, size_of(size))
    assert decoded[0] != decoded[1]
    urls = check_generation(ok(generate(base_url, {**req, "response_format": "url"})), base_url, model, size, n,
                            "the same harbour")
    assert [download(u) for u in urls] == decoded
    # both forms bill n images
    assert quota(base_url) == before - 2 * n * price(model)
    assert [r["images"] for r in rows(base_url)] == [n, n]


def test_same_prompt_size_seed_same_bytes_other_seed_or_prompt_differs(base_url):
    model, size = "seedream-v4", "1536x1024"

    def picture(prompt: str, seed: int | None, sz: str = size) -> bytes:
        body = {"model": model, "prompt": prompt, "size": sz}
        if seed is not None:
            body["seed"] = seed
        [url] = check_generation(ok(generate(base_url, body)), base_url, model, sz, 1, prompt)
        return download(url)

    a1 = picture("a red fox", 7)
    a2 = picture("a red fox", 7)
    assert a1 == a2, "same prompt + size + seed must give identical bytes"
    decode(a1, (1536, 1024))
    assert picture("a red fox", 8) != a1, "another seed must give another picture"
    assert picture("a red fox!", 7) != a1, "another prompt must give another picture"
    other_size = picture("a red fox", 7, "1024x1536")
    decode(other_size, (1024, 1536))
    # the same request again through b64_json: still the same bytes
    inline = ok(generate(base_url, {"model": model, "prompt": "a red fox", "size": size, "seed": 7,
                                    "response_format": "b64_json"}))
    assert base64.b64decode(inline["data"][0]["b64_json"]) == a1


def test_each_request_issues_new_file_names(base_url):
    req = {"model": "nano-banana", "prompt": "twins", "seed": 3}
    u1 = ok(generate(base_url, req))["data"][0]["url"]
    u2 = ok(generate(base_url, req))["data"][0]["url"]
    assert u1 != u2
    assert download(u1) == download(u2)


# ---------------------------------------------------------------------------------------------
# per-model options
# ---------------------------------------------------------------------------------------------

def _option_cases():
    cases = []
    for model, spec in SPECS.items():
        opts = spec.get("options", {})
        for name in OPTION_NAMES:
            cases.append((model, name, opts.get(name)))
    return cases


@pytest.mark.parametrize("model,name,allowed", _option_cases(), ids=[f"{m}-{n}" for m, n, _ in _option_cases()])
def test_per_model_options(base_url, model, name, allowed):
    with Unbilled(base_url) as u:
        if allowed is None:
            r = generate(base_url, {"model": model, "prompt": "opt", name: "x"})
            e = error(r, 400, "invalid_param", name, "invalid_request_error")
            assert f"not supported by {model}" in e["message"]
            u.check(r)
        elif allowed:
            r = generate(base_url, {"model": model, "prompt": "opt", name: "definitely-not-allowed"})
            e = error(r, 400, "invalid_param", name, "invalid_request_error")
            for v in allowed:
                assert v in e["message"]
            u.check(r)
    if allowed is None:
        return
    values = allowed or ["any free text"]
    for v in values:
        body = ok(generate(base_url, {"model": model, "prompt": "opt", name: v}))
        assert body["model"] == model and body["output_format"] == "png"  # the bytes are always PNG
        if name == "quality":
            assert body["quality"] == v
        else:
            assert "quality" not in body
    assert len(rows(base_url)) == len(values)


@pytest.mark.parametrize("model", [m for m, s in SPECS.items() if "aspect_ratio" in s.get("options", {})])
def test_aspect_ratio_selects_the_matching_size(base_url, model):
    spec = SPECS[model]
    for ratio in spec["options"]["aspect_ratio"]:
        rw, rh = (int(x) for x in ratio.split(":"))
        want = next(s for s in spec["sizes"] if size_of(s)[0] * rh == size_of(s)[1] * rw)
        r = generate(base_url, {"model": model, "prompt": f"ratio {ratio}", "aspect_ratio": ratio})
        [url] = check_generation(ok(r), base_url, model, want, 1, f"ratio {ratio}")
        decode(download(url), size_of(want))


def test_aspect_ratio_examples(base_url):
    """The concrete mapping for nano-banana, independent of the computation above."""
    expect = {"1:1": "1024x1024", "2:3": "1024x1536", "3:2": "1536x1024"}
    for ratio, size in expect.items():
        assert ok(generate(base_url, {"model": "nano-banana", "prompt": "p", "aspect_ratio": ratio}))["size"] == size
    assert ok(generate(base_url, {"model": "nano-banana-v2", "prompt": "p", "aspect_ratio": "3:4"}))["size"] == "1536x2048"
    with Unbilled(base_url):
        error(generate(base_url, {"model": "nano-banana", "prompt": "p", "aspect_ratio": "16:9"}), 400, "invalid_param",
              "aspect_ratio")
        error(generate(base_url, {"model": "gpt-image-2", "prompt": "p", "aspect_ratio": "1:1"}), 400, "invalid_param",
              "aspect_ratio")


def test_output_compression_range(base_url):
    for c in (0, 55, 100):
        ok(generate(base_url, {"model": "gpt-image-2", "prompt": "c", "output_compression": c}))
    assert len(rows(base_url)) == 3
    with Unbilled(base_url) as u:
        for c in (-1, 101):
            r = generate(base_url, {"model": "gpt-image-2", "prompt": "c", "output_compression": c})
            e = error(r, 400, "invalid_param", "output_compression")
            assert "0 to 100" in e["message"] and str(c) in e["message"]
            u.check(r)
        r = generate(base_url, {"model": "gpt-image-2", "prompt": "c", "output_compression": "50"})
        error(r, 400, "invalid_param", "output_compression")
        r = generate(base_url, {"model": "seedream-v4", "prompt": "c", "output_compression": 50})
        e = error(r, 400, "invalid_param", "output_compression")
        assert "not supported by seedream-v4" in e["message"]


# ---------------------------------------------------------------------------------------------
# validation errors: exact status, envelope, code, param; never billed
# ---------------------------------------------------------------------------------------------

GPT_IMAGE = "gpt-image-2"
VALIDATION_CASES = [
    ("empty-object", {}, 400, "invalid_param", "model"),
    ("missing-model", {"prompt": "x"}, 400, "invalid_param", "model"),
    ("model-not-string", {"model": 123, "prompt": "x"}, 400, "invalid_param", "model"),
    ("missing-prompt", {"model": GPT_IMAGE}, 400, "invalid_param", "prompt"),
    ("prompt-not-string", {"model": GPT_IMAGE, "prompt": ["x"]}, 400, "invalid_param", "prompt"),
    ("empty-prompt", {"model": GPT_IMAGE, "prompt": ""}, 400, "invalid_param", "prompt"),
    ("blank-prompt", {"model": GPT_IMAGE, "prompt": "  \n\t "}, 400, "invalid_param", "prompt"),
    ("unknown-model", {"model": "gpt-image-99", "prompt": "x"}, 404, "model_not_found", "model"),
    ("retired-model", {"model": "gpt-image-1", "prompt": "x"}, 400, "unsupported_model", "model"),
    ("text-model", {"model": TEXT_MODEL, "prompt": "x"}, 400, "invalid_param", "model"),
    ("video-model", {"model": VIDEO_MODEL, "prompt": "x"}, 400, "invalid_param", "model"),
    ("n-string", {"model": GPT_IMAGE, "prompt": "x", "n": "2"}, 400, "invalid_param", "n"),
    ("n-fraction", {"model": GPT_IMAGE, "prompt": "x", "n": 1.5}, 400, "invalid_param", "n"),
    ("nano-banana-n3", {"model": "nano-banana", "prompt": "x", "n": 3}, 400, "invalid_param", "n"),
    ("size-unlisted", {"model": GPT_IMAGE, "prompt": "x", "size": "512x512"}, 400, "invalid_param", "size"),
    ("size-other-models", {"model": "seedream-v4", "prompt": "x", "size": "4096x4096"}, 400, "invalid_param", "size"),
    ("size-garbage", {"model": GPT_IMAGE, "prompt": "x", "size": "big"}, 400, "invalid_param", "size"),
    ("size-uppercase-x", {"model": GPT_IMAGE, "prompt": "x", "size": "1024X1024"}, 400, "invalid_param", "size"),
    ("response-format", {"model": GPT_IMAGE, "prompt": "x", "response_format": "jpeg"}, 400, "invalid_param",
     "response_format"),
    ("style-on-seedream", {"model": "seedream-v4", "prompt": "x", "style": "vivid"}, 400, "invalid_param", "style"),
    ("quality-ultra", {"model": GPT_IMAGE, "prompt": "x", "quality": "ultra"}, 400, "invalid_param", "quality"),
    ("quality-bool", {"model": GPT_IMAGE, "prompt": "x", "quality": True}, 400, "invalid_param", "quality"),
    ("seed-string", {"model": GPT_IMAGE, "prompt": "x", "seed": "7"}, 400, "invalid_param", "seed"),
    ("compression-high", {"model": GPT_IMAGE, "prompt": "x", "output_compression": 101}, 400, "invalid_param",
     "output_compression"),
    ("too-long", {"model": GPT_IMAGE, "prompt": "a" * (MAX_PROMPT + 1)}, 413, "prompt_too_long", "prompt"),
    ("blocked-lower", {"model": GPT_IMAGE, "prompt": f"please draw {BLOCKED[0]}"}, 451, "content_policy_violation",
     "prompt"),
]
VALIDATION_CASES += [
    (f"blocked-mixed-case-{i}", {"model": GPT_IMAGE, "prompt": f"A {term.swapcase().title()} picture"}, 451,
     "content_policy_violation", "prompt")
    for i, term in enumerate(BLOCKED)
]


@pytest.mark.parametrize("name,body,status,code,param", VALIDATION_CASES, ids=[c[0] for c in VALIDATION_CASES])
def test_validation_error(base_url, name, body, status, code, param):
    seed_a_row(base_url)
    with Unbilled(base_url) as u:
        r = generate(base_url, body)
        e = error(r, status, code, param)
        u.check(r)
    expected_type = {404: "not_found_error", 413: "request_too_large"}.get(status, "invalid_request_error")
    assert e["type"] == expected_type, e
    if code == "content_policy_violation":
        term = next(t for t in BLOCKED if t in body["prompt"].lower())
        assert f"'{term}'" in e["message"]
    if code == "prompt_too_long":
        assert f"{MAX_PROMPT + 1} characters" in e["message"] and f"limit is {MAX_PROMPT}" in e["message"]
    if name in ("text-model", "video-model"):
        assert "is not an image model" in e["message"]
    if name == "video-model":
        assert "/v1/tasks/submit" in e["message"]


@pytest.mark.parametrize("raw,code", [(b"not json", "invalid_json"), (b"[]", "invalid_json"), (b'{"model":', "invalid_json")])
def test_body_not_a_json_object(base_url, raw, code):
    with Unbilled(base_url) as u:
        r = generate(base_url, raw)
        error(r, 400, code, None, "invalid_request_error")
        u.check(r)


def test_prompt_limit_counts_characters_not_bytes(base_url):
    """max_prompt_chars counts Unicode scalars: 4000 multi-byte characters pass, one more is 413."""
    for ch in ("a", "é", "字", "😀"):
        ok(generate(base_url, {"model": "seedream-v5lite", "prompt": ch * MAX_PROMPT}))
    assert len(rows(base_url)) == 4
    with Unbilled(base_url):
        e = error(generate(base_url, {"model": "seedream-v5lite", "prompt": "😀" * (MAX_PROMPT + 1)}), 413,
                  "prompt_too_long", "prompt")
        assert f"{MAX_PROMPT + 1} characters" in e["message"]


def test_blocked_term_inside_a_longer_word_and_sdk_error(base_url):
    with Unbilled(base_url):
        error(generate(base_url, {"model": "nano-banana", "prompt": f"xx{BLOCKED[0].upper()}yy"}), 451,
              "content_policy_violation", "prompt")
    client = openai_client(base_url)
    with pytest.raises(openai.APIStatusError) as exc:
        client.images.generate(model="nano-banana", prompt=f"some {BLOCKED[1].upper()}")
    assert exc.value.status_code == 451
    assert exc.value.code == "content_policy_violation" and exc.value.param == "prompt"
    with pytest.raises(openai.APIStatusError) as exc:
        client.images.generate(model="nano-banana", prompt="z" * (MAX_PROMPT + 1))
    assert exc.value.status_code == 413 and exc.value.code == "prompt_too_long"
    assert rows(base_url) == []


def test_auth_and_routing_errors_unbilled(base_url):
    body = {"model": "gpt-image-2", "prompt": "x"}
    r = requests.post(base_url + "/v1/images/generations", json=body, timeout=T)
    error(r, 401, "invalid_api_key", None, "authentication_error")
    # key_claude's routing group does not reach image models; key_gemini's reaches nano-banana*
    with Unbilled(base_url, CLAUDE) as u:
        r = generate(base_url, body, key=CLAUDE)
        error(r, 403, "model_not_in_group", None, "permission_error")
        u.check(r)
    before = quota(base_url, GEMINI)
    ok(generate(base_url, {"model": "nano-banana", "prompt": "x"}, key=GEMINI))
    assert quota(base_url, GEMINI) == before - price("nano-banana")
    with Unbilled(base_url, GEMINI):
        error(generate(base_url, body, key=GEMINI), 403, "model_not_in_group")
    # an empty wallet: 402, nothing billed
    with Unbilled(base_url, BROKE):
        error(generate(base_url, body, key=BROKE), 402, "insufficient_balance", None, "billing_error")
    # a spent quota: 402 quota_exceeded
    exhaust_tiny_quota(base_url)
    with Unbilled(base_url, TINY):
        error(generate(base_url, body, key=TINY), 402, "quota_exceeded")


def test_wrong_method(base_url):
    r = requests.get(base_url + "/v1/images/generations", headers=auth(), timeout=T)
    error(r, 405, "method_not_allowed")


def test_urls_follow_the_host_header(base_url):
    body = ok(generate(base_url, {"model": "nano-banana", "prompt": "proxied"}, headers={"Host": "images.example.test:8443"}))
    url = body["data"][0]["url"]
    assert re.fullmatch(r"http://images\.example\.test:8443/files/img_[A-Za-z0-9]{24}\.png", url), url
    # the name is served here, whatever host the client used
    decode(download(base_url + "/files/" + url.rsplit("/", 1)[1]), (1024, 1024))


def test_url_without_host_header_reaches_this_server(base_url):
    """An HTTP/1.0 request without Host: the URL falls back to loopback, and must still name this
    server's port so the client can follow it."""
    port = int(base_url.rsplit(":", 1)[1])
    payload = json.dumps({"model": "nano-banana", "prompt": "no host"}).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=T) as s:
        s.settimeout(T)
        s.sendall(b"POST /v1/images/generations HTTP/1.0\r\nAuthorization: Bearer " + DEFAULT.encode()
                  + b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(payload)).encode()
                  + b"\r\n\r\n" + payload)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, raw = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.") and b" 200 " in head.split(b"\r\n")[0], head[:200]
    url = json.loads(raw)["data"][0]["url"]
    assert url.startswith(f"http://127.0.0.1:{port}/files/"), url
    decode(download(url), (1024, 1024))


# ---------------------------------------------------------------------------------------------
# billing
# ---------------------------------------------------------------------------------------------

def test_billing_n_times_per_image_exact(base_url):
    plan = [("gpt-image-2", 3), ("seedream-v4.5", 4), ("nano-banana-pro", 2), ("seedream-v5lite", 1)]
    start = quota(base_url)
    spent = 0
    ids = []
    for model, n in plan:
        r = generate(base_url, {"model": model, "prompt": "bill me", "n": n})
        ok(r)
        spent += n * price(model)
        assert quota_header(r) == start - spent
        ids.append(r.headers["X-Request-Id"])
    assert quota(base_url) == start - spent
    got = rows(base_url)
    assert [(x["request_id"], x["model"], x["images"], x["credits"]) for x in reversed(got)] == [
        (rid, m, n, n * price(m)) for rid, (m, n) in zip(ids, plan)
    ]
    assert all(x["surface"] == "images" for x in got)
    r = requests.get(base_url + "/v1/balance", headers=auth(), timeout=T)
    assert r.json()["in_flight"] == 0, "image requests release their admission"
    totals = requests.get(base_url + "/v1/usage", headers=auth(), timeout=T).json()["totals"]
    assert totals["requests"] == len(plan) and totals["credits"] == spent
    # the model filter of /v1/usage sees the image rows
    r = requests.get(base_url + "/v1/usage", params={"model": "seedream-v4.5"}, headers=auth(), timeout=T)
    [row] = r.json()["data"]
    assert row["images"] == 4 and row["credits"] == 4 * price("seedream-v4.5")


# ---------------------------------------------------------------------------------------------
# the OpenAI SDK as a real client
# ---------------------------------------------------------------------------------------------

def test_sdk_generate_url_and_b64(base_url):
    traffic = Traffic()
    client = openai_client(base_url, traffic=traffic)
    res = client.images.generate(model="gpt-image-2", prompt="an SDK kite", n=2, size="1536x1024",
                                 response_format="url", quality="high")
    assert isinstance(res, openai.types.ImagesResponse)
    assert res.size == "1536x1024" and res.output_format == "png" and res.quality == "high"
    assert len(res.data) == 2
    assert all(isinstance(d, openai.types.Image) for d in res.data)
    assert all(d.revised_prompt == "an SDK kite" and d.b64_json is None for d in res.data)
    urls = [d.url for d in res.data]
    assert len(set(urls)) == 2
    for u in urls:
        decode(download(u), (1536, 1024))
    sent = json.loads(traffic.requests[-1].content)
    assert sent == {"model": "gpt-image-2", "prompt": "an SDK kite", "n": 2, "size": "1536x1024",
                    "response_format": "url", "quality": "high"}
    assert traffic.requests[-1].url.path == "/v1/images/generations"

    res = client.images.generate(model="nano-banana", prompt="an SDK kite", response_format="b64_json",
                                 extra_body={"seed": 99, "aspect_ratio": "2:3"})
    assert res.size == "1024x1536" and res.data[0].url is None
    inline = base64.b64decode(res.data[0].b64_json)
    decode(inline, (1024, 1536))
    again = client.images.generate(model="nano-banana", prompt="an SDK kite", extra_body={"seed": 99, "aspect_ratio": "2:3"})
    assert download(again.data[0].url) == inline
    # raw response: the accounting headers and request id come through the SDK
    raw = client.images.with_raw_response.generate(model="seedream-v5lite", prompt="raw")
    assert raw.status_code == 200 and raw.headers["x-request-id"] == raw.parse()._request_id
    got = rows(base_url)
    assert [(x["model"], x["images"]) for x in got] == [("seedream-v5lite", 1), ("nano-banana", 1), ("nano-banana", 1),
                                                         ("gpt-image-2", 2)]


def test_sdk_typed_errors(base_url):
    client = openai_client(base_url)
    with Unbilled(base_url):
        with pytest.raises(openai.BadRequestError) as exc:
            client.images.generate(model="nano-banana", prompt="x", n=3)
        assert exc.value.status_code == 400 and exc.value.code == "invalid_param" and exc.value.param == "n"
        with pytest.raises(openai.NotFoundError) as exc:
            client.images.generate(model="no-such-image-model", prompt="x")
        assert exc.value.code == "model_not_found" and exc.value.param == "model"
        with pytest.raises(openai.BadRequestError) as exc:
            client.images.generate(model="gpt-image-2", prompt="x", quality="ultra")  # type: ignore[arg-type]
        assert exc.value.param == "quality"
        with pytest.raises(openai.BadRequestError) as exc:
            client.images.generate(model="seedream-v4", prompt="x", style="vivid")
        assert exc.value.param == "style"
        with pytest.raises(openai.BadRequestError) as exc:
            client.images.generate(model=TEXT_MODEL, prompt="x")
        assert exc.value.param == "model"


def test_sdk_edit_single_file_list_and_mask(base_url, tmp_path):
    src = tmp_path / "input.png"
    src.write_bytes(png_bytes((16, 16), (10, 120, 200)))
    mask = tmp_path / "mask.png"
    mask.write_bytes(png_bytes((16, 16), (0, 0, 0)))
    traffic = ReadingTraffic()
    client = openai_client(base_url, traffic=traffic)
    before = quota(base_url)

    with open(src, "rb") as f:
        res = client.images.edit(model="gpt-image-2", image=f, prompt="add a hat")
    assert isinstance(res, openai.types.ImagesResponse)
    assert res.size == "1024x1024" and len(res.data) == 1 and res.data[0].revised_prompt == "add a hat"
    first = download(res.data[0].url)
    decode(first, (1024, 1024))
    req = traffic.requests[-1]
    assert req.url.path == "/v1/images/edits"
    assert req.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="image"; filename="input.png"' in req.content

    # the same input and prompt: the same picture
    with open(src, "rb") as f:
        same = client.images.edit(model="gpt-image-2", image=f, prompt="add a hat")
    assert download(same.data[0].url) == first

    # a list of images (image[]), a mask, n, size and b64_json through the SDK
    with open(src, "rb") as f1, open(mask, "rb") as m:
        res = client.images.edit(model="seedream-v4", image=[f1, ("second.png", png_bytes((4, 4)), "image/png")],
                                 mask=m, prompt="merge them", n=2, size="1536x1024", response_format="b64_json")
    req = traffic.requests[-1]
    assert req.content.count(b'name="image[]"') == 2 and b'name="mask"' in req.content
    assert res.size == "1536x1024" and len(res.data) == 2
    pics = [base64.b64decode(d.b64_json) for d in res.data]
    assert pics[0] != pics[1]
    for p in pics:
        decode(p, (1536, 1024))
    assert quota(base_url) == before - 2 * price("gpt-image-2") - 2 * price("seedream-v4")

    with Unbilled(base_url):
        with pytest.raises(openai.BadRequestError) as exc:
            client.images.edit(model="seedream-v5lite", image=("a.png", png_bytes(), "image/png"), prompt="x")
        assert exc.value.code == "invalid_param" and exc.value.param == "model"
        with pytest.raises(openai.BadRequestError) as exc:
            client.images.edit(model="gpt-image-2", image=("a.txt", b"plain text", "text/plain"), prompt="x")
        assert exc.value.code == "invalid_image" and exc.value.param == "image"


def test_sdk_retries_an_injected_503_and_bills_once(base_url):
    s = session()
    r = requests.post(base_url + "/__mock/faults", headers={"X-Mock-Session": s},
                      data="503 surface=images first=1", timeout=T)
    assert r.status_code == 200, r.text
    traffic = Traffic()
    client = openai_client(base_url, traffic=traffic, max_retries=2, default_headers={"X-Mock-Session": s})
    before = quota(base_url)
    res = client.images.generate(model="seedream-v5lite", prompt="retry me")
    assert len(res.data) == 1
    assert [x.status_code for x in traffic.responses] == [503, 200]
    assert traffic.retry_counts() == ["0", "1"]
    assert quota(base_url) == before - price("seedream-v5lite")
    assert len(rows(base_url)) == 1


# ---------------------------------------------------------------------------------------------
# /v1/images/edits over raw multipart
# ---------------------------------------------------------------------------------------------

def test_edit_raw_multipart_every_edit_model(base_url):
    img = png_bytes((12, 12), (1, 2, 3))
    before = quota(base_url)
    for model in EDIT_MODELS:
        r = edit(base_url, {"image": ("in.png", img, "image/png")}, {"model": model, "prompt": "edit it"})
        [url] = check_generation(ok(r), base_url, model, SPECS[model]["default_size"], 1, "edit it")
        decode(download(url), size_of(SPECS[model]["default_size"]))
    assert quota(base_url) == before - sum(price(m) for m in EDIT_MODELS)
    assert [x["model"] for x in reversed(rows(base_url))] == EDIT_MODELS
    assert all(x["surface"] == "images" for x in rows(base_url))


def test_edit_defaults_to_gpt_image_2_and_takes_options(base_url):
    img = png_bytes()
    body = ok(edit(base_url, {"image": ("in.png", img, "image/png")}, {"prompt": "no model"}))
    assert body["model"] == "gpt-image-2" and body["size"] == "1024x1024"
    r = edit(base_url, {"image": ("in.png", img, "image/png")},
             {"prompt": "opts", "n": "3", "size": "1024x1536", "quality": "low", "response_format": "b64_json"})
    b64s = check_generation(ok(r), base_url, "gpt-image-2", "1024x1536", 3, "opts", inline=True, quality="low")
    pics = [base64.b64decode(s) for s in b64s]
    assert len(set(pics)) == 3
    for p in pics:
        decode(p, (1024, 1536))
    assert [x["images"] for x in rows(base_url)] == [3, 1]


def test_edit_repeated_image_fields_and_input_seeding(base_url):
    a, b = png_bytes((8, 8), (255, 0, 0)), png_bytes((8, 8), (0, 255, 0))

    def one(files, prompt="blend") -> bytes:
        body = ok(edit(base_url, files, {"model": "nano-banana-pro", "prompt": prompt, "size": "1024x1024"}))
        return download(body["data"][0]["url"])

    two = one([("image[]", ("a.png", a, "image/png")), ("image[]", ("b.png", b, "image/png"))])
    decode(two, (1024, 1024))
    assert one([("image[]", ("a.png", a, "image/png")), ("image[]", ("b.png", b, "image/png"))]) == two
    only_a = one([("image", ("a.png", a, "image/png"))])
    assert only_a != two
    assert one([("image[]", ("a.png", a, "image/png"))]) == only_a, "`image` and `image[]` are the same field"
    assert one([("image", ("b.png", b, "image/png"))]) != only_a, "the output is seeded by the input image"
    assert one([("image", ("a.png", a, "image/png"))], prompt="blend!") != only_a
    # JPEG and WebP inputs are accepted by their signature, whatever the declared type
    one([("image", ("a.jpg", png_bytes(fmt="JPEG"), "application/octet-stream"))])
    one([("image", ("a.webp", png_bytes(fmt="WEBP"), "application/octet-stream"))])
    assert len(rows(base_url)) == 8


def _pngs_differing_only_in_high_bytes() -> tuple[bytes, bytes]:
    """Two valid 4x4 PNGs of different colours whose bytes differ only where both are >= 0x80
    (the red value of palette entry 0 and the PLTE chunk's CRC)."""
    def make(red: int) -> bytes:
        im = Image.new("P", (4, 4), 0)
        im.putpalette([red, 0x80, 0x90] + [0x80] * 45)
        b = io.BytesIO()
        im.save(b, "PNG")
        return b.getvalue()

    candidates = [make(c) for c in range(0x80, 0x100)]
    for i, a in enumerate(candidates):
        for b in candidates[i + 1:]:
            if len(a) == len(b) and all(x >= 0x80 and y >= 0x80 for x, y in zip(a, b) if x != y):
                return a, b
    raise AssertionError("no such pair of PNGs")


def test_edit_output_seeded_by_every_input_byte(base_url):
    """"The output is seeded by the prompt and the input bytes": two different, valid input PNGs
    (different pixel colours) must not give the same output picture."""
    a, b = _pngs_differing_only_in_high_bytes()
    assert a != b
    ca = Image.open(io.BytesIO(a)).convert("RGB").getpixel((0, 0))
    cb = Image.open(io.BytesIO(b)).convert("RGB").getpixel((0, 0))
    assert ca != cb
    outs = []
    for img in (a, b):
        body = ok(edit(base_url, {"image": ("in.png", img, "image/png")},
                       {"model": "nano-banana-pro", "prompt": "recolour", "size": "1024x1024"}))
        outs.append(download(body["data"][0]["url"]))
    assert outs[0] != outs[1], "different input images gave byte-identical edits"


def test_edit_mask_must_be_png(base_url):
    img = png_bytes()
    ok(edit(base_url, {"image": ("in.png", img, "image/png"), "mask": ("m.png", png_bytes((8, 8), (0, 0, 0)), "image/png")},
            {"prompt": "masked"}))
    assert len(rows(base_url)) == 1
    with Unbilled(base_url) as u:
        for name, data in (("m.jpg", png_bytes(fmt="JPEG")), ("m.webp", png_bytes(fmt="WEBP")), ("m.txt", b"mask")):
            r = edit(base_url, {"image": ("in.png", img, "image/png"), "mask": (name, data, "image/png")}, {"prompt": "masked"})
            e = error(r, 400, "invalid_image", "mask", "invalid_request_error")
            assert "PNG" in e["message"]
            u.check(r)


EDIT_ERRORS = [
    ("text-file-as-image", [("image", ("a.txt", b"hello, not an image", "text/plain"))], {"prompt": "x"},
     400, "invalid_image", "image", "image[0]"),
    ("png-declared-text", [("image", ("a.png", b"GIF89a....", "image/png"))], {"prompt": "x"},
     400, "invalid_image", "image", None),
    ("second-image-bad", [("image[]", ("a.png", png_bytes(), "image/png")), ("image[]", ("b.bin", b"\x00" * 32, "image/png"))],
     {"prompt": "x"}, 400, "invalid_image", "image", "image[1]"),
    ("no-image", [("prompt", (None, "x"))], {}, 400, "invalid_param", "image", None),
    ("missing-prompt", [("image", ("a.png", png_bytes(), "image/png"))], {"model": "gpt-image-2"},
     400, "invalid_param", "prompt", None),
    ("empty-prompt", [("image", ("a.png", png_bytes(), "image/png"))], {"prompt": " "}, 400, "invalid_param", "prompt", None),
    ("non-edit-model", [("image", ("a.png", png_bytes(), "image/png"))], {"prompt": "x", "model": "seedream-v5lite"},
     400, "invalid_param", "model", "does not edit images"),
    ("unknown-model", [("image", ("a.png", png_bytes(), "image/png"))], {"prompt": "x", "model": "nope-image"},
     404, "model_not_found", "model", None),
    ("text-model", [("image", ("a.png", png_bytes(), "image/png"))], {"prompt": "x", "model": TEXT_MODEL},
     400, "invalid_param", "model", "not an image model"),
    ("n-not-int", [("image", ("a.png", png_bytes(), "image/png"))], {"prompt": "x", "n": "two"},
     400, "invalid_param", "n", None),
    ("n-too-many", [("image", ("a.png", png_bytes(), "image/png"))], {"prompt": "x", "model": "nano-banana-v2", "n": "3"},
     400, "invalid_param", "n", None),
    ("bad-size", [("image", ("a.png", png_bytes(), "image/png"))], {"prompt": "x", "size": "10x10"},
     400, "invalid_param", "size", None),
    ("bad-format", [("image", ("a.png", png_bytes(), "image/png"))], {"prompt": "x", "response_format": "gif"},
     400, "invalid_param", "response_format", None),
    ("style-on-seedream", [("image", ("a.png", png_bytes(), "image/png"))], {"prompt": "x", "model": "seedream-v4", "style": "vivid"},
     400, "invalid_param", "style", None),
    ("blocked", [("image", ("a.png", png_bytes(), "image/png"))], {"prompt": BLOCKED[0].upper()},
     451, "content_policy_violation", "prompt", None),
    ("too-long", [("image", ("a.png", png_bytes(), "image/png"))], {"prompt": "é" * (MAX_PROMPT + 1)},
     413, "prompt_too_long", "prompt", None),
]
EDIT_ERRORS += [
    (f"non-edit-{m}", [("image", ("a.png", png_bytes(), "image/png"))], {"prompt": "x", "model": m},
     400, "invalid_param", "model", "does not edit images")
    for m in NON_EDIT_MODELS
]


@pytest.mark.parametrize("name,files,data,status,code,param,fragment", EDIT_ERRORS, ids=[c[0] for c in EDIT_ERRORS])
def test_edit_errors(base_url, name, files, data, status, code, param, fragment):
    seed_a_row(base_url)
    with Unbilled(base_url) as u:
        r = edit(base_url, files, data)
        e = error(r, status, code, param)
        u.check(r)
    if fragment:
        assert fragment in e["message"], e
    if name == "non-edit-model":
        for m in EDIT_MODELS:
            assert m in e["message"]


def test_edit_body_not_multipart(base_url):
    seed_a_row(base_url)
    with Unbilled(base_url) as u:
        for kw in ({"json": {"model": "gpt-image-2", "prompt": "x", "image": "aGVsbG8="}},
                   {"data": {"model": "gpt-image-2", "prompt": "x"}},
                   {"data": b"raw", "headers": {"Content-Type": "image/png"}},
                   {"data": b"--x\r\n", "headers": {"Content-Type": "multipart/form-data"}}):
            headers = {**auth(), **kw.pop("headers", {})}
            r = requests.post(base_url + "/v1/images/edits", headers=headers, timeout=T, **kw)
            e = error(r, 400, "invalid_content_type", None, "invalid_request_error")
            assert "multipart/form-data" in e["message"]
            u.check(r)
        r = requests.post(base_url + "/v1/images/edits", headers={**auth(), "Content-Type": "multipart/form-data; boundary=zz"},
                          data=b"this is not multipart", timeout=T)
        error(r, 400, "invalid_multipart", None, "invalid_request_error")
        u.check(r)


# ---------------------------------------------------------------------------------------------
# /files: GET, HEAD, ranges, 404
# ---------------------------------------------------------------------------------------------

@pytest.fixture
def one_file(base_url):
    body = ok(generate(base_url, {"model": "seedream-v4", "prompt": "a file to fetch", "seed": 5}))
    url = body["data"][0]["url"]
    return url, download(url), body


def test_file_get_and_head(base_url, one_file):
    url, full, body = one_file
    decode(full, (1024, 1024))
    # no key needed; a wrong key does not matter either
    t_before = requests.get(base_url + "/__mock/clock", timeout=T).json()["now"]
    for headers in ({}, {"Authorization": "Bearer sk-byts-this-key-does-not-exist-0000"}):
        r = requests.get(url, headers=headers, timeout=T)
        assert r.status_code == 200 and r.content == full
        assert r.headers["Content-Type"] == "image/png"
        assert r.headers["Content-Length"] == str(len(full))
        assert r.headers["Accept-Ranges"] == "bytes"
        assert re.fullmatch(r"req_[0-9a-f]{24}", r.headers["X-Request-Id"])
    t_after = requests.get(base_url + "/__mock/clock", timeout=T).json()["now"]
    m = re.fullmatch(r"private, max-age=(\d+)", r.headers["Cache-Control"])
    assert m and body["expires_at"] - t_after <= int(m.group(1)) <= body["expires_at"] - t_before, r.headers["Cache-Control"]
    h = requests.head(url, timeout=T)
    assert h.status_code == 200 and h.content == b""
    assert h.headers["Content-Type"] == "image/png"
    assert h.headers["Content-Length"] == str(len(full))
    assert h.headers["Accept-Ranges"] == "bytes"
    # downloads are free
    assert len(rows(base_url)) == 1


def _range(url: str, spec: str) -> requests.Response:
    return requests.get(url, headers={"Range": spec}, timeout=T)


def test_file_ranges(base_url, one_file):
    url, full, _ = one_file
    n = len(full)
    assert n > 200
    cases = {
        "bytes=0-0": (0, 0),
        "bytes=0-7": (0, 7),
        "bytes=100-": (100, n - 1),
        "bytes=-10": (n - 10, n - 1),
        "bytes=10-19": (10, 19),
        f"bytes=5-{n + 1000}": (5, n - 1),
        f"bytes={n - 1}-{n - 1}": (n - 1, n - 1),
        f"bytes=-{n + 50}": (0, n - 1),
    }
    for spec, (lo, hi) in cases.items():
        r = _range(url, spec)
        assert r.status_code == 206, (spec, r.status_code, r.text[:200])
        assert r.headers["Content-Range"] == f"bytes {lo}-{hi}/{n}", spec
        assert r.content == full[lo:hi + 1], spec
        assert r.headers["Content-Length"] == str(hi - lo + 1)
        assert r.headers["Content-Type"] == "image/png" and r.headers["Accept-Ranges"] == "bytes"
    assert _range(url, "bytes=0-7").content == PNG_SIG
    assert _range(url, "bytes=-10").content == full[-10:]
    # a client that downloads in pieces reassembles the file
    third = n // 3
    parts = [_range(url, f"bytes=0-{third - 1}"), _range(url, f"bytes={third}-{2 * third - 1}"), _range(url, f"bytes={2 * third}-")]
    assert b"".join(p.content for p in parts) == full


@pytest.mark.parametrize("spec", ["bytes={n}-", "bytes={n}-{m}", "bytes=9-5", "bytes=-0", "bytes=a-b", "bytes=5"])
def test_file_unsatisfiable_range(base_url, one_file, spec):
    url, full, _ = one_file
    n = len(full)
    r = _range(url, spec.format(n=n, m=n + 10))
    assert r.status_code == 416, (spec, r.status_code)
    assert r.headers["Content-Range"] == f"bytes */{n}"
    assert r.content == b""


def test_partial_and_range_reason_phrases(base_url, one_file):
    """206 and 416 carry their standard reason phrases (RFC 9110 §15.3.7, §15.5.17)."""
    url, full, _ = one_file
    r = _range(url, "bytes=0-9")
    assert r.status_code == 206 and r.reason == "Partial Content", r.reason
    r = _range(url, f"bytes={len(full)}-")
    assert r.status_code == 416 and r.reason == "Range Not Satisfiable", r.reason


def test_range_in_an_unknown_unit_is_ignored(base_url, one_file):
    """RFC 9110 §14.2: an origin server MUST ignore a Range header in a unit it does not understand:
    200 with the whole file."""
    url, full, _ = one_file
    r = _range(url, "items=0-5")
    assert r.status_code == 200, (r.status_code, r.headers.get("Content-Range"))
    assert r.content == full


def test_satisfiable_multi_range_is_not_416(base_url, one_file):
    """RFC 9110 §15.5.17: 416 only when no range overlaps the file. A server without multipart
    support ignores the Range (200, whole file) or answers 206 multipart/byteranges."""
    url, full, _ = one_file
    r = _range(url, "bytes=0-1,4-5")
    assert r.status_code in (200, 206), (r.status_code, r.headers.get("Content-Range"))
    if r.status_code == 200:
        assert r.content == full
    else:
        assert r.headers["Content-Type"].startswith("multipart/byteranges")


def test_file_unknown_name_404(base_url, one_file):
    url, _, _ = one_file
    name = url.rsplit("/", 1)[1]
    for path in ("/files/img_AAAAAAAAAAAAAAAAAAAAAAAA.png", "/files/" + name.replace(".png", ".mp4"),
                 "/files/nothing", "/files/" + name[:-5] + ("x" if name[-5] != "x" else "y") + ".png"):
        r = requests.get(base_url + path, timeout=T)
        e = error(r, 404, "file_not_found", None, "not_found_error")
        assert path.rsplit("/", 1)[1] in e["message"]
        h = requests.head(base_url + path, timeout=T)
        assert h.status_code == 404 and h.content == b""
    r = requests.post(url, timeout=T)
    assert r.status_code == 405


def test_reset_forgets_files(base_url, one_file):
    url, _, _ = one_file
    r = requests.post(base_url + "/__mock/reset", timeout=T)
    assert r.status_code == 200 and r.json() == {"status": "reset"}
    error(requests.get(url, timeout=T), 404, "file_not_found")
    assert requests.head(url, timeout=T).status_code == 404


def test_session_reset_forgets_only_that_sessions_files(base_url):
    s1, s2 = session(), session()
    u1 = ok(generate(base_url, {"model": "nano-banana", "prompt": "one"}, headers={"X-Mock-Session": s1}))["data"][0]["url"]
    u2 = ok(generate(base_url, {"model": "nano-banana", "prompt": "two"}, headers={"X-Mock-Session": s2}))["data"][0]["url"]
    r = requests.post(base_url + "/__mock/reset", headers={"X-Mock-Session": s1}, timeout=T)
    assert r.status_code == 200 and r.json() == {"status": "reset", "session": s1}
    error(requests.get(u1, timeout=T), 404, "file_not_found")
    decode(download(u2), (1024, 1024))


# ---------------------------------------------------------------------------------------------
# expiry on the virtual clock (private servers: the clock is global)
# ---------------------------------------------------------------------------------------------

def clock(url: str, **body) -> dict:
    r = requests.post(url + "/__mock/clock", json=body, timeout=T)
    assert r.status_code == 200, r.text
    return r.json()


def _expiry_walk(url: str, ttl: int, model: str = "nano-banana") -> None:
    now = clock(url, action="freeze")["now"]
    r = generate(url, {"model": model, "prompt": "ephemeral", "n": 2})
    body = ok(r)
    assert body["created"] == now and body["expires_at"] == now + ttl
    urls = [d["url"] for d in body["data"]]
    assert all(u.startswith(url + "/files/") for u in urls)
    first = download(urls[0])
    decode(first, size_of(SPECS[model]["default_size"]))

    assert clock(url, action="advance", seconds=ttl - 1)["now"] == body["expires_at"] - 1
    for u in urls:
        g = requests.get(u, timeout=T)
        assert g.status_code == 200 and g.headers["Cache-Control"] == "private, max-age=1"
    assert download(urls[0]) == first
    assert requests.head(urls[1], timeout=T).status_code == 200
    assert _range(urls[0], "bytes=0-7").status_code == 206

    assert clock(url, action="advance", seconds=1)["now"] == body["expires_at"]
    for u in urls:
        e = error(requests.get(u, timeout=T), 410, "file_expired", None)
        assert u.rsplit("/", 1)[1] in e["message"]
        h = requests.head(u, timeout=T)
        assert h.status_code == 410 and h.content == b""
    error(_range(urls[0], "bytes=0-7"), 410, "file_expired")
    clock(url, action="advance", seconds=3600)
    error(requests.get(urls[0], timeout=T), 410, "file_expired")
    # an expired name is still known: never 404; a name never issued stays 404
    error(requests.get(url + "/files/img_ZZZZZZZZZZZZZZZZZZZZZZZZ.png", timeout=T), 404, "file_not_found")


def test_file_expiry_default_ttl():
    assert TTL == 86400
    with running_mock() as mock:
        _expiry_walk(mock.url, TTL)
        # expiry is not billing: two images billed once
        [row] = rows(mock.url)
        assert row["images"] == 2 and row["credits"] == 2 * price("nano-banana")
        # after the reset the files are forgotten altogether (404, not 410)
        body = ok(generate(mock.url, {"model": "nano-banana", "prompt": "later"}))
        assert requests.post(mock.url + "/__mock/reset", timeout=T).status_code == 200
        error(requests.get(body["data"][0]["url"], timeout=T), 404, "file_not_found")


def test_file_ttl_override_from_fixtures_dir(tmp_path):
    (tmp_path / "media.json").write_text(json.dumps({"files": {"ttl_seconds": 60}}))
    with running_mock("--fixtures", str(tmp_path)) as mock:
        _expiry_walk(mock.url, 60)
        # the override changes the TTL only: every image model is still served
        for model in IMAGE_MODELS:
            assert ok(generate(mock.url, {"model": model, "prompt": "still here"}))["model"] == model


def test_clock_set_drives_expiry():
    with running_mock() as mock:
        t0 = 1_900_000_000
        clock(mock.url, action="set", time=t0)
        body = ok(generate(mock.url, {"model": "seedream-v5lite", "prompt": "set"}))
        assert body["created"] == t0 and body["expires_at"] == t0 + TTL
        u = body["data"][0]["url"]
        clock(mock.url, action="set", time=t0 + TTL + 5)
        error(requests.get(u, timeout=T), 410, "file_expired")
        # expiry is judged against the current virtual time: set back, the file is served again
        clock(mock.url, action="set", time=t0 + 10)
        assert requests.get(u, timeout=T).status_code == 200


# ---------------------------------------------------------------------------------------------
# faults reach images and files
# ---------------------------------------------------------------------------------------------

def test_fault_503_on_generations_unbilled(base_url):
    seed_a_row(base_url)
    with Unbilled(base_url) as u:
        r = generate(base_url, {"model": "gpt-image-2", "prompt": "x", "n": 2}, headers={"X-Mock-Fault": "503"})
        e = error(r, 503, "service_unavailable", None)
        assert "injected" in e["message"]
        u.check(r)
        r = edit(base_url, {"image": ("a.png", png_bytes(), "image/png")}, {"prompt": "x"},
                 headers={"X-Mock-Fault": "503"})
        error(r, 503, "service_unavailable", None)
        u.check(r)
        r = generate(base_url, {"model": "gpt-image-2", "prompt": "x"},
                     headers={"X-Mock-Fault": "429 retry_after=7 code=rate_limit_exceeded"})
        error(r, 429, "rate_limit_exceeded", None)
        assert r.headers["Retry-After"] == "7"
        u.check(r)
    # without the header the same request succeeds and bills
    ok(generate(base_url, {"model": "gpt-image-2", "prompt": "x", "n": 2}))
    assert rows(base_url)[0]["credits"] == 2 * price("gpt-image-2")


def test_runtime_fault_selects_the_images_surface(base_url):
    s = session()
    hs = {"X-Mock-Session": s}
    r = requests.post(base_url + "/__mock/faults", headers=hs, data="500 surface=images model=nano-banana*", timeout=T)
    assert r.status_code == 200, r.text
    with Unbilled(base_url) as u:
        for model in ("nano-banana", "nano-banana-v2"):
            r = generate(base_url, {"model": model, "prompt": "x"}, headers=hs)
            error(r, 500, "internal_error", None, "api_error")
            u.check(r)
        # another session is not affected by this session's rule
        error(generate(base_url, {"model": "nano-banana", "prompt": "x", "n": 3}, headers={"X-Mock-Session": session()}),
              400, "invalid_param", "n")
    ok(generate(base_url, {"model": "seedream-v5lite", "prompt": "x"}, headers=hs))
    assert len(rows(base_url)) == 1


def test_journal_records_image_requests(base_url):
    s = session()
    hs = {"X-Mock-Session": s}
    good = generate(base_url, {"model": "nano-banana", "prompt": "journal", "n": 2}, headers=hs)
    ok(good)
    bad = generate(base_url, {"model": "nano-banana", "prompt": "journal", "n": 3}, headers=hs)
    error(bad, 400, "invalid_param", "n")
    r = requests.get(base_url + "/__mock/journal", params={"surface": "images"}, headers=hs, timeout=T)
    assert r.status_code == 200, r.text
    entries = r.json()["entries"]
    assert len(entries) == 2
    by_id = {e["id"]: e for e in entries}
    g = by_id[good.headers["X-Request-Id"]]
    assert g["surface"] == "images" and g["path"] == "/v1/images/generations" and g["status"] == 200
    assert g["model"] == "nano-banana" and g["method"] == "POST" and g["session"] == s
    b = by_id[bad.headers["X-Request-Id"]]
    assert b["status"] == 400 and b["surface"] == "images"


def test_fault_reaches_file_downloads(base_url, one_file):
    url, full, _ = one_file
    r = requests.get(url, headers={"X-Mock-Fault": "503"}, timeout=T)
    error(r, 503, "service_unavailable", None)
    s = session()
    rr = requests.post(base_url + "/__mock/faults", headers={"X-Mock-Session": s}, data="502 surface=files first=1", timeout=T)
    assert rr.status_code == 200, rr.text
    assert requests.get(url, headers={"X-Mock-Session": s}, timeout=T).status_code == 502
    assert requests.get(url, headers={"X-Mock-Session": s}, timeout=T).content == full
