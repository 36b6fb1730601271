"""Fidelity: the real huggingface_hub client (PyPI, pinned in requirements.txt) against the hub-emulator binary.

Everything here goes through the public client API; the emulator's control endpoints are only used to check
what went over the wire (e.g. "the second upload sent one file").
"""

import hashlib
import os
import time

import pytest

SPACE = "alice/fidelity-space"

SMALL_FILES = {
    "README.md": b"---\ntitle: Fidelity\nemoji: \xf0\x9f\x90\xb3\ncolorFrom: blue\ncolorTo: green\nsdk: docker\napp_port: 7860\npinned: false\n---\n\n# Fidelity test Space\n",
    "Dockerfile": b'FROM python:3.11-slim\nRUN useradd -m -u 1000 user\nUSER user\nWORKDIR /app\nCOPY --chown=user . /app\nRUN pip install --no-cache-dir fastapi uvicorn\nCMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "7860"]\n',
    "main.py": b"from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/health')\ndef health():\n    return {'ok': True}\n",
    "static/style.css": b"body { margin: 0 }\n",
    "static/nested/empty.txt": b"",
}
# A small binary file (NUL bytes: preupload says LFS, basic transfer) and a >10 MB file (LFS, multipart).
BINARY = bytes(range(256)) * 16
BIG_SIZE = 11 * 1024 * 1024


