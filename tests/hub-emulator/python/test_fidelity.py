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


def test_client_only_called_known_endpoints(emulator):
    """Runs last: every request the client made in this session hit a route the emulator implements."""
    unknown = [f"{r['method']} {r['path']}" for r in emulator.control("GET", "/__emulator/requests") if r.get("errorCode") == "NotFound"]
    assert unknown == []
