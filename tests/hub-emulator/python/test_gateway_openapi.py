"""`spacesmith serve`'s OpenAPI document, checked by a standard validator (openapi-spec-validator from PyPI),
and the gateway's shutdown on SIGTERM. The binary comes from $SPACESMITH_BIN (run.sh sets it)."""

import json
import os
import re
import signal
import subprocess
import urllib.request

import pytest
from openapi_spec_validator import validate

from conftest import binary


def _binary() -> str:
    return binary("spacesmith", "SPACESMITH_BIN")


@pytest.fixture
def gateway(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "SPACESMITH_GATEWAY_KEYS")}
    env["SPACESMITH_DATA_DIR"] = str(tmp_path / "data")
    env["SPACESMITH_CACHE_DIR"] = str(tmp_path / "cache")
    proc = subprocess.Popen([_binary(), "serve", "--addr", "127.0.0.1:0"], stderr=subprocess.PIPE, env=env)
    line = proc.stderr.readline().decode()
    match = re.search(r"http://\S+", line)
    assert match, f"no address in {line!r}"
    yield proc, match.group(0)
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def _get(url: str):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


def test_the_openapi_document_is_valid_openapi_3_1(gateway):
    _, url = gateway
    doc = _get(url + "/v1/openapi.json")
    validate(doc)  # raises OpenAPIValidationError with the path of what is wrong
    assert doc["openapi"] == "3.1.0"
    operations = [op for item in doc["paths"].values() for op in item.values()]
    assert len(operations) >= 18
    schemas = doc["components"]["schemas"]
    for op in operations:
        # Every failure answers the shared error shape.
        errors = [r for code, r in op["responses"].items() if code.startswith(("4", "5"))]
        for r in errors:
            ref = r["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/ErrorBody", ref
    assert set(schemas["ErrorBody"]["required"]) == {"success", "error_code", "message"}


def test_sigterm_stops_the_gateway_cleanly(gateway):
    proc, url = gateway
    assert _get(url + "/v1/health") == {"status": "ok"}
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    rest = proc.stderr.read().decode()
    assert "shutting down" in rest, rest
