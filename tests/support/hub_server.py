"""A loopback emulator of the part of the Hugging Face Hub REST API that ``huggingface_hub`` uses.

Stdlib only: a :class:`http.server.ThreadingHTTPServer` on 127.0.0.1 (port 0) keeps repos in
memory with real commits (a new 40-hex oid each), branches, files with sha256 ETags, the LFS
upload flow (batch -> PUT -> verify), private repos that need ``Authorization: Bearer <token>``,
and 404s carrying the ``X-Error-Code`` headers the client turns into typed errors.

Use :func:`start_hub` (or the ``hub_server`` fixture in ``tests/hub/test_hub.py``)::

    server = start_hub(token="hf_test")
    os.environ["HF_ENDPOINT"] = server.url  # before huggingface_hub is imported
    ...
    server.stop()

Routes are those listed in ``shared/notes/hub-emulator.md``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

_REPO = r"(?P<repo>[\w.-]+/[\w.-]+)"
_SEG = r"(?P<rev>[^/]+)"
LFS_SUFFIXES = (".safetensors", ".png", ".bin", ".pt", ".jpg", ".npz")
GITATTRIBUTES = b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.png filter=lfs diff=lfs merge=lfs -text\n"


@dataclass
class Blob:
    """One file's content and how it is stored (git blob or LFS object)."""

    data: bytes
    lfs: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def git_oid(self) -> str:
        return hashlib.sha1(b"blob %d\0" % len(self.data) + self.data).hexdigest()


@dataclass
class Commit:
    oid: str
    parent: str | None
    message: str
    files: dict[str, Blob]
    date: float = field(default_factory=time.time)


@dataclass
class Repo:
    repo_id: str
    private: bool
    branches: dict[str, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)

    def resolve(self, rev: str) -> Commit | None:
        if rev in self.branches:
            return self.commits[self.branches[rev]]
        if rev in self.commits:
            return self.commits[rev]
        return None


