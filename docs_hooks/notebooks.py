"""MkDocs hook: the notebooks in docs/notebooks/ become pages of the site, with their outputs.

At every build each ``docs/notebooks/NAME.ipynb`` is executed from top to bottom (nbclient,
with an IPython kernel on the Python running the build), and a page ``notebooks/NAME/`` is
made of it: the Markdown cells as they are, the code cells as Python blocks, and after each
its outputs as the notebook showed them. The notebooks are stored without outputs, so what
the site shows is what the code does today; a cell that raises stops the build, naming the
notebook and the cell. The ``.ipynb`` is published too, linked from the top of its page.

Outputs become HTML that needs nothing from another host: SVG and PNG as images with ``data:``
URIs, HTML (tables, players) as it is, text in ``<pre>``. A widget has no front end on a
static page, so the page shows its static fallback instead: the last picture an interactive
lab drew (it adds a PNG to its display), a progress bar drawn from the widget state the
notebook saved, or else the widget's text.

``MINIGRAD_NOTEBOOK_FAST=1`` in the environment makes the notebooks run their short version
(fewer epochs and steps): the tests use it; a published site is built without it.

The functions below (``execute``, ``render``) are also used by tests/test_notebooks.py.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import html
import os
import re
import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
FOLDER = "notebooks"                       # under docs/: the notebooks and their pages
FAST_VARIABLE = "MINIGRAD_NOTEBOOK_FAST"
CELL_TIMEOUT_SECONDS = 600                 # a guard against a hung cell, not a speed check
# What a page shows of a display, richest first; widget views need a browser's widget manager.
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
PREFERRED = ("image/svg+xml", "image/png", "image/jpeg", "text/html", "text/plain")
PLACEHOLDER = "<!-- notebook-outputs {} -->"


# ---- running a notebook -----------------------------------------------------------------

def kernel_environment(fast: bool, base: dict[str, str] | None = None) -> dict[str, str]:
    """The kernel's environment: this checkout importable first, the fast switch set or
    cleared, and matplotlib left to the kernel's own inline backend (a headless Agg set for
    the build or the tests would keep pyplot figures out of the notebook)."""
    environment = dict(os.environ if base is None else base)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(REPOSITORY)] + [p for p in [environment.get("PYTHONPATH")] if p])
    environment.pop("MPLBACKEND", None)
    environment.pop(FAST_VARIABLE, None)
    if fast:
        environment[FAST_VARIABLE] = "1"
    return environment


def this_python_kernel_manager_class():
    """A kernel manager class whose kernel is ipykernel on this very Python
    (``sys.executable``), whatever kernels are installed for Jupyter: nothing to register on a
    fresh machine. nbclient makes one per run and shuts its kernel down at the end."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class ThisPythonSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              display_name=f"Python ({sys.executable})", language="python",
                              metadata={"debugger": False})

    class ThisPythonKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _this_python_specs(self):
            return ThisPythonSpecs(parent=self)

    return ThisPythonKernelManager


def execute(path: str | os.PathLike, fast: bool = False, environment: dict[str, str] | None = None):
    """Run the notebook at ``path`` in a fresh kernel, in a temporary working folder (so it
    writes nothing here), and return it with its outputs (an ``nbformat.NotebookNode``).
    A cell that raises raises ``nbclient.exceptions.CellExecutionError``."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(os.fspath(path), as_version=4)
    client = NotebookClient(notebook, kernel_name="python3", timeout=CELL_TIMEOUT_SECONDS,
                            kernel_manager_class=this_python_kernel_manager_class(),
                            allow_errors=False, record_timing=False)
    with tempfile.TemporaryDirectory(prefix="minigrad-notebook-") as folder:
        client.execute(cwd=folder, env=environment if environment is not None else kernel_environment(fast))
    return notebook


# ---- a notebook as a page ---------------------------------------------------------------

def render(notebook, download: str | None = None) -> tuple[str, list[str]]:
    """(the page's Markdown, the HTML of each code cell's outputs). In the Markdown, each
    code cell's block is followed by ``PLACEHOLDER.format(n)``, n counting code cells, where
    ``fill_outputs`` puts the n-th HTML after the Markdown has become HTML (so that no
    Markdown rule touches an output)."""
    widget_states = notebook.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    parts, outputs = [], []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        elif cell.cell_type == "code" and cell.source.strip():
            parts.append(fenced(cell.source))
            parts.append(PLACEHOLDER.format(len(outputs)))
            outputs.append("".join(output_html(o, widget_states) for o in cell.get("outputs", [])))
    if download:
        link = f"[Download this notebook]({download}) to run it in Jupyter."
        first = parts[0] if parts else ""
        if first.startswith("# "):                 # after the title
            title, _, rest = first.partition("\n")
            parts[0] = f"{title}\n\n{link}\n\n{rest.strip()}".rstrip()
        else:
            parts.insert(0, link)
    return "\n\n".join(parts) + "\n", outputs


def fenced(code: str, language: str = "python") -> str:
    longest_run = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest_run + 1)
    return f"{fence}{language}\n{code.rstrip()}\n{fence}"


def fill_outputs(page_html: str, outputs: list[str]) -> str:
    """Put each code cell's outputs in its placeholder; every placeholder must be found."""
    for number, shown in enumerate(outputs):
        placeholder = PLACEHOLDER.format(number)
        if placeholder not in page_html:
            raise ValueError(f"the page lost the place of code cell {number + 1}'s outputs")
        page_html = page_html.replace(placeholder, shown, 1)
    return page_html


