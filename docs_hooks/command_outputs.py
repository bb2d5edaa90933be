"""MkDocs hook: a marked code block is followed by its output, made when the site is built.

Mark a block by putting ``<!-- show-output -->`` on the line just before its opening fence:

    <!-- show-output -->
    ```bash
    minigrad lab table --function square --x0 70 --optimizer sgd \\
        --lr 0.1 --steps 4
    ```

The built page then shows, right after the block, a ``text`` block titled "output" with
what the block printed. Because it is printed anew at every build, it cannot drift from what
the code does today; a command that fails stops the build.

- A ``bash`` block holds ``minigrad ...`` or ``python ...`` commands, one per line (a line
  ending in ``\\`` continues on the next). Each runs as its own process with this checkout's
  ``minigrad`` (``python -m minigrad``), from the repository's root. When the block has several
  commands, each one's output is headed by ``$ command``.
- A ``python`` block shows its standard output. The page's Python blocks run in order in one
  namespace, as ``tests/test_docs.py`` runs them (skipping ``<!-- skip-run -->`` ones), up to
  the last marked block, in a separate process and in a temporary directory, so nothing they
  write lands in the checkout.

Mark only blocks that are fast (under about 2 seconds) and deterministic (seeded): they run
at every build. The processes get fixed settings for what would otherwise leak in from the
machine: ``COLUMNS`` (argparse wraps help to it), ``PYTHONHASHSEED`` and matplotlib's
non-interactive backend.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from mkdocs.exceptions import PluginError

MARKER = "<!-- show-output -->"
MARK, SKIP = MARKER + "\n", "<!-- skip-run -->\n"     # as FENCED_BLOCK captures them
# A fenced block, optionally marked; the marker must be the line right before the fence.
FENCED_BLOCK = re.compile(
    r"^(?P<marker><!-- (?:show-output|skip-run) -->\n)?"
    r"```(?P<language>[\w-]*)[^\n]*\n(?P<code>.*?)^```[ \t]*$",
    re.M | re.S,
)
RUNNABLE = ("bash", "python")
OUTPUT_WIDTH = 88                 # argparse wraps help to COLUMNS; the docs' code width
TIMEOUT_SECONDS = 120             # a guard against a hung build, not a speed check
REPOSITORY = Path(__file__).resolve().parents[1]

# Runs in the child: exec each block in one namespace, capture each block's stdout.
PAGE_RUNNER = """
import contextlib, io, json, sys
blocks = json.load(sys.stdin)
namespace = {"__name__": "docs_page"}
outputs = []
for number, code in blocks:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(code, f"python block {number}", "exec"), namespace)
    outputs.append(buffer.getvalue())
json.dump(outputs, sys.stdout)
"""


def child_environment() -> dict[str, str]:
    """The environment of every command: this checkout first on the path, fixed settings."""
    environment = dict(os.environ)
    python_path = [str(REPOSITORY)] + [p for p in [environment.get("PYTHONPATH")] if p]
    environment.update(
        PYTHONPATH=os.pathsep.join(python_path),
        COLUMNS=str(OUTPUT_WIDTH),
        PYTHONHASHSEED="0",
        MPLBACKEND="Agg",
        PYTHONIOENCODING="utf-8",
        NO_COLOR="1",                 # argparse colours its help on a terminal from 3.14
    )
    return environment


def bash_commands(code: str) -> list[str]:
    """The block's commands: continuation lines joined, blank lines and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", code)
    return [line.strip() for line in joined.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def argv_of(command: str) -> list[str]:
    """The command's argv, run with this Python; only minigrad and python commands run."""
    words = shlex.split(command)
    if words[0] == "minigrad":
        return [sys.executable, "-m", "minigrad", *words[1:]]
    if words[0] in ("python", "python3"):
        return [sys.executable, *words[1:]]
    raise ValueError(f"a {MARKER} bash block runs only minigrad and python commands, "
                     f"not {command!r}")


def run_command(command: str) -> str:
    """One command's standard output; ValueError with its stderr if it fails."""
    try:
        finished = subprocess.run(argv_of(command), cwd=REPOSITORY, env=child_environment(),
                                  capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise ValueError(f"{command!r} ran longer than {TIMEOUT_SECONDS} s") from None
    if finished.returncode != 0:
        raise ValueError(f"{command!r} exited with {finished.returncode}:\n{finished.stderr}")
    return finished.stdout


def bash_output(code: str) -> str:
    commands = bash_commands(code)
    if len(commands) == 1:
        return run_command(commands[0])
    return "".join(f"$ {command}\n{run_command(command)}" for command in commands)


def python_outputs(blocks: list[tuple[int, str]]) -> list[str]:
    """Run (number, code) blocks in order in one fresh process; each block's stdout."""
    with tempfile.TemporaryDirectory(prefix="minigrad-docs-") as scratch:
        try:
            finished = subprocess.run(
                [sys.executable, "-c", PAGE_RUNNER], input=json.dumps(blocks), cwd=scratch,
                env=child_environment(), capture_output=True, text=True,
                timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            raise ValueError(f"the page's Python blocks ran longer than {TIMEOUT_SECONDS} s"
                             ) from None
    if finished.returncode != 0:
        raise ValueError(f"the page's Python blocks failed:\n{finished.stderr}")
    return json.loads(finished.stdout)


def output_block(output: str) -> str:
    """A text block titled "output", fenced longer than any backtick run inside it."""
    longest_run = max((len(run) for run in re.findall(r"`+", output)), default=0)
    fence = "`" * max(3, longest_run + 1)
    return f'{fence}text title="output"\n{output.rstrip()}\n{fence}'


def marked_python_outputs(blocks: list[re.Match]) -> dict[int, str]:
    """What each marked Python block prints, by the block's position in the page.

    The page's runnable Python blocks run in order up to the last marked one, since a
    marked block may use what the blocks before it defined.
    """
    runnable = [b for b in blocks if b["language"] == "python" and b["marker"] != SKIP]
    marked = [index for index, b in enumerate(runnable) if b["marker"] == MARK]
    if not marked:
        return {}
    to_run = runnable[:marked[-1] + 1]
    outputs = python_outputs([(index + 1, b["code"]) for index, b in enumerate(to_run)])
    return {to_run[index].start(): outputs[index] for index in marked}


def insert_outputs(markdown: str) -> str:
    """The page with an output block after every marked block; ValueError if one fails."""
    blocks = list(FENCED_BLOCK.finditer(markdown))
    marked = [b for b in blocks if b["marker"] == MARK]
    for block in marked:
        if block["language"] not in RUNNABLE:
            raise ValueError(f"{MARKER} marks a {block['language'] or 'plain'!r} block; "
                             f"only {' and '.join(RUNNABLE)} blocks run")
    printed = marked_python_outputs(blocks)
    pieces, position = [], 0
    for block in marked:
        if block["language"] == "python":
            output = printed[block.start()]
        else:
            output = bash_output(block["code"])
        if not output.strip():
            raise ValueError(f"a {MARKER} block prints nothing:\n{block['code']}")
        pieces += [markdown[position:block.end()], "\n\n", output_block(output)]
        position = block.end()
    return "".join(pieces) + markdown[position:]


def on_page_markdown(markdown, page, config, files):
    if MARKER not in markdown:
        return markdown
    try:
        return insert_outputs(markdown)
    except ValueError as error:
        raise PluginError(f"{page.file.src_uri}: {error}") from None
