"""The documentation site as a reader gets it: built offline, equations drawn, outputs shown.

One strict build (``mkdocs build --strict``) into a temporary directory is checked for what a
reader without network would miss: any script, stylesheet, font or other resource from
another host, an equation left as TeX, a marked block without its output, a notebook page
without its pictures. The hooks behind it (docs_hooks/) are also tested on small inputs,
without a build (the notebooks' hook in tests/test_notebooks.py).

The build runs the notebooks in their fast mode (``MINIGRAD_NOTEBOOK_FAST=1``: fewer epochs
and steps, the same cells and kinds of output); CI's own ``mkdocs build --strict`` runs them
fully.

Needs the ``docs`` extra (part of ``test``); skipped without it, except under CI, where a
missing docs install must fail rather than pass unseen.
"""
import base64
import html
import importlib.util
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import missing_modules, require_installed

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NOTEBOOKS = sorted((DOCS / "notebooks").glob("*.ipynb"))
DOCS_PACKAGES = ("mkdocs", "material", "mkdocstrings", "pymdownx", "math_core")
# A URL that names a host: scheme://host... or protocol-relative //host...
OTHER_HOST = re.compile(r"^\s*([a-z][a-z0-9+.-]*:)?//", re.I)
# TeX delimiters as arithmatex reads them in the Markdown sources.
INLINE_TEX = re.compile(r"\\\(.+?\\\)", re.S)
DISPLAY_TEX = re.compile(r"^\$\$.+?\$\$", re.S | re.M)
MARKER = "<!-- show-output -->"
MARKED_FENCE = re.compile(r"^<!-- show-output -->\n```", re.M)
OUTPUT_BLOCK = re.compile(
    r'<span class="filename">output</span><pre><span></span><code>(.*?)</code></pre>', re.S)


def require_docs_packages():
    require_installed(missing_modules(*DOCS_PACKAGES), "the docs site tests", 'pip install ".[docs]"')


def load_hook(name):
    require_docs_packages()
    spec = importlib.util.spec_from_file_location(f"docs_hook_{name}",
                                                  ROOT / "docs_hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built strictly from this checkout: {page path: its HTML}, and the folder."""
    require_docs_packages()
    site_dir = tmp_path_factory.mktemp("site")
    environment = dict(os.environ, NO_MKDOCS_2_WARNING="1", MINIGRAD_NOTEBOOK_FAST="1",
                       PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                                os.environ.get("PYTHONPATH")])))
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT, env=environment, capture_output=True, text=True)
    assert built.returncode == 0, f"mkdocs build --strict failed:\n{built.stderr}"
    pages = {path.relative_to(site_dir).as_posix(): path.read_text(encoding="utf-8")
             for path in site_dir.rglob("*.html")}
    return pages, site_dir


def page_of(site, markdown_name):
    pages, _ = site
    return pages[f"{Path(markdown_name).stem}/index.html"
                 if markdown_name != "index.md" else "index.html"]


