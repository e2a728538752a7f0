"""Runs one page's blocks the way a reader would: in order, in a scratch directory of its own.

- Python blocks share one namespace per page and run in this process, one top-level statement
  at a time, with the page's directory as working directory and the page's environment. A
  statement whose comment names an exception (`# ConfigError naming ...`) must raise it; an
  assignment whose comment starts with a shape (`# (64, 1, 28, 28) in [-1, 1]`) must produce a
  tensor of that shape (and range).
- Shell blocks run in `bash -e -o pipefail`, as shown (after the marker's `sub`s). `ganzoo` on PATH is the shim of
  tests/docs/forkserver.py; `python` is this interpreter. In a block of `$ ` lines every command
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
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forkserver import ADD_VAR
from md_blocks import REPO, Block

# commands a shell block may run as shown; anything else must be omitted with a reason
ALLOWED = {
    "ganzoo",
    "python",
    "torchrun",
    "export",
    "cd",
    "ls",
    "cat",
    "ln",
    "mkdir",
    "echo",
    "printf",
    "test",
}
HF_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "HF_HOME", "HF_HUB_CACHE",
           "HUGGINGFACE_HUB_CACHE", "HF_XET_CACHE", "HF_TOKEN_PATH", "HF_ENDPOINT")  # fmt: skip
TIMEOUT = 120
SLOW_TIMEOUT = 600


class DocsFailure(AssertionError):
    """A block did not do what the docs say."""


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
        hf = _purge_hf_modules()
        os.environ.clear()
        os.environ.update(env)
        os.chdir(self.dir)
        try:
            yield
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
            _purge_hf_modules()
            sys.modules.update(hf)

    def run_python(self, block: Block, text: str) -> None:
        tree = ast.parse(text, filename=block.id)
        lines = text.splitlines()
        with self.inside(block):
            for stmt in tree.body:
                comment = _comment(lines[(stmt.end_lineno or stmt.lineno) - 1])
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
                if _is_print(stmt) and comment:
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
                _check_shape_comment(stmt, comment, self.namespace, where)
                _check_keys_comment(stmt, comment, self.namespace, where)
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
def substitute(block: Block) -> str:
    text = block.text
    for old, new in block.marker.subs:
        if old not in text:
            raise DocsFailure(f"{block.id}: sub: {old!r} does not occur in the block")
        text = text.replace(old, new)
    return text


def console_steps(text: str) -> list[tuple[str, list[str]]]:
    """Split `$ command` lines (with `\\` continuations) from the output shown under each."""
    steps: list[tuple[str, list[str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            i += 1
            continue
        cmd = [lines[i][2:]]
        while cmd[-1].rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            cmd.append(lines[i])
        i += 1
        shown = []
        while i < len(lines) and not lines[i].startswith("$ "):
            shown.append(lines[i])
            i += 1
        steps.append(("\n".join(cmd), shown))
    return steps


def _logical_lines(script: str) -> list[str]:
    out, cur = [], ""
    for ln in script.splitlines():
        if ln.rstrip().endswith("\\"):
            cur += ln.rstrip()[:-1] + " "
            continue
        out.append(cur + ln)
        cur = ""
    if cur:
        out.append(cur)
    return out


def apply_omits(script: str, block: Block) -> tuple[str, list[str]]:
    kept, notes = [], []
    for ln in _logical_lines(script):
        for prefix, reason in block.marker.omit:
            if ln.strip().startswith(prefix):
                notes.append(f"{ln.split('#')[0].strip()!r} ({reason})")
                break
        else:
            kept.append(ln)
    return "\n".join(kept) + "\n", notes


def commands(script: str) -> list[str]:
    """The first word of every simple command in a script (assignments skipped)."""
    words: list[str] = []
    for ln in _logical_lines(script):
        lex = shlex.shlex(ln, posix=True, punctuation_chars=";&|")
        lex.commenters = "#"
        lex.whitespace_split = True
        start = True
        for tok in lex:
            if set(tok) <= set(";&|"):
                start = True
            elif start and re.fullmatch(r"[A-Za-z_]\w*=.*", tok):
                continue
            elif start:
                words.append(tok)
                start = False
    return words


def check_commands(script: str, block: Block) -> None:
    for word in commands(script):
        if word not in ALLOWED:
            raise DocsFailure(
                f"{block.id}: runs {word!r}; run only ganzoo and cheap local commands here, or "
                f"add 'omit: {word} -- REASON' to the block's docs-test marker"
            )


def _comment(line: str) -> str:
    """The `# comment` of a line of Python (a '#' inside a string does not count)."""
    try:
        import tokenize

        for tok in tokenize.generate_tokens(io.StringIO(line + "\n").readline):
            if tok.type == tokenize.COMMENT:
                return tok.string
    except (tokenize.TokenError, SyntaxError):
        return ""
    return ""


def _is_print(stmt: ast.stmt) -> bool:
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    return isinstance(call, ast.Call) and getattr(call.func, "id", "") == "print"


def _check_shape_comment(stmt: ast.stmt, comment: str, ns: dict[str, Any], where: str) -> None:
    """`x = ...  # (16, 3, 28, 28) in [-1, 1]`: x has that shape (and range)."""
    m = re.match(r"#\s*\(([\d,\s]+)\)(?:\s+in\s+\[(-?[\d.]+),\s*(-?[\d.]+)\])?", comment)
    if not m or not isinstance(stmt, ast.Assign) or not isinstance(stmt.targets[0], ast.Name):
        return
    value = ns[stmt.targets[0].id]
    shape = tuple(int(s) for s in m.group(1).replace(" ", "").split(",") if s)
    if tuple(value.shape) != shape:
        raise DocsFailure(f"{where}: shape {tuple(value.shape)}, the docs say {shape}")
    if m.group(2) is not None:
        lo, hi = float(m.group(2)), float(m.group(3))
        if value.min() < lo or value.max() > hi:
            raise DocsFailure(f"{where}: values outside [{lo}, {hi}]")


def _check_keys_comment(stmt: ast.stmt, comment: str, ns: dict[str, Any], where: str) -> None:
    """`result.metrics  # {"fid": ..., "kl": ...}`: a dict with those keys (and values, where
    the comment gives one); `...` stands for any value."""
    text = comment.lstrip("# ")
    if not text.startswith("{") or not isinstance(stmt, ast.Assign):
        return
    try:
        shown = ast.literal_eval(text[: text.rindex("}") + 1])
    except (ValueError, SyntaxError):
        return
    target = stmt.targets[0]
    if not isinstance(shown, dict) or not isinstance(target, ast.Name):
        return
    value = ns[target.id]
    if not isinstance(value, dict):
        raise DocsFailure(f"{where}: a {type(value).__name__}, the docs show a dict")
    for key, want in shown.items():
        if key not in value:
            raise DocsFailure(f"{where}: no key {key!r} (it has {sorted(value)})")
        if want is not Ellipsis and value[key] != want:
            raise DocsFailure(f"{where}: {key} is {value[key]!r}, the docs say {want!r}")


FREE_TEXT = {"summary", "description", "paper", "tags"}


def call_hooks(block: Block, ns: dict[str, Any]) -> None:
    """Call each `@hookimpl` the block defines with a recording `register`: the specs it shows
    are built (so validated); a spec whose name is installed (the example plugin's) must set
    its fields, free text aside, to what the installed one has."""
    from ganzoo.registry import get_registry

    for name, fn in list(ns.items()):
        code = getattr(fn, "__code__", None)
        if (
            not hasattr(fn, "ganzoo_impl")
            or code is None
            or not code.co_filename.startswith(block.id)
        ):
            continue
        specs: list[Any] = []
        try:
            fn(register=specs.append)
        except Exception as err:
            raise DocsFailure(f"{block.id}: the hook {name} fails when called: {err}") from err
        if not specs:
            raise DocsFailure(f"{block.id}: the hook {name} registers nothing")
        registry = get_registry()
        for spec in specs:
            try:
                installed = registry.get(spec.name).spec
            except Exception:
                continue  # a name of the reader's own
            for key in sorted(spec.model_fields_set - FREE_TEXT):
                if getattr(spec, key) != getattr(installed, key):
                    raise DocsFailure(
                        f"{block.id}: {spec.name}.{key} is {getattr(spec, key)!r} here and "
                        f"{getattr(installed, key)!r} in the installed plugin"
                    )


def compare_alarms(block: Block, shown: list[str], out: str, tolerance: int = 100) -> None:
    """A shortened run: each alarm the docs show up to the run's last step is raised again (the
    same kind, the step within 100). The shorter run's end-of-run checks may add alarms."""
    pattern = re.compile(r"alarm step (\d+): ([\w-]+):")
    docs = [(int(m.group(1)), m.group(2)) for ln in shown if (m := pattern.search(ln))]
    got = [(int(m.group(1)), m.group(2)) for ln in out.splitlines() if (m := pattern.search(ln))]
    end = re.search(r"finished: (\d+) steps", out)
    if not end:
        raise DocsFailure(f"{block.id}: the run did not finish:\n{out}")
    covered = [(s, k) for s, k in docs if s <= int(end.group(1))]
    if not covered:
        raise DocsFailure(f"{block.id}: the run ({end.group(1)} steps) covers none of {docs}")
    for step, kind in covered:
        if not any(k == kind and abs(s - step) <= tolerance for s, k in got):
            raise DocsFailure(f"{block.id}: no {kind} alarm near step {step}; the run raised {got}")


def _purge_hf_modules() -> dict[str, object]:
    names = [n for n in sys.modules if n == "huggingface_hub" or n.startswith("huggingface_hub.")]
    return {n: sys.modules.pop(n) for n in names}


__all__ = ["REPO", "DocsFailure", "Outcome", "Page", "Session"]
