"""Runs one page's blocks the way a reader would: in order, in a scratch directory of its own.

- Python blocks share one namespace per page and run in this process, one top-level statement
  at a time, with the page's directory as working directory and the page's environment. A
  statement whose comment names an exception (`# ConfigError naming ...`) must raise it; an
  assignment whose comment starts with a shape (`# (64, 1, 28, 28) in [-1, 1]`) must produce a
  tensor of that shape (and range).
- Shell blocks run in `bash -e -o pipefail`, as shown (after the marker's `sub`s). `ganzoo` on
  PATH is the shim of tests/docs/forkserver.py; `python` is this interpreter. In a block of `$ ` lines every command
  runs on its own and the lines shown under it are compared with what it printed.
- Every page gets a HOME of its own (so `~/.cache` is the page's), GANZOO_DATA, and the loopback
  Hub of tests/support/hub_server.py as HF_ENDPOINT with a token for it: no network is reachable
  through the Hub client, and a push or pull goes to the emulator.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forkserver import ADD_VAR
from md_blocks import Block, DocsFailure
from md_expect import (
    call_hooks,
    check_keys_comment,
    check_shape_comment,
    comment_of,
    compare_alarms,
    is_print,
)
from md_shell import apply_omits, check_commands, console_steps, substitute

HF_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "HF_HOME", "HF_HUB_CACHE",
           "HUGGINGFACE_HUB_CACHE", "HF_XET_CACHE", "HF_TOKEN_PATH", "HF_ENDPOINT")  # fmt: skip
TIMEOUT = 120
SLOW_TIMEOUT = 600


@dataclass
class Outcome:
    status: str  # "ran", "checked" or "skipped"
    note: str = ""


RESULTS: dict[str, Outcome | str] = {}  # block id -> its outcome, or "failed" (the summary line)


@dataclass
class Session:
    """What every page shares: the ganzoo shim's folder, the Hub emulator, the data root."""

    bin_dir: Path
    socket: str
    hub_url: str
    hub_token: str
    data_root: Path
    scratch: Path
    pages: dict[Path, Page] = field(default_factory=dict)

    def page(self, path: Path) -> Page:
        if path not in self.pages:
            self.pages[path] = Page(self, path, self.scratch / path.stem.lower())
        return self.pages[path]