class HubState:
    """Everything the emulator stores; tests may read it (and mutate it to simulate tampering)."""

    def __init__(self, token: str | None, user: str) -> None:
        self.token = token
        self.user = user
        self.repos: dict[str, Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.lock = threading.RLock()
        self._counter = 0

    def new_oid(self, seed: str) -> str:
        self._counter += 1
        return hashlib.sha1(f"{seed}:{self._counter}:{time.time_ns()}".encode()).hexdigest()

    def commit(self, repo: Repo, branch: str, message: str, files: dict[str, Blob]) -> Commit:
        parent = repo.branches.get(branch)
        commit = Commit(self.new_oid(repo.repo_id), parent, message, files)
        repo.commits[commit.oid] = commit
        repo.branches[branch] = commit.oid
        return commit


class _Handler(BaseHTTPRequestHandler):
    server: _HubHTTPServer
    protocol_version = "HTTP/1.1"

    # ----------------------------------------------------------------- plumbing
    def log_message(self, format: str, *args: Any) -> None:  # silence stderr
        pass

    @property
    def state(self) -> HubState:
        return self.server.state

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        body: bytes | dict | list | None = None,
        headers: dict[str, str] | None = None,
        head: bool = False,
    ) -> None:
        if isinstance(body, dict | list):
            payload = json.dumps(body).encode()
            ctype = "application/json"
        else:
            payload = body or b""
            ctype = "application/octet-stream"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(payload)

    def _error(self, status: int, code: str | None, message: str, head: bool = False) -> None:
        headers = {"X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        self._send(status, {"error": message}, headers, head=head)

    def _authorized(self) -> bool:
        auth = self.headers.get("Authorization", "")
        return self.state.token is not None and auth == f"Bearer {self.state.token}"

    def _repo(self, repo_id: str, head: bool = False) -> Repo | None:
        """The repo if it exists and the caller may read it; else answer the error and None."""
        repo = self.state.repos.get(repo_id)
        if repo is None or (repo.private and not self._authorized()):
            # The Hub answers 401 (not 404) to anonymous callers, so as not to leak existence.
            status = 401 if not self._authorized() else 404
            self._error(status, "RepoNotFound", "Repository not found", head=head)
            return None
        return repo

    def _commit_at(self, repo: Repo, rev: str, head: bool = False) -> Commit | None:
        commit = repo.resolve(unquote(rev))
        if commit is None:
            self._error(404, "RevisionNotFound", f"Invalid rev id: {unquote(rev)}", head=head)
        return commit

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        path, query = split.path, parse_qs(split.query)
        with self.state.lock:
            self.state.requests.append((method, path))
        for m, pattern, fn in _ROUTES:
            if m == method and (match := re.fullmatch(pattern, path)):
                args = {k: v for k, v in match.groupdict().items() if v is not None}
                try:
                    with self.state.lock:
                        fn(self, query=query, **args)
                except Exception as err:  # an emulator bug: record it, answer a non-retried 400
                    self.state.errors.append(f"{method} {path}: {type(err).__name__}: {err}")
                    self._error(400, None, f"emulator error: {err}", head=method == "HEAD")
                return
        self._error(404, None, f"no route {method} {path}", head=method == "HEAD")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    # ----------------------------------------------------------------- routes
    def whoami(self, query: dict) -> None:
        if not self._authorized():
            self._error(401, None, "Invalid credentials in Authorization header")
            return
        self._send(
            200,
            {
                "type": "user",
                "name": self.state.user,
                "orgs": [],
                "auth": {
                    "type": "access_token",
                    "accessToken": {"displayName": "test", "role": "write"},
                },
            },
        )

    def validate_yaml(self, query: dict) -> None:
        self._body()
        self._send(200, {"errors": [], "warnings": []})

    def create_repo(self, query: dict) -> None:
        payload = json.loads(self._body() or b"{}")
        if not self._authorized():
            self._error(401, None, "You must be authenticated to create a repo")
            return
        owner = payload.get("organization") or self.state.user
        repo_id = f"{owner}/{payload['name']}"
        url = f"{self.base}/{repo_id}"
        if repo_id in self.state.repos:
            self._send(409, {"error": "You already created this model repo", "url": url})
            return
        private = bool(payload.get("private")) or payload.get("visibility") == "private"
        repo = Repo(repo_id, private)
        self.state.repos[repo_id] = repo
        self.state.commit(
            repo, "main", "initial commit", {".gitattributes": Blob(GITATTRIBUTES, False)}
        )
        self._send(200, {"url": url, "name": repo_id, "id": repo_id})

    def create_branch(self, query: dict, repo: str, branch: str) -> None:
        payload = json.loads(self._body() or b"{}")
        if not self._authorized():
            self._error(401, None, "You must be authenticated to create a branch")
            return
        r = self._repo(repo)
        if r is None:
            return
        branch = unquote(branch)
        if branch in r.branches:
            self._error(409, None, f"Branch {branch} already exists")
            return
        start = r.resolve(payload.get("startingPoint") or "main")
        if start is None:
            self._error(404, "RevisionNotFound", "Invalid starting point")
            return
        r.branches[branch] = start.oid
        self._send(200, {})

    def refs(self, query: dict, repo: str) -> None:
        r = self._repo(repo)
        if r is None:
            return
        branches = [
            {"name": b, "ref": f"refs/heads/{b}", "targetCommit": o} for b, o in r.branches.items()
        ]
        self._send(200, {"branches": branches, "tags": [], "converts": []})

    def preupload(self, query: dict, repo: str, rev: str) -> None:
        payload = json.loads(self._body() or b"{}")
        if not self._authorized():
            self._error(401, "RepoNotFound", "Repository not found")
            return
        r = self._repo(repo)
        if r is None or self._commit_at(r, rev) is None:
            return
        files = []
        for f in payload.get("files", []):
            sample = base64.b64decode(f.get("sample", ""))
            lfs = (
                f["path"].endswith(LFS_SUFFIXES) or f.get("size", 0) > 10_000_000 or b"\0" in sample
            )
            files.append(
                {
                    "path": f["path"],
                    "uploadMode": "lfs" if lfs else "regular",
                    "shouldIgnore": False,
                }
            )
        self._send(200, {"files": files, "commitOid": r.branches.get(unquote(rev))})

    def lfs_batch(self, query: dict, repo: str) -> None:
        payload = json.loads(self._body() or b"{}")
        if not self._authorized():
            self._error(401, None, "Invalid credentials")
            return
        if self._repo(repo) is None:
            return
        objects = []
        for obj in payload.get("objects", []):
            entry: dict[str, Any] = {"oid": obj["oid"], "size": obj["size"], "authenticated": True}
            if obj["oid"] not in self.state.lfs:
                entry["actions"] = {
                    "upload": {"href": f"{self.base}/__lfs/{obj['oid']}"},
                    "verify": {"href": f"{self.base}/__lfs/verify"},
                }
            objects.append(entry)
        self._send(
            200,
            {"transfer": "basic", "objects": objects},
            {"Content-Type": "application/vnd.git-lfs+json"},
        )

    def lfs_put(self, query: dict, oid: str) -> None:
        data = self._body()
        if hashlib.sha256(data).hexdigest() != oid:
            self._error(400, None, "sha256 of the uploaded content does not match the oid")
            return
        self.state.lfs[oid] = data
        self._send(200, b"")

    def lfs_verify(self, query: dict) -> None:
        payload = json.loads(self._body() or b"{}")
        data = self.state.lfs.get(payload.get("oid", ""))
        if data is None or len(data) != payload.get("size"):
            self._error(404, None, "LFS object not found")
            return
        self._send(200, {})

    def commit(self, query: dict, repo: str, rev: str) -> None:
        lines = [json.loads(line) for line in self._body().splitlines() if line.strip()]
        if not self._authorized():
            self._error(401, "RepoNotFound", "Repository not found")
            return
        r = self._repo(repo)
        if r is None:
            return
        branch = unquote(rev)
        if branch not in r.branches:
            self._error(404, "RevisionNotFound", f"Invalid rev id: {branch}")
            return
        files = dict(r.commits[r.branches[branch]].files)
        message = "commit"
        for line in lines:
            key, value = line["key"], line["value"]
            if key == "header":
                message = value.get("summary") or message
                parent = value.get("parentCommit")
                if parent and parent != r.branches[branch]:
                    self._error(412, None, "parentCommit is not the head of the branch")
                    return
            elif key == "file":
                files[value["path"]] = Blob(base64.b64decode(value["content"]), False)
            elif key == "lfsFile":
                data = self.state.lfs.get(value["oid"])
                if data is None:
                    self._error(422, None, f"LFS object {value['oid']} was never uploaded")
                    return
                files[value["path"]] = Blob(data, True)
            elif key == "deletedFile":
                files.pop(value["path"], None)
            elif key == "deletedFolder":
                prefix = value["path"].rstrip("/") + "/"
                files = {p: b for p, b in files.items() if not p.startswith(prefix)}
        c = self.state.commit(r, branch, message, files)
        self._send(
            200,
            {
                "commitUrl": f"{self.base}/{repo}/commit/{c.oid}",
                "commitOid": c.oid,
                "success": True,
                "pullRequestUrl": None,
            },
        )

    def repo_info(self, query: dict, repo: str, rev: str = "main") -> None:
        r = self._repo(repo)
        if r is None:
            return
        c = self._commit_at(r, rev)
        if c is None:
            return
        self._send(
            200,
            {
                "id": repo,
                "modelId": repo,
                "author": repo.split("/")[0],
                "sha": c.oid,
                "private": r.private,
                "gated": False,
                "disabled": False,
                "lastModified": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(c.date)),
                "tags": [],
                "downloads": 0,
                "likes": 0,
                "library_name": "ganzoo",
                "siblings": [{"rfilename": p} for p in sorted(c.files)],
            },
        )

    def tree(self, query: dict, repo: str, rev: str, path: str = "") -> None:
        r = self._repo(repo)
        if r is None:
            return
        c = self._commit_at(r, rev)
        if c is None:
            return
        prefix = path.strip("/")
        recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
        entries: list[dict[str, Any]] = []
        folders: set[str] = set()
        for p, blob in sorted(c.files.items()):
            if prefix and not p.startswith(prefix + "/"):
                continue
            rest = p[len(prefix) + 1 :] if prefix else p
            parts = rest.split("/")
            for i in range(1, len(parts)):
                folder = "/".join(([prefix] if prefix else []) + parts[:i])
                if (recursive or i == 1) and folder not in folders:
                    folders.add(folder)
                    entries.append(
                        {"type": "directory", "oid": "0" * 40, "size": 0, "path": folder}
                    )
            if not recursive and len(parts) > 1:
                continue
            entry: dict[str, Any] = {
                "type": "file",
                "oid": blob.git_oid,
                "size": len(blob.data),
                "path": p,
            }
            if blob.lfs:
                entry["lfs"] = {"oid": blob.sha256, "size": len(blob.data), "pointerSize": 134}
            entries.append(entry)
        if prefix and not entries:
            self._error(404, "EntryNotFound", f"{prefix} does not exist on {rev}")
            return
        self._send(200, entries)

    def resolve(self, query: dict, repo: str, rev: str, path: str, head: bool = False) -> None:
        r = self._repo(repo, head=head)
        if r is None:
            return
        c = self._commit_at(r, rev, head=head)
        if c is None:
            return
        blob = c.files.get(unquote(path))
        if blob is None:
            self._error(
                404, "EntryNotFound", f"{unquote(path)} does not exist on {unquote(rev)}", head=head
            )
            return
        headers = {"X-Repo-Commit": c.oid, "ETag": f'"{blob.sha256}"', "Accept-Ranges": "bytes"}
        if blob.lfs:
            headers["X-Linked-Etag"] = f'"{blob.sha256}"'
            headers["X-Linked-Size"] = str(len(blob.data))
        self._send(200, blob.data, headers, head=head)

    def resolve_head(self, query: dict, repo: str, rev: str, path: str) -> None:
        self.resolve(query, repo, rev, path, head=True)


