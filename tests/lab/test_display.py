"""How the lab's objects show themselves: step tables as text in a terminal and as HTML tables
in a notebook, trajectories as one short line (no arrays, no addresses) and a small HTML card."""
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from minigrad import lab
from minigrad.lab.table import Table, format_table


class TableReader(HTMLParser):
    """The text of every header and data cell of an HTML fragment, row by row."""

    def __init__(self):
        super().__init__()
        self.rows, self.caption, self._cell, self._in_caption = [], "", None, False

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ""
        elif tag == "caption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append(self._cell)
            self._cell = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        elif self._in_caption:
            self.caption += data


def read_html(fragment: str) -> TableReader:
    reader = TableReader()
    reader.feed(fragment)
    return reader


def test_step_table_is_the_text_table_and_an_html_table_with_the_same_cells():
    table = lab.step_table(lab.run("square", "sgd", start=70.0, steps=4, lr=0.1))
    assert isinstance(table, str) and isinstance(table, Table)
    lines = str(table).splitlines()
    assert lines[0].startswith("SGD (lr=0.1) on square")
    assert lines[-2].split()[:3] == ["4", "28.672", "57.344"]        # the slides' last row
    html = read_html(table._repr_html_())
    assert html.caption == lines[0]
    assert html.rows[0] == ["t", "x_t", "f'(x_t)", "update"]
    assert [row[:3] for row in html.rows[1:]] == [["0", "70", "140"], ["1", "56", "112"],
                                                  ["2", "44.8", "89.6"], ["3", "35.84", "71.68"],
                                                  ["4", "28.672", "57.344"]]
    assert "update: x_t - x_{t-1}" in table._repr_html_()                # the legend, as a list


def test_step_table_repr_is_its_text_so_a_terminal_shows_the_table():
    table = lab.step_table(lab.run("square", "sgd", start=70.0, steps=2, lr=0.1))
    assert repr(table) == str(table)
    assert "\\n" not in repr(table) and "\n" in repr(table)


def test_a_table_survives_copy_and_pickle():
    import copy
    import pickle

    table = lab.step_table(lab.run("square20", "sgd", start=2.0, steps=50, lr=0.1))
    for again in (copy.deepcopy(table), pickle.loads(pickle.dumps(table))):
        assert isinstance(again, Table) and again == table
        assert again._repr_html_() == table._repr_html_()


def test_step_table_html_escapes_what_it_shows():
    table = format_table("a <b> & c", [("x<y", ["1 & 2"])], notes=["p < q"])
    shown = table._repr_html_()
    assert "<b>" not in shown.split("</caption>")[0] and "a &lt;b&gt; &amp; c" in shown
    assert "x&lt;y" in shown and "1 &amp; 2" in shown and "p &lt; q" in shown


def test_a_diverged_run_says_so_under_the_text_and_the_html_table():
    diverged = lab.run("square20", "sgd", start=2.0, steps=50, lr=0.1)
    table = lab.step_table(diverged)
    assert str(table).splitlines()[-1].startswith("DIVERGED at step 8")
    assert "DIVERGED at step 8" in table._repr_html_()
    assert len(read_html(table._repr_html_()).rows) == 1 + 9          # header and t = 0..8


def test_the_slides_averaging_table_shows_as_html_with_the_slides_numbers():
    table = lab.averaging_table()
    rows = read_html(table._repr_html_()).rows
    assert rows[0][:3] == ["t", "s_t", "SMA_t (k=2)"]
    sma = [row[2] for row in rows[1:]]
    assert sma[2:5] == ["5.5", "7.0", "5.5"]
    assert [row[3] for row in rows[1:4]] == ["3.0", "5.5", "5.8"]     # EMA from the first value


def test_format_table_refuses_columns_of_different_lengths():
    with pytest.raises(ValueError, match=r"one cell per row, got \[2, 1\]"):
        format_table("t", [("a", [1, 2]), ("b", [1])])


def test_ipython_shows_a_step_table_as_html_and_its_text_as_plain_text():
    formatters = pytest.importorskip("IPython.core.formatters")
    table = lab.step_table(lab.run("square", "sgd", start=70.0, steps=2, lr=0.1))
    formatter = formatters.DisplayFormatter()
    shown, _ = formatter.format(table)
    assert shown["text/plain"] == str(table)
    assert shown["text/html"] == table._repr_html_()


def test_trajectory_repr_is_one_short_line():
    adam = lab.run("rosenbrock", "adam", steps=300, lr=0.05)
    text = repr(adam)
    assert re.fullmatch(r"Trajectory\(adam on rosenbrock, 300 steps, final f=[0-9.e+-]+\)", text), text
    assert float(text.split("final f=")[1].rstrip(")")) == pytest.approx(adam.final_value, rel=1e-3)


def test_a_diverged_trajectory_repr_says_where():
    text = repr(lab.run("square20", "sgd", start=2.0, steps=50, lr=0.1))
    assert text.startswith("Trajectory(sgd on square20, 8 steps, final f=")
    assert text.endswith(", DIVERGED at step 8)")


def test_trajectory_html_names_the_run_its_settings_and_its_end():
    run = lab.run("bowl", "momentum", start=(6.0, 9.0), steps=20, lr=0.1, momentum=0.5)
    html = run._repr_html_()
    cells = dict(row for row in read_html(html).rows if len(row) == 2)
    assert "Momentum (lr=0.1)" in html
    assert cells["steps"] == "20" and cells["start"] == "6, 9"
    assert "lr=0.1" in cells["settings"] and "momentum=0.5" in cells["settings"]
    assert float(cells["final f"]) == pytest.approx(run.final_value, rel=1e-5)
    assert "$" not in html                                    # the formula as text, not TeX
    assert np.isfinite(float(cells["distance to the nearest minimum"]))