class ResourceFinder(HTMLParser):
    """Every URL a page makes the browser load by itself, with the tag that loads it."""

    def __init__(self):
        super().__init__()
        self.loaded, self.styles, self._in_style = [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "srcset", "data"):        # script, img, iframe, source, object
            if attrs.get(name):
                self.loaded.append((tag, attrs[name]))
        if tag == "link" and attrs.get("href"):       # stylesheet, preconnect, preload, icon
            self.loaded.append((f"link rel={attrs.get('rel')}", attrs["href"]))
        if attrs.get("style"):
            self.styles.append(attrs["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def css_urls(css):
    """The URLs a stylesheet loads: @import targets and url(...) values (fonts, images)."""
    imports = re.findall(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)""", css)
    urls = re.findall(r"""url\(\s*["']?([^"')]+?)["']?\s*\)""", css)
    return list(dict.fromkeys(imports + urls))       # @import url(...) is found twice


def test_css_urls_finds_imports_and_fonts():
    css = ('@import url("https://fonts.googleapis.com/css?family=Roboto");'
           "@font-face{src:url(//cdn.example.org/f.woff2)}"
           """a{background:url("data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg'/>")}""")
    found = [url for url in css_urls(css) if OTHER_HOST.match(url)]
    assert found == ["https://fonts.googleapis.com/css?family=Roboto", "//cdn.example.org/f.woff2"]


def test_nothing_is_loaded_from_another_host(site):
    pages, site_dir = site
    remote = []
    for name, text in pages.items():
        finder = ResourceFinder()
        finder.feed(text)
        remote += [(name, tag, url) for tag, url in finder.loaded if OTHER_HOST.match(url)]
        remote += [(name, "style", url) for style in finder.styles for url in css_urls(style)
                   if OTHER_HOST.match(url)]
    for stylesheet in site_dir.rglob("*.css"):
        remote += [(stylesheet.name, "css", url)
                   for url in css_urls(stylesheet.read_text(encoding="utf-8"))
                   if OTHER_HOST.match(url)]
    assert not remote, f"loaded from another host: {remote}"
    assert len(pages) >= len(list(DOCS.glob("*.md"))) + len(NOTEBOOKS)  # it saw every page


def test_every_equation_is_mathml_and_no_tex_is_left(site):
    for source in sorted(DOCS.glob("*.md")):
        markdown = source.read_text(encoding="utf-8")
        # Equations in prose only: code may contain backslashes and dollars of its own.
        prose = re.sub(r"`[^`]+`", "", re.sub(r"```.*?```", "", markdown, flags=re.S))
        expected = len(INLINE_TEX.findall(prose)) + len(DISPLAY_TEX.findall(prose))
        text = page_of(site, source.name)
        if ":::" not in markdown:        # API pages add the docstrings' text to the source's
            assert text.count("<math") == expected, source.name
        outside_code = re.sub(r"<(pre|code)\b.*?</\1>", "", text, flags=re.S)
        for delimiter in ("\\(", "\\)", "\\[", "\\]", "$$"):
            assert delimiter not in html.unescape(re.sub(r"<[^>]+>", "", outside_code)), \
                f"{source.name}: raw TeX delimiter {delimiter!r} in the page text"


def test_a_known_equation_is_drawn_as_a_fraction_with_a_root(site):
    # RMSProp's update, the slides' form: theta_t = theta_{t-1} - eta / sqrt(s_t + eps) g_t
    assert r"\frac{\eta}{\sqrt{s_t + \epsilon}}" in (DOCS / "optimizers.md").read_text()
    text = page_of(site, "optimizers.md")
    blocks = re.findall(r'<math display="block">.*?</math>', text, re.S)
    rmsprop = [b for b in blocks if "ρ" in b and re.search(
        r"<mfrac><mi>η</mi><msqrt>.*?<mi>ϵ</mi>.*?</msqrt></mfrac>", b)]
    assert rmsprop, "RMSProp's update is not a MathML fraction with a root below"


def test_marked_blocks_are_followed_by_their_output(site):
    for source in sorted(DOCS.glob("*.md")):
        markers = len(MARKED_FENCE.findall(source.read_text(encoding="utf-8")))
        outputs = OUTPUT_BLOCK.findall(page_of(site, source.name))
        assert len(outputs) == markers, source.name
        assert all(output.strip() for output in outputs), source.name


def test_the_lab_page_shows_the_tables_its_commands_print(site):
    text = page_of(site, "lab.md")
    shown = [html.unescape(re.sub(r"<[^>]+>", "", block)).rstrip()
             for block in OUTPUT_BLOCK.findall(text)]
    command = ["lab", "table", "--function", "square", "--x0", "70", "--optimizer", "sgd",
               "--lr", "0.1", "--steps", "4"]
    printed = subprocess.run([sys.executable, "-m", "minigrad", *command], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.rstrip()
    assert printed in shown                         # the command's output, as it is today
    assert "28.672" in printed and "57.344" in printed      # the slides' last row
    assert any("momentum_buffer" in block and "-52.2378" in block for block in shown)


def notebook_page(site, name):
    pages, _ = site
    return pages[f"notebooks/{name}/index.html"]


def test_each_notebook_is_a_page_with_its_outputs_and_a_download(site):
    pages, site_dir = site
    assert NOTEBOOKS
    for notebook in NOTEBOOKS:
        text = notebook_page(site, notebook.stem)
        assert "notebook-outputs" not in text, f"{notebook.name}: an output placeholder is left"
        assert f'href="../{notebook.name}"' in text
        assert (site_dir / "notebooks" / notebook.name).read_bytes() == notebook.read_bytes()
        code_cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
        assert text.count('<div class="highlight">') >= len(code_cells), notebook.name


def test_notebook_pages_show_svg_html_tables_and_png(site):
    backprop = notebook_page(site, "backprop")
    graphs = re.findall(r'<img class="notebook-svg" alt="SVG output" src="data:image/svg\+xml;base64,([^"]+)"',
                        backprop)
    assert len(graphs) == 2
    assert base64.b64decode(graphs[0]).decode().lstrip().startswith("<svg")
    assert backprop.count("<table") >= 4                          # two traces, two tables each
    optimizers = notebook_page(site, "optimizers")
    pngs = re.findall(r'src="data:image/png;base64,([^"]+)"', optimizers)
    assert len(pngs) >= 7                                  # six figures and the lab's picture
    assert all(base64.b64decode(png[:12]).startswith(b"\x89PNG\r\n\x1a\n") for png in pngs)
    assert "minigrad-table" in optimizers and "28.672" in optimizers     # the slides' table
    training = notebook_page(site, "training")
    assert len(re.findall(r'src="data:image/png;base64,', training)) == 3
    assert "test accuracy after" in training


def test_notebook_pages_draw_their_equations_and_leave_no_tex(site):
    for notebook in NOTEBOOKS:
        text = notebook_page(site, notebook.stem)
        prose = "".join("".join(c["source"]) for c in json.loads(notebook.read_text())["cells"]
                        if c["cell_type"] == "markdown")
        if "$" in prose:
            assert "<math" in text, notebook.name
        outside_code = re.sub(r"<(pre|code|table)\b.*?</\1>", "", re.sub(r"<img\b[^>]*>", "", text),
                              flags=re.S)
        words = html.unescape(re.sub(r"<[^>]+>", "", outside_code))
        for delimiter in ("\\(", "\\[", "$$"):
            assert delimiter not in words, f"{notebook.name}: raw TeX {delimiter!r}"
        assert not re.search(r"\$[^$\n]+\$", words), f"{notebook.name}: raw $...$ TeX"


# --- the hooks on small inputs ---------------------------------------------------------


def test_equation_hook_turns_arithmatex_output_into_mathml():
    equations = load_hook("equations")
    page = ('<p>a <span class="arithmatex">\\(x_t &lt; \\eta\\)</span></p>'
            '<div class="arithmatex">\\[\\frac{1}{n}\\]</div>')
    rendered = equations.render_math(page)
    assert rendered.count("<math") == 2 and "\\(" not in rendered and "\\[" not in rendered
    assert '<math display="block">' in rendered and "<mo>&lt;</mo>" in rendered


def test_equation_hook_refuses_tex_it_cannot_draw_naming_page_and_tex():
    equations = load_hook("equations")
    from mkdocs.exceptions import PluginError

    with pytest.raises(PluginError, match=r"optimizers\.md.*\\\\notacommand"):
        equations.render_math('<span class="arithmatex">\\(\\notacommand x\\)</span>',
                              where="optimizers.md")


def test_output_hook_shows_a_python_block_after_the_blocks_it_needs():
    outputs = load_hook("command_outputs")
    page = ("```python\nanswer = 6 * 7\n```\n\n"
            "<!-- skip-run -->\n```python\nraise SystemExit('skipped blocks do not run')\n```\n\n"
            f"{MARKER}\n```python\nprint(answer)\n```\n\nafter\n")
    shown = outputs.insert_outputs(page)
    assert '```python\nprint(answer)\n```\n\n```text title="output"\n42\n```\n\nafter' in shown


def test_output_hook_runs_a_marked_command_with_continuation_lines():
    outputs = load_hook("command_outputs")
    page = f"{MARKER}\n```bash\npython -c \\\n    'print(2 + 3)'\n```\n"
    assert outputs.insert_outputs(page).endswith('```text title="output"\n5\n```\n')


@pytest.mark.parametrize("page, message", [
    (f"{MARKER}\n```text\nhello\n```\n", "marks a 'text' block"),
    (f"{MARKER}\n```bash\nrm -rf build\n```\n", "only minigrad and python commands"),
    (f"{MARKER}\n```bash\npython -c 'import sys; sys.exit(\"bad input\")'\n```\n",
     "exited with 1:\nbad input"),
    (f"{MARKER}\n```python\nx = 1\n```\n", "prints nothing"),
    (f"{MARKER}\n```python\n1 / 0\n```\n", "ZeroDivisionError"),
])
def test_output_hook_refuses_what_it_cannot_show(page, message):
    outputs = load_hook("command_outputs")
    with pytest.raises(ValueError, match=re.escape(message)):
        outputs.insert_outputs(page)
