"""MkDocs hook: the docs' TeX equations become MathML when the site is built.

`pymdownx.arithmatex` (with ``generic: true``) finds the math in the Markdown, keeps it away
from the Markdown parser, and writes it out as ``<span class="arithmatex">\\(...\\)</span>``
(inline) or ``<div class="arithmatex">\\[...\\]</div>`` (display). This hook replaces the
TeX inside each of those with the MathML Core that `math-core` makes of it. Browsers draw
MathML Core themselves, so the built pages show their equations with no script, no font
and no stylesheet from anywhere: they read the same offline, from a file:// URL, as online.

An equation the converter cannot read (an unknown command, an unbalanced brace) stops the
build with the page and the TeX named: raw TeX must never reach a reader.
"""
from __future__ import annotations

import html
import re

from math_core import LatexError, LatexToMathML
from mkdocs.exceptions import PluginError

# arithmatex's generic output: the TeX is HTML-escaped, between \( \) or \[ \].
ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*'
    r"(?P<open>\\\(|\\\[)(?P<tex>.*?)(?:\\\)|\\\])\s*</(?P=tag)>",
    re.S,
)

# Plain-text errors (the default draws a boxed report meant for a terminal).
CONVERTER = LatexToMathML(fancy_error=False)


def tex_to_mathml(tex: str, display: bool) -> str:
    """One equation as a ``<math>`` element; ValueError naming the TeX if it cannot be."""
    try:
        return CONVERTER.convert_with_local_state(tex, displaystyle=display)
    except LatexError as error:
        raise ValueError(f"cannot convert the TeX {tex!r}: {error}") from None


def render_math(content: str, where: str = "the page") -> str:
    """Replace the TeX of every arithmatex equation of an HTML fragment with MathML."""

    def replace(match: re.Match) -> str:
        display = match["open"] == "\\["
        try:
            mathml = tex_to_mathml(html.unescape(match["tex"]).strip(), display)
        except ValueError as error:
            raise PluginError(f"{where}: {error}") from None
        return f'<{match["tag"]} class="arithmatex">{mathml}</{match["tag"]}>'

    return ARITHMATEX.sub(replace, content)


def on_page_content(html_content, page, config, files):
    return render_math(html_content, where=page.file.src_uri)