def big_content() -> bytes:
    block = hashlib.sha256(b"fidelity").digest() * 2048  # 64 KiB of non-repeating-looking bytes
    return (block * (BIG_SIZE // len(block) + 1))[:BIG_SIZE]


def wait_settled(api, repo_id, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        rt = api.get_space_runtime(repo_id)
        if rt.stage not in ("BUILDING", "RUNNING_BUILDING", "APP_STARTING", "RUNNING_APP_STARTING"):
            return rt
        assert time.monotonic() < deadline, f"Space {repo_id} stuck in {rt.stage}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("space")
    for path, content in SMALL_FILES.items():
        p = root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content)
    (root / "assets").mkdir()
    (root / "assets" / "logo.png").write_bytes(BINARY)
    (root / "weights.dat").write_bytes(big_content())
    return root


def expected_files():
    return {**SMALL_FILES, "assets/logo.png": BINARY, "weights.dat": big_content()}


def test_whoami(api):
    me = api.whoami()
    assert me["name"] == "alice"
    assert me["type"] == "user"


def test_space_round_trip(api, hf, emulator, project, tmp_path):
    from huggingface_hub.errors import RepositoryNotFoundError
    from huggingface_hub.utils.sha import git_hash

    # Create a private docker Space with secrets and variables at creation.
    url = api.create_repo(
        SPACE,
        repo_type="space",
        space_sdk="docker",
        private=True,
        space_secrets=[{"key": "API_TOKEN", "value": "s3cret-value", "description": "for the app"}],
        space_variables=[{"key": "MODEL_ID", "value": "gpt2"}],
    )
    assert url.repo_id == SPACE
    assert api.create_repo(SPACE, repo_type="space", space_sdk="docker", exist_ok=True).repo_id == SPACE
    info = api.space_info(SPACE)
    assert info.private is True
    assert info.sdk == "docker"
    assert info.runtime.stage == "NO_APP_FILE"
    assert set(api.get_space_secrets(SPACE)) == {"API_TOKEN"}
    assert api.get_space_variables(SPACE)["MODEL_ID"].value == "gpt2"
    with pytest.raises(RepositoryNotFoundError):
        api.space_info(SPACE, token="hf_fidelity_bob_token")

    # Upload the folder: small regular files plus LFS files (binary → basic, >10 MB → multipart).
    seq = emulator.last_seq()
    commit = api.upload_folder(repo_id=SPACE, repo_type="space", folder_path=project, commit_message="First deploy")
    assert commit.oid and len(commit.oid) == 40
    sent = emulator.requests_since(seq)
    parts = [r for r in sent if r["path"].startswith("/__lfs/part/")]
    basic = [r for r in sent if r["path"].startswith("/__lfs/upload/")]
    assert len(parts) == 3 and len(basic) == 1, [r["path"] for r in sent]
    assert sum(r["bytesReceived"] for r in parts) == BIG_SIZE

    # Listing.
    files = api.list_repo_files(SPACE, repo_type="space")
    assert set(files) == set(expected_files()) | {".gitattributes"}
    tree = {e.path: e for e in api.list_repo_tree(SPACE, repo_type="space", recursive=True)}
    assert type(tree["static"]).__name__ == "RepoFolder"
    for path, content in expected_files().items():
        entry = tree[path]
        assert entry.size == len(content), path
        if path in ("assets/logo.png", "weights.dat"):
            assert entry.lfs is not None and entry.lfs.sha256 == hashlib.sha256(content).hexdigest(), path
        else:
            assert entry.lfs is None, path
            assert entry.blob_id == git_hash(content), path
    top = [e.path for e in api.list_repo_tree(SPACE, repo_type="space")]
    assert "static" in top and "static/style.css" not in top
    infos = api.get_paths_info(SPACE, ["main.py", "static", "nope.txt"], repo_type="space")
    assert [i.path for i in infos] == ["main.py", "static"]

    # Download round trip, byte-exact (LFS files go through the 302 to the CDN listener).
    for path, content in expected_files().items():
        local = hf.hf_hub_download(SPACE, path, repo_type="space", cache_dir=tmp_path / "cache")
        with open(local, "rb") as f:
            assert f.read() == content, path
    snapshot = hf.snapshot_download(SPACE, repo_type="space", cache_dir=tmp_path / "snap")
    for path, content in expected_files().items():
        with open(os.path.join(snapshot, path), "rb") as f:
            assert f.read() == content, path
    detailed = api.space_info(SPACE, files_metadata=True)
    weights = next(s for s in detailed.siblings if s.rfilename == "weights.dat")
    assert weights.size == BIG_SIZE and weights.lfs.sha256 == hashlib.sha256(big_content()).hexdigest()

    # Re-upload with one changed file: preupload oids let the client send only that file.
    (project / "main.py").write_bytes(SMALL_FILES["main.py"] + b"# v2\n")
    seq = emulator.last_seq()
    api.upload_folder(repo_id=SPACE, repo_type="space", folder_path=project, commit_message="Second deploy")
    sent = emulator.requests_since(seq)
    assert not [r for r in sent if r["path"].startswith("/__lfs/")], "LFS files were not re-sent"
    commit_req = [r for r in sent if "/commit/" in r["path"]]
    assert len(commit_req) == 1 and commit_req[0]["bytesReceived"] < 2000
    local = hf.hf_hub_download(SPACE, "main.py", repo_type="space", cache_dir=tmp_path / "cache")
    assert open(local, "rb").read().endswith(b"# v2\n")

    # Secrets and variables.
    api.add_space_secret(SPACE, "EXTRA", "v", description="extra")
    secrets = api.get_space_secrets(SPACE)
    assert set(secrets) == {"API_TOKEN", "EXTRA"} and secrets["EXTRA"].description == "extra"
    assert secrets["EXTRA"].updated_at is not None
    api.delete_space_secret(SPACE, "EXTRA")
    assert set(api.get_space_secrets(SPACE)) == {"API_TOKEN"}
    variables = api.add_space_variable(SPACE, "MODE", "prod", description="run mode")
    assert variables["MODE"].value == "prod" and variables["MODEL_ID"].value == "gpt2"
    assert api.get_space_variables(SPACE)["MODE"].description == "run mode"
    assert "MODE" not in api.delete_space_variable(SPACE, "MODE")

    # Runtime: the build settles to RUNNING; logs are readable.
    rt = api.get_space_runtime(SPACE)
    assert rt.stage in ("BUILDING", "RUNNING_BUILDING", "RUNNING", "APP_STARTING")
    rt = wait_settled(api, SPACE)
    assert rt.stage == "RUNNING", rt.raw
    assert rt.hardware == "cpu-basic" and rt.requested_hardware == "cpu-basic"
    build = list(api.fetch_space_logs(SPACE, build=True))
    assert build[0].startswith("===== Build Queued")
    assert "--> FROM python:3.11-slim\n" in build
    run = list(api.fetch_space_logs(SPACE))
    assert any("Uvicorn running" in line for line in run)

    # Pause, then a factory reboot rebuilds.
    rt = api.pause_space(SPACE)
    assert rt.stage == "PAUSED"
    assert api.get_space_runtime(SPACE).stage == "PAUSED"
    rt = api.restart_space(SPACE, factory_reboot=True)
    assert rt.stage == "BUILDING"
    rt = wait_settled(api, SPACE)
    assert rt.stage == "RUNNING"
    assert rt.hardware == "cpu-basic"

    # Hardware request shows the requested flavor.
    rt = api.request_space_hardware(SPACE, "t4-small")
    assert rt.requested_hardware == "t4-small"
    assert wait_settled(api, SPACE).hardware == "t4-small"

    # Delete.
    api.delete_repo(SPACE, repo_type="space")
    with pytest.raises(RepositoryNotFoundError):
        api.space_info(SPACE)
    api.delete_repo(SPACE, repo_type="space", missing_ok=True)


def test_follow_build_logs(api):
    repo = "alice/fidelity-logs"
    api.create_repo(repo, repo_type="space", space_sdk="docker", private=True)
    api.upload_file(path_or_fileobj=SMALL_FILES["README.md"], path_in_repo="README.md", repo_id=repo, repo_type="space")
    api.upload_file(path_or_fileobj=SMALL_FILES["Dockerfile"], path_in_repo="Dockerfile", repo_id=repo, repo_type="space")
    # Following replays the build so far, tails it live, and ends when the build ends.
    lines = list(api.fetch_space_logs(repo, build=True, follow=True))
    assert lines[0].startswith("===== Build Queued")
    assert lines[-1].startswith("DONE")
    assert wait_settled(api, repo).stage == "RUNNING"


def test_errors_map_to_client_exceptions(api, hf, tmp_path):
    from huggingface_hub.errors import HfHubHTTPError, RemoteEntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    repo = "alice/fidelity-errors"
    api.create_repo(repo, repo_type="space", space_sdk="static")
    with pytest.raises(HfHubHTTPError) as e:
        api.whoami(token="hf_not_a_valid_token")
    assert e.value.response.status_code == 401
    with pytest.raises(RepositoryNotFoundError):
        api.space_info("alice/does-not-exist")
    with pytest.raises(RemoteEntryNotFoundError):
        hf.hf_hub_download(repo, "missing.txt", repo_type="space", cache_dir=tmp_path)
    with pytest.raises(RevisionNotFoundError):
        api.list_repo_files(repo, repo_type="space", revision="no-such-branch")
    first = api.space_info(repo).sha
    api.upload_file(path_or_fileobj=b"<h1>hi</h1>", path_in_repo="index.html", repo_id=repo, repo_type="space")
    with pytest.raises(HfHubHTTPError) as e:
        api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo, repo_type="space", parent_commit=first)
    assert e.value.response.status_code == 412
    with pytest.raises(HfHubHTTPError) as e:
        api.pause_space(repo)
    assert e.value.response.status_code == 400  # static Spaces cannot be paused
    with pytest.raises(HfHubHTTPError) as e:
        api.add_space_secret(repo, "X", "y", token="hf_fidelity_bob_token")
    assert e.value.response.status_code == 403


def test_pull_request_commit(api, hf, tmp_path):
    repo = "alice/fidelity-pr"
    api.create_repo(repo, repo_type="space", space_sdk="static")
    info = api.upload_file(path_or_fileobj=b"proposal", path_in_repo="proposal.txt", repo_id=repo, repo_type="space", create_pr=True)
    assert info.pr_num == 1 and info.pr_revision == "refs/pr/1"
    local = hf.hf_hub_download(repo, "proposal.txt", repo_type="space", revision="refs/pr/1", cache_dir=tmp_path)
    assert open(local, "rb").read() == b"proposal"
    assert "proposal.txt" not in api.list_repo_files(repo, repo_type="space")
    refs = api.list_repo_refs(repo, repo_type="space", include_pull_requests=True)
    assert [b.name for b in refs.branches] == ["main"]
    assert [p.ref for p in refs.pull_requests] == ["refs/pr/1"]
    commits = api.list_repo_commits(repo, repo_type="space", revision="refs/pr/1")
    assert [c.title for c in commits] == ["Upload proposal.txt with huggingface_hub", "initial commit"]
    assert commits[0].authors == ["alice"]


def test_client_retries_through_injected_faults(api, emulator):
    repo = "alice/fidelity-faults"
    api.create_repo(repo, repo_type="space", space_sdk="static")
    # A 429 on preupload (retried after RateLimit t+1 s) and a 503 on the LFS PUT (retried with backoff).
    emulator.control("POST", "/__emulator/faults", [
        {"kind": "status", "status": 429, "count": 1, "path": "/api/spaces/alice/fidelity-faults/preupload/*", "retryAfter": 0},
        {"kind": "status", "status": 503, "count": 1, "method": "PUT", "path": "/__lfs/upload/spaces/alice/fidelity-faults/*"},
    ])
    data = os.urandom(2048) + b"\0"
    api.upload_file(path_or_fileobj=data, path_in_repo="blob.bin", repo_id=repo, repo_type="space")
    assert emulator.control("GET", "/__emulator/faults") == []
    entry = next(e for e in api.list_repo_tree(repo, repo_type="space") if e.path == "blob.bin")
    assert entry.lfs.sha256 == hashlib.sha256(data).hexdigest()


def test_commit_identity_and_lfs_transfer_choice(api, emulator):
    """The runtime names no commit (SpaceRuntime has no sha); space_info().sha and the build log's banner do.
    huggingface_hub's LFS path takes the server's `transfer` but uploads by each object's actions, so the
    `lfs_transfer` fault (used to test that our client refuses it) does not disturb the official client."""
    repo = "alice/fidelity-commit"
    api.create_repo(repo, repo_type="space", space_sdk="docker", private=True)
    emulator.control("POST", "/__emulator/faults", {"kind": "lfs_transfer", "transfer": "xet"})
    data = os.urandom(4096) + b"\0"
    api.upload_file(path_or_fileobj=data, path_in_repo="blob.bin", repo_id=repo, repo_type="space")
    assert emulator.control("GET", "/__emulator/faults") == []
    entry = next(e for e in api.list_repo_tree(repo, repo_type="space") if e.path == "blob.bin")
    assert entry.lfs.sha256 == hashlib.sha256(data).hexdigest()
    commit = api.upload_file(path_or_fileobj=SMALL_FILES["Dockerfile"], path_in_repo="Dockerfile", repo_id=repo, repo_type="space")
    sha = commit.oid
    runtime = wait_settled(api, repo)
    assert "sha" not in runtime.raw
    assert api.space_info(repo).sha == sha
    first = next(iter(api.fetch_space_logs(repo, build=True)))
    assert first.startswith("===== Build Queued at ") and first.rstrip().endswith(f"/ Commit SHA: {sha[:7]} =====")


def test_space_management(api, hf, emulator):
    """Dev mode, visibility (incl. protected), volumes and duplicate_repo, as huggingface_hub 2.4.0 calls them."""
    from huggingface_hub import Volume
    from huggingface_hub.errors import BadRequestError, HfHubHTTPError, RepositoryNotFoundError

    def state(repo_id):
        repos = emulator.control("GET", "/__emulator/state?logs=false")["repos"]
        return next(r for r in repos if r["id"] == repo_id)

    repo = "alice/fidelity-manage"
    api.create_repo(repo, repo_type="space", space_sdk="docker", visibility="protected")
    assert state(repo)["visibility"] == "protected"
    assert api.space_info(repo).private is True
    with pytest.raises(RepositoryNotFoundError):
        api.space_info(repo, token="hf_fidelity_bob_token")

    assert api.enable_space_dev_mode(repo).dev_mode is True
    assert state(repo)["space"]["devMode"] is True
    assert api.disable_space_dev_mode(repo).dev_mode is False
    assert state(repo)["space"]["devMode"] is False

    api.update_repo_settings(repo, repo_type="space", visibility="public")
    assert state(repo)["visibility"] == "public"
    assert api.space_info(repo, token=False).private is False
    api.update_repo_settings(repo, repo_type="space", visibility="protected")
    assert (state(repo)["visibility"], state(repo)["private"]) == ("protected", True)
    api.update_repo_settings(repo, repo_type="space", private=True)
    assert state(repo)["visibility"] == "private"

    api.set_space_volumes(
        repo,
        volumes=[
            Volume(type="dataset", source="alice/data", mount_path="/data", revision="v1", path="train"),
            Volume(type="bucket", source="alice/bucket", mount_path="/mnt", read_only=False),
        ],
    )
    vols = api.get_space_runtime(repo).volumes
    assert [(v.type, v.source, v.mount_path, v.read_only) for v in vols] == [
        ("dataset", "alice/data", "/data", True),
        ("bucket", "alice/bucket", "/mnt", False),
    ]
    assert (vols[0].revision, vols[0].path) == ("v1", "train")
    assert api.space_info(repo).runtime.volumes[1].mount_path == "/mnt"
    api.delete_space_volumes(repo)
    assert api.get_space_runtime(repo).volumes is None
    assert state(repo)["space"]["volumes"] is None
    with pytest.raises(BadRequestError):
        api.delete_space_volumes(repo)

    api.upload_file(path_or_fileobj=b"print(1)\n", path_in_repo="app.py", repo_id=repo, repo_type="space")
    copy = "alice/fidelity-copy"
    url = api.duplicate_repo(
        repo,
        copy,
        repo_type="space",
        visibility="public",
        space_hardware="cpu-upgrade",
        space_sleep_time=600,
        space_secrets=[{"key": "API_TOKEN", "value": "copy-secret"}],
        space_variables=[{"key": "MODE", "value": "staging"}],
        space_volumes=[Volume(type="model", source="alice/model", mount_path="/models")],
    )
    assert url.repo_id == copy and url.files_copy_pending is False
    src, dst = state(repo), state(copy)
    assert dst["files"] == src["files"] and dst["sha"] == src["sha"]
    assert (dst["visibility"], dst["space"]["hardware"], dst["space"]["sleepTime"]) == ("public", "cpu-upgrade", 600)
    assert dst["space"]["secrets"]["API_TOKEN"]["sha256"] == hashlib.sha256(b"copy-secret").hexdigest()
    assert api.get_space_variables(copy)["MODE"].value == "staging"
    assert api.get_space_runtime(copy).volumes[0].read_only is True
    assert sorted(api.list_repo_files(copy, repo_type="space")) == [".gitattributes", "README.md", "app.py"]
    # Without a visibility the copy keeps the source's (private here); exist_ok swallows the 409.
    kept = api.duplicate_repo(repo, "alice/fidelity-copy2", repo_type="space")
    assert state(kept.repo_id)["visibility"] == "private"
    assert api.duplicate_repo(repo, copy, repo_type="space", exist_ok=True).repo_id == copy
    with pytest.raises(HfHubHTTPError) as e:
        api.duplicate_repo(repo, copy, repo_type="space")
    assert e.value.response.status_code == 409
    assert state(copy)["visibility"] == "public"

    static = "alice/fidelity-static-manage"
    api.create_repo(static, repo_type="space", space_sdk="static")
    with pytest.raises(BadRequestError):
        api.enable_space_dev_mode(static)
    with pytest.raises(BadRequestError):
        api.set_space_volumes(static, volumes=[Volume(type="model", source="alice/model", mount_path="/m")])


# ---------- tokens huggingface_hub obtains itself: OAuth refresh and the OIDC exchange ----------

# A throwaway RSA key for a fake CI issuer (test-only; signs RS256 id tokens like GitHub's issuer does).
N = int(
    "b258c736ff6d073b1f426355555cd23c3e2126f23877f16ede01d493980634aa65071c7a84945c34291672905f252448"
    "8eb96d4a2b3a664d5395f6ddcedbab6eec51685d9c452dbaf4184dc91f5fcc8d3e31202a28c11a1c0eb9cac6447aed5c"
    "88598dc6d3f134b2657ed1870a1eb7932eccd49fecfdfc1ca4a27f0d02601cc612149376009b6b24a00f1e5b26874003"
    "537fa7ab4aa34257a82cbd16e9031bce1a4f7fbf18141b83fd17a369f3c32c8ac1b55297096a52e0655c3b845cec5733"
    "e220b7663430e9ecef2234a1b273131b7338fbc0285a14ff1d2490e256af94401291af738d5ee915e45d77df625490c9"
    "d9c5a9b2e70c3e035b06c17e2123bddb",
    16,
)
D = int(
    "39869f43632234c9e22c54c40a93b5104f6dfc14f717e11d44a8cc7b8af6bd7814bc35786359436063bc64d9a286e56c"
    "2df52b8657e92f6453c8b46719390bd3ec8fd99d1031d42d505ca28274073f807385fefcfa4646f8b3db43c7ae01049c"
    "eb320fa4096aecf779fb6cf424d4819c0ce56ed3e2ea8dae63803280ecba39ad32a6e6efaa0234efc29cc2da259da40a"
    "9cde5a669cb7b760fffb8be30636573a694c2d4746aa943188d765e18bea19ed82c0a664770159907fb340c95f334dd1"
    "200f5125559b268b1b6a2e940e6f6450d00f1fd7de9a1c98708687dbb0c1a1c5c2f17937b2415b7be5117eb1f8f45715"
    "2fcc47e8382c9facdce1b68cabfece61",
    16,
)
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def _b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _rs256_id_token(claims: dict) -> str:
    """RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017), enough to mint a test id token with the stdlib."""
    import json

    signing_input = _b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "k1"}).encode()) + "." + _b64url(json.dumps(claims).encode())
    t = _SHA256_DIGEST_INFO + hashlib.sha256(signing_input.encode()).digest()
    k = (N.bit_length() + 7) // 8
    em = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    sig = pow(int.from_bytes(em, "big"), D, N).to_bytes(k, "big")
    return signing_input + "." + _b64url(sig)


