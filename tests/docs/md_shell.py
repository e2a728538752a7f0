"""The shell text of a block: `$ ` lines and their shown output, `sub`s, omitted commands, and
the commands a block may run."""

from __future__ import annotations

import re
import shlex

from md_blocks import Block, DocsFailure

# commands a shell block may run as shown; anything else must be omitted with a reason
ALLOWED = {"ganzoo", "python", "torchrun", "export", "cd", "ls", "cat", "ln", "mkdir", "echo",
           "printf", "test"}  # fmt: skip


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
