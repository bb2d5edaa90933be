"""The notebooks in docs/notebooks/ run, in their fast mode, in a real IPython kernel, and show
what a student should see: the graph as SVG, the backprop trace and the step tables as HTML
tables, every figure as a PNG, the interactive lab as a widget with a picture to fall back on;
all with no Graphviz on the kernel's PATH.

The kernel is ipykernel on this very Python (docs_hooks/notebooks.py makes its spec), so
nothing needs registering: ``pip install ".[test]"`` is enough. Without nbclient, nbformat
or ipykernel the tests are skipped, except under CI, where a missing install must fail.
The hook's conversion of a notebook into a page is tested here too, on small inputs.
"""
import base64
import importlib.util
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import missing_modules, require_installed

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "docs" / "notebooks").glob("*.ipynb"))
NOTEBOOK_PACKAGES = ("nbclient", "nbformat", "ipykernel", "jupyter_client")
CODE_WIDTH = 88                                     # as tests/test_docs.py for the pages
PNG = b"\x89PNG\r\n\x1a\n"


def require_notebook_packages():
    require_installed(missing_modules(*NOTEBOOK_PACKAGES), "the notebook tests", 'pip install ".[notebook]"')


def load_hook():
    spec = importlib.util.spec_from_file_location("docs_hook_notebooks", ROOT / "docs_hooks" / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def path_without(program: str, path: str) -> str:
    """``path`` without the folders that hold ``program``."""
    return os.pathsep.join(folder for folder in path.split(os.pathsep)
                           if folder and shutil.which(program, path=folder) is None)


@pytest.fixture(scope="module")
def kernel_environment():
    require_notebook_packages()
    environment = load_hook().kernel_environment(fast=True)
    environment["PATH"] = path_without("dot", environment.get("PATH", ""))
    return environment


@pytest.fixture(scope="module")
def executed(kernel_environment):
    """Every notebook run once, in its fast mode: {name: the notebook with its outputs}."""
    hook = load_hook()
    return {path.stem: hook.execute(path, environment=kernel_environment) for path in NOTEBOOKS}


def code_cell(notebook, text: str):
    """The one code cell whose source contains ``text``."""
    found = [cell for cell in notebook.cells if cell.cell_type == "code" and text in cell.source]
    assert len(found) == 1, f"{len(found)} code cells contain {text!r}"
    return found[0]


def shown(cell, mime: str) -> list:
    """The ``mime`` data of every display and result of a cell."""
    return [output["data"][mime] for output in cell.outputs if mime in output.get("data", {})]


def png_images(cell) -> list[bytes]:
    return [base64.b64decode(data) for data in shown(cell, "image/png")]


# ---- the notebooks as stored --------------------------------------------------------------

def test_there_are_the_three_tutorials():
    assert {path.stem for path in NOTEBOOKS} >= {"backprop", "optimizers", "training"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_are_stored_without_outputs(path):
    # The site runs them at build time; stored outputs would go stale and bloat the history.
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    with_outputs = [n for n, cell in enumerate(cells) if cell.get("outputs") or cell.get("execution_count")]
    assert not with_outputs, f"{path.name}: cells with stored outputs: {with_outputs}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_code_fits_a_laptop_screen(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    long_lines = [line for cell in cells if cell["cell_type"] == "code"
                  for line in "".join(cell["source"]).splitlines() if len(line) > CODE_WIDTH]
    assert not long_lines, f"{path.name}: code lines over {CODE_WIDTH} characters: {long_lines}"


# ---- run in a kernel, without Graphviz ------------------------------------------------------

def test_the_kernel_has_no_graphviz_and_runs_the_fast_mode(kernel_environment):
    assert shutil.which("dot", path=kernel_environment["PATH"]) is None
    assert kernel_environment["MINIGRAD_NOTEBOOK_FAST"] == "1"
    assert "MPLBACKEND" not in kernel_environment      # the kernel's inline backend draws


def test_every_notebook_ran_without_a_warning(executed):
    for name, notebook in executed.items():
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                assert output["output_type"] != "error", name
                if output["output_type"] == "stream" and output["name"] == "stderr":
                    assert "Warning" not in output["text"], f"{name}: {output['text']}"


def test_backprop_shows_the_graph_as_svg_and_the_trace_as_html_tables(executed):
    notebook = executed["backprop"]
    for source in ("lab.draw_graph(Lt, names=names, trace=trace)", "lab.draw_graph(loss, model=model)"):
        svg = shown(code_cell(notebook, source), "image/svg+xml")
        assert len(svg) == 1 and svg[0].lstrip().startswith("<svg"), source
    graph = shown(code_cell(notebook, "lab.draw_graph(Lt"), "image/svg+xml")[0]
    assert "tanh" in graph and "-1.861" in graph                 # dL/dz in the tanh's box
    layered = shown(code_cell(notebook, "lab.draw_graph(loss, model=model)"), "image/svg+xml")[0]
    assert "0.weight" in layered and "2.weight" in layered        # parameters by module path
    trace = shown(code_cell(notebook, "trace = lab.backprop_trace(Lt"), "text/html")
    assert len(trace) == 1 and trace[0].count("<table") == 2      # forward, then backward
    assert "-3.328" in trace[0] and "0.5591" in trace[0]


def test_backprop_checks_its_numbers_against_the_hand_computation(executed):
    printed = "".join(o["text"] for o in code_cell(executed["backprop"], "checks = {").outputs)
    assert printed.count("by hand") == 4
    assert "dL/dw: minigrad -2.790865067144   by hand -2.790865067144" in printed
    mlp = "".join(o["text"] for o in code_cell(executed["backprop"], "grads_by_hand = {").outputs)
    assert mlp.count("largest difference") == 4


def test_optimizers_shows_step_tables_as_html_and_figures_as_png(executed):
    notebook = executed["optimizers"]
    tables = {"sgd": "28.672", "momentum": "-52.2378", "adagrad": "(5.5, 8.5)", "rmsprop": "32.4",
              "adam": "m_hat", "simpler": "exp_avg_sq", "table": "5.5"}
    for variable, number in tables.items():
        source = "lab.step_table(simpler)" if variable == "simpler" else (
            "table = lab.averaging_table()" if variable == "table" else f"lab.step_table({variable})")
        html = shown(code_cell(notebook, source), "text/html")
        assert len(html) == 1 and "<table" in html[0] and number in html[0], variable
    for source in ("lab.plot_averages()", "lab.plot_trajectories(bowl_runs)", "arrows=(",
                   "lab.run(\"saddle\"", "lab.plot_trajectories(valley)", "accumulators=True"):
        images = png_images(code_cell(notebook, source))
        assert len(images) == 1 and images[0].startswith(PNG), source


def test_the_interactive_lab_is_a_widget_with_a_picture_to_fall_back_on(executed):
    cell = code_cell(executed["optimizers"], "lab.interactive_lab(")
    assert shown(cell, "application/vnd.jupyter.widget-view+json")
    assert png_images(cell)[0].startswith(PNG)
    assert shown(cell, "text/plain")[0].startswith("SGD (lr=0.4) on elongated: 60 steps")


def test_training_shows_curves_gradient_norms_and_the_boundary_as_png(executed):
    notebook = executed["training"]
    history = shown(code_cell(notebook, "history = fit(model,"), "text/plain")
    assert any(text.startswith("History(3 epochs") for text in history)  # the fast mode (after the progress widget)
    for source in ("mg.viz.plot_history(history", "axes.set_yscale(\"log\")",
                   "mg.viz.plot_decision_boundary("):
        images = png_images(code_cell(notebook, source))
        assert len(images) == 1 and images[0].startswith(PNG), source
    printed = "".join(o.get("text", "") for o in code_cell(notebook, "test = evaluate(model,").outputs)
    accuracy = float(re.search(r"test accuracy after 3 epochs: ([0-9.]+)", printed).group(1))
    assert accuracy > 0.8                       # three epochs already learn most digits


def test_fit_shows_its_progress_in_the_notebook(executed):
    cell = code_cell(executed["training"], "history = fit(model,")
    progress = [o for o in cell.outputs
                if o["output_type"] == "stream" and "epoch" in o["text"].lower()
                or "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert progress


# ---- the hook: a notebook as a page ---------------------------------------------------------

def small_notebook(outputs, metadata=None):
    nbformat = pytest.importorskip("nbformat")
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    cell = new_code_cell("show()")
    cell.outputs = [nbformat.from_dict(output) for output in outputs]
    return new_notebook(cells=[new_markdown_cell("# Title\n\nSome $x^2$ prose."), cell],
                        metadata=metadata or {})


def test_a_page_has_the_markdown_the_code_and_a_place_for_each_outputs():
    hook = load_hook()
    notebook = small_notebook([{"output_type": "stream", "name": "stdout", "text": "a < b\n"}])
    markdown, outputs = hook.render(notebook, download="small.ipynb")
    assert markdown.startswith("# Title\n\n[Download this notebook](small.ipynb)")
    assert "Some $x^2$ prose." in markdown
    assert "```python\nshow()\n```\n\n<!-- notebook-outputs 0 -->" in markdown
    assert outputs == ['<pre class="notebook-output notebook-stdout">a &lt; b\n</pre>']
    page = hook.fill_outputs("<p>x</p>\n<!-- notebook-outputs 0 -->", outputs)
    assert page == "<p>x</p>\n" + outputs[0]
    with pytest.raises(ValueError, match="code cell 1's outputs"):
        hook.fill_outputs("<p>the placeholder is gone</p>", outputs)


def test_outputs_become_images_with_data_uris_and_html_as_it_is():
    hook = load_hook()
    svg, png = "<svg xmlns='http://www.w3.org/2000/svg'/>", base64.b64encode(PNG).decode()
    notebook = small_notebook([
        {"output_type": "display_data", "metadata": {}, "data": {"image/svg+xml": svg, "text/plain": "g"}},
        {"output_type": "execute_result", "execution_count": 1, "metadata": {},
         "data": {"text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "t"}},
        {"output_type": "display_data", "metadata": {}, "data": {"image/png": png + "\n", "text/plain": "f"}},
    ])
    shown_html = hook.render(notebook)[1][0]
    encoded = base64.b64encode(svg.encode()).decode()
    assert f'src="data:image/svg+xml;base64,{encoded}"' in shown_html
    assert "<table><tr><td>1</td></tr></table>" in shown_html
    assert f'src="data:image/png;base64,{png}"' in shown_html


def test_a_widget_shows_its_picture_or_its_saved_state_never_a_script():
    hook = load_hook()
    view = {"application/vnd.jupyter.widget-view+json": {"model_id": "box", "version_major": 2,
                                                          "version_minor": 0}}
    # An interactive lab's display carries a PNG beside the widget: the page shows the PNG.
    png = base64.b64encode(PNG).decode()
    lab = hook.output_html({"output_type": "display_data",
                            "data": {**view, "image/png": png, "text/plain": "runs"}})
    assert "data:image/png;base64" in lab and "<script" not in lab
    # A progress bar (tqdm's: text, bar, text in a box) is drawn from the saved state.
    state = {"box": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_a", "IPY_MODEL_b",
                                                                          "IPY_MODEL_c"]}},
             "a": {"model_name": "HTMLModel", "state": {"value": "epochs: 100%"}},
             "b": {"model_name": "FloatProgressModel", "state": {"min": 0, "max": 30, "value": 30}},
             "c": {"model_name": "HTMLModel", "state": {"value": " 30/30 [00:05&lt;00:00]"}}}
    bar = hook.output_html({"output_type": "display_data", "data": {**view, "text/plain": "HBox(...)"}}, state)
    assert "epochs: 100%" in bar and '<progress max="30" value="30">' in bar
    assert "30/30" in bar and "HBox(" not in bar
    # Without a saved state, the widget's text.
    plain = hook.output_html({"output_type": "display_data", "data": {**view, "text/plain": "IntSlider(5)"}})
    assert "<pre>IntSlider(5)</pre>" in plain


def test_text_redrawn_in_place_shows_its_last_state():
    hook = load_hook()
    assert hook.terminal_text("epoch 1 10%\repoch 1 100%\nepoch 2 50%\repoch 2 100%\n") == \
        "epoch 1 100%\nepoch 2 100%\n"