def _use_token_files(monkeypatch, hf, tmp_path, access, refresh, expires_at):
    from huggingface_hub import constants
    from huggingface_hub.utils import _auth

    (tmp_path / "token").write_text(access)
    (tmp_path / "stored_tokens").write_text(f"[login]\nhf_token = {access}\nrefresh_token = {refresh}\nexpires_at = {expires_at}\n")
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(tmp_path / "stored_tokens"))
    monkeypatch.setattr(_auth, "_OAUTH_REFRESH_CACHE", None)
    return _auth


def test_oauth_refresh_of_a_login_token(hf, emulator, tmp_path, monkeypatch):
    login = emulator.control("POST", "/__emulator/oauth/logins", {"user": "alice", "expiresIn": 600})
    _auth = _use_token_files(monkeypatch, hf, tmp_path, login["accessToken"], login["refreshToken"], login["expiresAt"])
    fresh = _auth._get_token_from_file_refreshed()
    assert fresh != login["accessToken"] and fresh.startswith("hf_oauth_")
    assert (tmp_path / "token").read_text() == fresh
    stored = (tmp_path / "stored_tokens").read_text()
    assert f"hf_token = {fresh}" in stored and login["refreshToken"] not in stored
    assert hf.HfApi(token=fresh).whoami()["name"] == "alice"

    # Revoked and expired: the client keeps the old token (and warns); the Hub then rejects it.
    rotated = next(line.split(" = ")[1] for line in stored.splitlines() if line.startswith("refresh_token"))
    emulator.control("POST", "/__emulator/oauth/revoke", {"refreshToken": rotated})
    old = emulator.control("POST", "/__emulator/oauth/logins", {"user": "alice", "expiresIn": -60})
    _auth = _use_token_files(monkeypatch, hf, tmp_path, old["accessToken"], rotated, old["expiresAt"])
    assert _auth._get_token_from_file_refreshed() == old["accessToken"]
    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError) as e:
        hf.HfApi(token=old["accessToken"]).whoami()
    assert e.value.response.status_code == 401