_API = r"/api/models/" + _REPO
_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", r"/api/whoami-v2", _Handler.whoami),
    ("POST", r"/api/validate-yaml", _Handler.validate_yaml),
    ("POST", r"/api/repos/create", _Handler.create_repo),
    ("POST", _API + r"/branch/(?P<branch>[^/]+)", _Handler.create_branch),
    ("GET", _API + r"/refs", _Handler.refs),
    ("POST", _API + r"/preupload/" + _SEG, _Handler.preupload),
    ("POST", _API + r"/commit/" + _SEG, _Handler.commit),
    ("GET", _API + r"/tree/" + _SEG + r"(?:/(?P<path>.+))?", _Handler.tree),
    ("GET", _API + r"/revision/" + _SEG, _Handler.repo_info),
    ("GET", _API, _Handler.repo_info),
    ("POST", r"/" + _REPO + r"\.git/info/lfs/objects/batch", _Handler.lfs_batch),
    ("POST", r"/__lfs/verify", _Handler.lfs_verify),
    ("PUT", r"/__lfs/(?P<oid>[0-9a-f]{64})", _Handler.lfs_put),
    ("HEAD", r"/" + _REPO + r"/resolve/" + _SEG + r"/(?P<path>.+)", _Handler.resolve_head),
    ("GET", r"/" + _REPO + r"/resolve/" + _SEG + r"/(?P<path>.+)", _Handler.resolve),
]


class _HubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    state: HubState


@dataclass
class HubServer:
    """A running emulator: its base ``url``, its ``state`` and :meth:`stop`."""

    httpd: _HubHTTPServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def state(self) -> HubState:
        return self.httpd.state

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def start_hub(token: str | None = "hf_emulator_token", user: str = "tester") -> HubServer:
    """Start the emulator on 127.0.0.1 on a free port, in a daemon thread."""
    httpd = _HubHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.timeout = 10
    httpd.state = HubState(token, user)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    return HubServer(httpd, thread)


if __name__ == "__main__":  # pragma: no cover - manual use: python tests/support/hub_server.py
    server = start_hub()
    print(f"Hub emulator on {server.url} (token {server.state.token!r}); Ctrl-C stops it")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


def purge_hf_modules() -> dict[str, object]:
    """Drop ``huggingface_hub`` from ``sys.modules`` (it reads its settings at import); return them."""
    import sys

    names = [n for n in sys.modules if n == "huggingface_hub" or n.startswith("huggingface_hub.")]
    return {n: sys.modules.pop(n) for n in names}
