"""Starts the hub-emulator binary for the fidelity tests and points the real huggingface_hub client at it.

The binary comes from $HUB_EMULATOR_BIN (run.sh sets it), else from $CARGO_TARGET_DIR or <repo>/target, release
then debug. huggingface_hub reads HF_ENDPOINT and HF_HUB_DISABLE_XET when it is imported, so the environment is
set here, before any test imports it (the tests import it lazily through the `hf` fixture).
"""

import json
import os
import pathlib
import subprocess
import tempfile
import threading
import urllib.request

import pytest

TOKEN = "hf_fidelity_alice_token"
OTHER_TOKEN = "hf_fidelity_bob_token"
REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]


def binary(name: str, env_var: str) -> str:
    """A binary of this workspace: $env_var (run.sh sets it), else <target>/release or /debug."""
    explicit = os.environ.get(env_var)
    if explicit:
        return explicit
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or REPO_ROOT / "target")
    for profile in ("release", "debug"):
        candidate = target / profile / name
        if candidate.exists():
            return str(candidate)
    raise RuntimeError(f"{name} binary not found under {target}; run tests/hub-emulator/python/run.sh")


def _binary() -> str:
    return binary("hub-emulator", "HUB_EMULATOR_BIN")


class Emulator:
    def __init__(self, url: str, process: subprocess.Popen):
        self.url = url
        self.process = process

    def control(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"null")

    def requests_since(self, seq: int):
        return self.control("GET", f"/__emulator/requests?since={seq}")

    def last_seq(self) -> int:
        reqs = self.control("GET", "/__emulator/requests")
        return reqs[-1]["seq"] if reqs else 0


@pytest.fixture(scope="session")
def emulator():
    home = tempfile.mkdtemp(prefix="hf-home-")
    process = subprocess.Popen(
        [
            _binary(),
            "--addr", "127.0.0.1:0",
            "--user", f"alice:{TOKEN}",
            "--user", f"bob:{OTHER_TOKEN}",
            "--build-seconds", "1",
            # Small multipart settings so the >10 MB file goes through multipart and small binaries through basic.
            "--multipart-threshold", "8000000",
            "--multipart-chunk-size", "5000000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = process.stdout.readline().strip()
    if not first.startswith("listening on "):
        process.kill()
        raise RuntimeError(f"unexpected first line from hub-emulator: {first!r}; stderr: {process.stderr.read()}")
    url = first[len("listening on "):]
    # Keep draining the pipes so the emulator never blocks on a full pipe.
    for stream in (process.stdout, process.stderr):
        threading.Thread(target=stream.read, daemon=True).start()

    os.environ.update(
        {
            "HF_ENDPOINT": url,
            "HF_TOKEN": TOKEN,
            "HF_HUB_DISABLE_XET": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            "HF_HOME": home,
        }
    )
    os.environ.pop("HUGGING_FACE_HUB_TOKEN", None)
    os.environ.pop("HF_TOKEN_PATH", None)
    try:
        yield Emulator(url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def hf(emulator):
    import huggingface_hub
    from huggingface_hub import constants

    assert constants.ENDPOINT == emulator.url, "huggingface_hub was imported before HF_ENDPOINT was set"
    assert constants.HF_HUB_DISABLE_XET
    return huggingface_hub


@pytest.fixture(scope="session")
def api(hf):
    return hf.HfApi()