class Page:
    def __init__(self, session: Session, path: Path, root: Path) -> None:
        self.session, self.path, self.dir = session, path, root
        self.home = root / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.namespace: dict[str, Any] = {"__name__": "__main__"}
        self.outcomes: dict[int, Outcome | BaseException] = {}
        self.sys_path: list[str] = []  # what the page's blocks put on sys.path (a reader's plugin)

    # ------------------------------------------------------------------ environment
    def env(self, block: Block | None = None) -> dict[str, str]:
        s = self.session
        env = {
            k: v for k, v in os.environ.items() if k not in HF_VARS and k != "PYTEST_CURRENT_TEST"
        }
        env.update(
            HOME=str(self.home),
            GANZOO_DATA=str(s.data_root),
            PATH=os.pathsep.join([str(s.bin_dir), str(Path(sys.executable).parent), env["PATH"]]),
            HF_ENDPOINT=s.hub_url,
            HF_TOKEN=s.hub_token,
            HF_HUB_DISABLE_XET="1",
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_DISABLE_PROGRESS_BARS="1",
            HF_HUB_ETAG_TIMEOUT="5",
            HF_HUB_DOWNLOAD_TIMEOUT="5",
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
            COLUMNS="100",
            DOCS_TEST_GANZOO_SOCKET=s.socket,
        )
        if block is not None:
            add = {k: list(v) for k, v in block.page.add.items()}
            for cmd, args in block.marker.add.items():
                add.setdefault(cmd, []).extend(args)
            env[ADD_VAR] = json.dumps(add)
        return env

    def shell(self, script: str, block: Block, timeout: int) -> subprocess.CompletedProcess[str]:
        """Run `script` in bash in the page's directory; a timeout kills everything it started."""
        with subprocess.Popen(
            ["bash", "-e", "-o", "pipefail", "-c", script],
            cwd=self.dir,
            env=self.env(block),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        ) as proc:
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the shim too; its command dies with it
                out, err = proc.communicate()
                raise DocsFailure(
                    f"{block.id}: still running after {timeout} s (too big for the docs test? "
                    f"add a size override to its marker):\n{script.strip()}\n{out}{err}"
                ) from None
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    # ------------------------------------------------------------------ running
    def run(self, block: Block, blocks: list[Block]) -> Outcome:
        """Run `block`, after any earlier block of the page that has not run yet (a reader's
        state: `-k` may select a block whose page's earlier blocks define what it uses)."""
        for b in blocks[: block.index + 1]:
            if b.index not in self.outcomes:
                try:
                    self.outcomes[b.index] = self._run_one(b)
                except Exception as err:  # reported by that block's own test
                    self.outcomes[b.index] = err
        result = self.outcomes[block.index]
        if isinstance(result, BaseException):
            raise result
        return result

    def _run_one(self, block: Block) -> Outcome:
        m = block.marker
        if m.skip:
            return Outcome("skipped", m.skip)
        timeout = SLOW_TIMEOUT if m.slow else TIMEOUT
        text = substitute(block)
        for cmd in [*block.page.before, *m.before]:
            r = self.shell(cmd, block, timeout)
            if r.returncode:
                raise DocsFailure(f"before: {cmd!r} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
        if m.file:
            target = self.dir / m.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            return Outcome("ran", f"written to {m.file} for the page's later commands")
        if m.checks:
            from md_checks import run_check

            notes = [run_check(name, block, text, self) for name in m.checks]
            return Outcome("checked", "; ".join(notes))
        if m.output_of:
            self.compare_output(block, m.output_of, text, timeout)
            return Outcome("ran", f"output of {m.output_of!r}")
        if block.kind == "python":
            self.run_python(block, text)
            return Outcome("ran")
        if block.kind == "shell":
            return self.run_shell(block, text, timeout)
        raise DocsFailure(
            f"{block.id}: a {block.lang or 'plain'} block with no docs-test marker: give it "
            "'<!-- docs-test: skip: REASON -->', a check, or make it runnable"
        )

    # ------------------------------------------------------------------ python
    @contextmanager
    def inside(self, block: Block) -> Iterator[None]:
        """This process as the page's reader: its directory, environment and a fresh Hub client."""
        saved_env, saved_cwd, env = dict(os.environ), os.getcwd(), self.env(block)
        saved_path = list(sys.path)
        hf = _purge_hf_modules()
        os.environ.clear()
        os.environ.update(env)
        os.chdir(self.dir)
        # the page's own additions (a plugin a reader "installs") hold for its blocks only
        sys.path[:0] = [p for p in self.sys_path if p not in sys.path]
        try:
            yield
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
            _purge_hf_modules()
            sys.modules.update(hf)
            added = [p for p in sys.path if p not in saved_path]
            self.sys_path += [p for p in added if p not in self.sys_path]
            if sys.path != saved_path:
                sys.path[:] = saved_path
                from ganzoo.registry import reset_registry

                reset_registry()  # later tests must not see the page's plugin

    def run_python(self, block: Block, text: str) -> None:
        tree = ast.parse(text, filename=block.id)
        lines = text.splitlines()
        with self.inside(block):
            for stmt in tree.body:
                comment = comment_of(lines[(stmt.end_lineno or stmt.lineno) - 1])
                code = compile(ast.Module([stmt], []), f"{block.id}+{stmt.lineno}", "exec")
                expected = re.match(r"#\s*([A-Z]\w*Error)\b", comment)
                where = f"{block.path}:{block.line + stmt.lineno}"
                if expected:
                    try:
                        exec(code, self.namespace)
                    except Exception as err:
                        if type(err).__name__ != expected.group(1):
                            raise DocsFailure(
                                f"{where}: raised {type(err).__name__} ({err}), the docs say "
                                f"{expected.group(1)}"
                            ) from err
                    else:
                        raise DocsFailure(
                            f"{where}: the docs say {expected.group(1)}; nothing raised"
                        )
                    continue
                if isinstance(stmt, ast.Expr) and comment.lstrip("# ").startswith("{"):
                    stmt = ast.Assign([ast.Name("_", ast.Store())], stmt.value, lineno=1)
                    code = compile(ast.fix_missing_locations(ast.Module([stmt], [])), where, "exec")
                if is_print(stmt) and comment:
                    printed = io.StringIO()
                    with redirect_stdout(printed):
                        exec(code, self.namespace)
                    shown = comment.lstrip("#").split()
                    if printed.getvalue().split() != shown:
                        raise DocsFailure(
                            f"{where}: printed {printed.getvalue()!r}, the docs say {shown}"
                        )
                    continue
                exec(code, self.namespace)
                check_shape_comment(stmt, comment, self.namespace, where)
                check_keys_comment(stmt, comment, self.namespace, where)
            call_hooks(block, self.namespace)

    # ------------------------------------------------------------------ shell
    def run_shell(self, block: Block, text: str, timeout: int) -> Outcome:
        if any(ln.startswith("$ ") for ln in text.splitlines()):
            steps = console_steps(text)
        else:
            steps = [(text, [])]
        notes: list[str] = []
        ran = 0
        for script, shown in steps:
            kept, omitted = apply_omits(script, block)
            notes += omitted
            if not kept.strip():
                continue
            check_commands(kept, block)
            r = self.shell(kept, block, timeout)
            ran += 1
            out = r.stdout + r.stderr
            expect_error = bool(shown) and shown[0].startswith("error:")
            if expect_error and r.returncode == 0:
                raise DocsFailure(f"{block.id}: {kept.strip()!r} succeeded; the docs show an error")
            if not expect_error and r.returncode != 0:
                raise DocsFailure(
                    f"{block.id}: exit code {r.returncode} from\n{kept.strip()}\n--- output:\n{out}"
                )
            if shown:
                self.compare(block, shown, out)
        if not ran:
            return Outcome("skipped", "; ".join(notes))
        return Outcome("ran", ("omitted " + "; ".join(notes)) if notes else "")

    def compare_output(self, block: Block, command: str, text: str, timeout: int) -> None:
        r = self.shell(command, block, timeout)
        shown = [ln for ln in text.splitlines() if ln.strip()]
        self.compare(block, shown, r.stdout + r.stderr, joined=True)

    def compare(self, block: Block, shown: list[str], out: str, joined: bool = False) -> None:
        if block.marker.compare == "alarms":
            compare_alarms(block, shown, out)
            return
        normal = self.normalise
        actual = [normal(ln) for ln in out.splitlines() if normal(ln)]
        wanted = [normal(ln) for ln in shown if normal(ln)]
        if joined:  # a message the docs wrap over several lines: compare the words
            if " ".join(wanted) not in " ".join(actual):
                raise DocsFailure(
                    f"{block.id}: the docs show\n  "
                    + "\n  ".join(shown)
                    + "\nbut it printed\n"
                    + out
                )
            return
        pos = 0
        for want in wanted:
            for k in range(pos, len(actual)):
                if actual[k] == want:
                    pos = k + 1
                    break
            else:
                raise DocsFailure(
                    f"{block.id}: the docs show the line\n  {want}\nwhich is not in what the command "
                    f"printed (normalised, in order):\n  " + "\n  ".join(actual)
                )

    def normalise(self, line: str) -> str:
        line = line.replace(self.session.hub_url, "https://huggingface.co")
        line = line.replace(str(self.home), "~").replace(str(self.dir), ".")
        line = re.sub(r"/home/[\w.-]+", "~", line)
        line = re.sub(r"\b[0-9a-f]{40}\b|\b[0-9a-f]{64}\b", "<sha>", line)
        line = re.sub(r"[┏┓┗┛┃━┳┻╋┡┩╇│─┼└┘┴┌┐┬├┤]", " ", line)
        return " ".join(line.split())


# ---------------------------------------------------------------------- helpers
def _purge_hf_modules() -> dict[str, object]:
    names = [n for n in sys.modules if n == "huggingface_hub" or n.startswith("huggingface_hub.")]
    return {n: sys.modules.pop(n) for n in names}


__all__ = ["RESULTS", "Outcome", "Page", "Session"]