def test_oidc_token_exchange(hf, api, emulator, monkeypatch):
    from huggingface_hub.utils import _auth

    repo_id = "alice/fidelity-oidc"
    api.create_repo(repo_id, repo_type="space", space_sdk="static", private=True, exist_ok=True)
    issuer = "https://ci.example.test"
    jwk = {"kty": "RSA", "kid": "k1", "alg": "RS256", "n": _b64url(N.to_bytes(256, "big")), "e": _b64url((65537).to_bytes(3, "big"))}
    emulator.control(
        "POST",
        "/__emulator/trusted-publishers",
        {"resource": f"spaces/{repo_id}", "issuer": issuer, "jwks": {"keys": [jwk]}, "claims": {"repository": "acme/site"}},
    )
    now = int(time.time())
    claims = {"iss": issuer, "aud": emulator.url, "iat": now, "exp": now + 300, "repository": "acme/site", "sub": "repo:acme/site:ref:refs/heads/main"}
    monkeypatch.setenv("HF_OIDC_RESOURCE", f"spaces/{repo_id}")
    monkeypatch.setenv("HF_OIDC_ID_TOKEN", _rs256_id_token(claims))
    monkeypatch.setattr(_auth, "_OIDC_TOKEN_CACHE", None)
    token = hf.get_token()
    assert token.startswith("hf_jwt_") and token != os.environ["HF_TOKEN"]
    scoped = hf.HfApi(token=token)
    info = scoped.upload_file(path_or_fileobj=b"<h1>from CI</h1>", path_in_repo="index.html", repo_id=repo_id, repo_type="space")
    assert info.oid
    # A claim that does not match: 400 invalid_grant, raised (no fallback to HF_TOKEN).
    monkeypatch.setenv("HF_OIDC_ID_TOKEN", _rs256_id_token({**claims, "repository": "someone/fork"}))
    monkeypatch.setattr(_auth, "_OIDC_TOKEN_CACHE", None)
    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError) as e:
        hf.get_token()
    assert e.value.response.status_code == 400 and e.value.response.json()["error"] == "invalid_grant"


def test_client_only_called_known_endpoints(emulator):
    """Runs last: every request the client made in this session hit a route the emulator implements."""
    unknown = [f"{r['method']} {r['path']}" for r in emulator.control("GET", "/__emulator/requests") if r.get("errorCode") == "NotFound"]
    assert unknown == []