def output_html(output, widget_states: dict | None = None) -> str:
    """One output as HTML that needs no other host and no script of ours."""
    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name", "stdout")
        return f'<pre class="notebook-output notebook-{name}">{html.escape(terminal_text(output["text"]))}</pre>'
    if kind == "error":
        trace = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(output.get("traceback", [])))
        return f'<pre class="notebook-output notebook-error">{html.escape(trace)}</pre>'
    data = output.get("data", {})
    if WIDGET_VIEW in data and not any(kind in data for kind in PREFERRED[:-1]):
        drawn = widget_html(data[WIDGET_VIEW].get("model_id"), widget_states or {})
        if drawn:
            return f'<div class="notebook-output notebook-widget">{drawn}</div>'
    for mime in PREFERRED:
        if mime in data:
            return f'<div class="notebook-output">{mime_html(mime, data[mime])}</div>'
    return ""


def mime_html(mime: str, value) -> str:
    text = "".join(value) if isinstance(value, list) else value
    if mime == "image/svg+xml":
        encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
        return f'<img class="notebook-svg" alt="SVG output" src="data:image/svg+xml;base64,{encoded}">'
    if mime in ("image/png", "image/jpeg"):
        encoded = text.replace("\n", "")          # stored base64, possibly wrapped
        return f'<img alt="figure" src="data:{mime};base64,{encoded}">'
    if mime == "text/html":
        return text
    return f"<pre>{html.escape(text)}</pre>"


def terminal_text(text: str) -> str:
    """What a terminal would show of ``text``: each line as its last carriage return left it
    (a progress bar redrawn in place shows its final state)."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def widget_html(model_id: str | None, states: dict, depth: int = 0) -> str:
    """A widget drawn from its saved state without a script: boxes of their children, HTML
    and labels as their text, progress bars as ``<progress>``; "" for anything else."""
    model = states.get(model_id or "")
    if model is None or depth > 20:
        return ""
    name, state = model.get("model_name", ""), model.get("state", {})
    if name in ("HBoxModel", "VBoxModel", "BoxModel"):
        children = [widget_html(child.removeprefix("IPY_MODEL_"), states, depth + 1)
                    for child in state.get("children", [])]
        direction = "row" if name == "HBoxModel" else "column"
        return (f'<div style="display:flex;flex-direction:{direction};align-items:center;gap:0.5em">'
                + "".join(children) + "</div>")
    if name == "HTMLModel":
        return f"<span>{state.get('value', '')}</span>"
    if name == "LabelModel":
        return f"<span>{html.escape(str(state.get('value', '')))}</span>"
    if name in ("FloatProgressModel", "IntProgressModel"):
        low, high, value = (float(state.get(k, 0)) for k in ("min", "max", "value"))
        return f'<progress max="{high - low:g}" value="{value - low:g}"></progress>'
    return ""


# ---- the MkDocs hook ----------------------------------------------------------------------

# Pages made in on_files, filled in on_page_content: {page source path: outputs' HTML}.
_RENDERED: dict[str, list[str]] = {}
# Executed notebooks by what they depend on, so that `mkdocs serve` reruns only what changed.
_CACHE: dict[str, tuple[str, list[str]]] = {}


def _source_fingerprint(notebook_path: Path, fast: bool) -> str:
    digest = hashlib.sha256(notebook_path.read_bytes())
    digest.update(b"fast" if fast else b"full")
    for source in sorted((REPOSITORY / "minigrad").rglob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def page_of_notebook(notebook_path: Path, fast: bool) -> tuple[str, list[str]]:
    """The notebook executed and rendered (cached on its text, minigrad's source and the mode)."""
    key = _source_fingerprint(notebook_path, fast)
    if key not in _CACHE:
        executed = execute(notebook_path, fast=fast)
        _CACHE[key] = render(executed, download=notebook_path.name)
    return _CACHE[key]


def on_files(files, config):
    from mkdocs.exceptions import PluginError
    from mkdocs.structure.files import File

    fast = os.environ.get(FAST_VARIABLE) == "1"
    notebooks = sorted((f for f in files if f.src_uri.startswith(f"{FOLDER}/") and f.src_uri.endswith(".ipynb")),
                       key=lambda f: f.src_uri)
    for notebook in notebooks:
        page_uri = notebook.src_uri.removesuffix(".ipynb") + ".md"
        try:
            markdown, outputs = page_of_notebook(Path(notebook.abs_src_path), fast)
        except Exception as error:  # a failing cell, a missing kernel: the build stops, saying where
            raise PluginError(f"{notebook.src_uri}: {type(error).__name__}: {error}") from None
        _RENDERED[page_uri] = copy.copy(outputs)
        files.append(File.generated(config, page_uri, content=markdown))
    return files


def on_page_content(html_content, page, config, files):
    outputs = _RENDERED.get(page.file.src_uri)
    if outputs is None:
        return html_content
    from mkdocs.exceptions import PluginError

    try:
        return fill_outputs(html_content, outputs)
    except ValueError as error:
        raise PluginError(f"{page.file.src_uri}: {error}") from None

