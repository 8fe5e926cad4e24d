"""ipywidgets forms for quiz questions, graded in the kernel (no JavaScript-only grading).

Every option is a row whose text wraps at any width: ipywidgets' RadioButtons and Checkbox labels
have a fixed line height and ``white-space: nowrap`` with an ellipsis, so a long option either
overlaps the next one (its radio disappearing under it) or is cut with "…". The kit therefore
builds each option as an HTML text (bank Markdown rendered: inline code in monospace) with a
Checkbox whose label covers the row, and a small stylesheet scoped to the ``labkit-quiz`` class.
Single-choice rows are drawn as radios and kept exclusive in the kernel.
"""
from __future__ import annotations

import html
import re

from . import markdown as md
from .bank import Question
from .quiz import InvalidAnswer, grade

QUIZ_CLASS = "labkit-quiz"
# The stylesheet travels inside every form (an HTML widget's <style> applies page-wide), so a
# form renders right wherever it is displayed, with no extension to install.
QUIZ_CSS = """<style>
.labkit-quiz { max-width: 100%; }
.labkit-quiz .widget-html, .labkit-quiz .jupyter-widget-html { height: auto; max-width: 100%; }
.labkit-quiz .widget-html-content, .labkit-quiz .jupyter-widget-html-content {
  white-space: normal; overflow-wrap: anywhere; line-height: 1.45; height: auto; align-self: stretch; }
.labkit-quiz .labkit-option { position: relative; width: 100%; height: auto; margin: 1px 0; border-radius: 4px; }
.labkit-quiz .labkit-option > .widget-html { flex: 1 1 auto; min-width: 0; margin: 0; padding: 4px 6px 4px 30px; }
.labkit-quiz .labkit-option > .widget-checkbox { position: absolute; inset: 0; width: auto; height: auto;
  margin: 0; z-index: 1; }
.labkit-quiz .labkit-option > .widget-checkbox > label.widget-label-basic {
  position: absolute; inset: 0; width: auto; height: auto; cursor: pointer; overflow: visible; }
.labkit-quiz .labkit-option input[type=checkbox] { position: absolute; left: 6px; top: 6px; margin: 0;
  width: 16px; height: 16px; cursor: pointer; }
.labkit-quiz .labkit-single input[type=checkbox] { appearance: none; -webkit-appearance: none; border-radius: 50%;
  border: 2px solid var(--jp-border-color1, #757575); background: var(--jp-layout-color1, #fff); }
.labkit-quiz .labkit-single input[type=checkbox]:checked { border-color: var(--jp-brand-color1, #1976d2);
  background: radial-gradient(circle, var(--jp-brand-color1, #1976d2) 0 3.5px, transparent 4.5px); }
.labkit-quiz .labkit-option:hover { background: var(--jp-layout-color2, #f2f2f2); }
.labkit-quiz .labkit-option input[type=checkbox]:disabled, .labkit-quiz .labkit-option input:disabled + span {
  cursor: default; }
.labkit-quiz .labkit-pair { width: 100%; align-items: flex-start; gap: 8px; margin: 3px 0; }
.labkit-quiz .labkit-pair > .widget-html { flex: 1 1 55%; min-width: 0; }
.labkit-quiz .labkit-pair > .widget-dropdown { flex: 1 1 45%; min-width: 0; width: auto; }
</style>"""


def widgets_available() -> bool:
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def style_widget():
    import ipywidgets as w

    return w.HTML(QUIZ_CSS, layout=w.Layout(display="none"))


def quiz_widget(q: Question, on_result=None):
    import ipywidgets as w
    from IPython.display import display

    header = w.HTML(
        f"<div><b>{html.escape(q.id)}</b> <span style='color:#666'>{html.escape(q.exam)} · domain {q.domain}: "
        f"{html.escape(q.domain_name)}</span></div><div style='margin:6px 0'>{md.to_html(q.prompt)}</div>")
    inputs = AnswerInputs(q)
    button = w.Button(description="Check answer", button_style="primary")
    out = w.Output()

    def on_click(_):
        out.clear_output()
        with out:
            try:
                result = grade(q, inputs.read())
            except InvalidAnswer as exc:
                print(f"Not gradable yet: {exc}")
                return
            if on_result:
                on_result(result)
            display(result)

    button.on_click(on_click)
    box = w.VBox([style_widget(), header, *inputs.children, button, out], layout=w.Layout(width="100%"))
    box.add_class(QUIZ_CLASS)
    return box


def plain(text: str) -> str:
    """Option text for places that cannot hold HTML (a dropdown's entries): markup removed."""
    text = " ".join(str(text).split())
    return re.sub(r"\*\*(.+?)\*\*", r"\1", text.replace("`", ""))


class AnswerInputs:
    """The input widgets for one question, the answer they hold, change notification and locking.

    ``value`` pre-fills them with an earlier answer in the bank's format (exam navigation).
    """

    def __init__(self, q: Question, value=None):
        import ipywidgets as w

        self.q, self.w = q, w
        self.children: list = []
        self.rows: dict = {}
        self._controls: list = []     # every widget that takes input (disabled together)
        self._listeners: list = []
        self._quiet = False
        getattr(self, f"_build_{q.type}")(value)

    # --- one builder per AWS item type --------------------------------------------------------

    def _option(self, key: str, text: str, value: bool, css: str):
        """One option: its text as HTML, and a checkbox whose label covers the whole row (a click
        anywhere on the text picks it). The description stays empty: ipywidgets would copy an HTML
        description verbatim into the hover tooltip."""
        box = self.w.Checkbox(value=value, description="", indent=False, layout=self.w.Layout(width="auto"))
        text = self.w.HTML(f"<b>{html.escape(key)})</b> {md.to_html(text, block=False)}")
        row = self.w.HBox([box, text], layout=self.w.Layout(width="100%"))
        row.add_class("labkit-option")
        row.add_class(css)
        self.rows[key] = row
        return box

    def _build_single(self, value):
        self.boxes = {k: self._option(k, v, value == k, "labkit-single") for k, v in self.q.choices.items()}
        for key, box in self.boxes.items():
            box.observe(lambda change, key=key: self._pick_one(key, change["new"]), names="value")
        self.children = list(self.rows.values())
        self._controls = list(self.boxes.values())

    def _pick_one(self, key: str, on: bool) -> None:
        if self._quiet:
            return
        if on:   # radio behaviour: choosing one clears the others
            self._quiet = True
            try:
                for other, box in self.boxes.items():
                    if other != key and box.value:
                        box.value = False
            finally:
                self._quiet = False
        self._changed()

    def _build_multiple(self, value):
        chosen = set(value or [])
        self.boxes = {k: self._option(k, v, k in chosen, "labkit-multi") for k, v in self.q.choices.items()}
        for box in self.boxes.values():
            box.observe(lambda change: self._changed(), names="value")
        self.children = [self.w.HTML(f"<i>Choose {len(self.q.answer)}.</i>"), *self.rows.values()]
        self._controls = list(self.boxes.values())

    def _choice_list(self, title: str):
        items = "".join(f"<li style='margin:2px 0'><b>{html.escape(k)})</b> {md.to_html(v, block=False)}</li>"
                        for k, v in self.q.choices.items())
        return self.w.HTML(f"<div style='margin:4px 0'><i>{title}</i><ul style='list-style:none;padding-left:6px;"
                           f"margin:4px 0'>{items}</ul></div>")

    def _key_options(self):
        return [("—", None)] + [(f"{k}) {plain(v)}", k) for k, v in self.q.choices.items()]

    def _build_ordering(self, value):
        order = list(value or [])
        self.drops = [self.w.Dropdown(options=self._key_options(), value=order[i] if i < len(order) else None,
                                      description=f"Step {i + 1}", layout=self.w.Layout(width="100%"))
                      for i in range(len(self.q.choices))]
        for d in self.drops:
            d.observe(lambda change: self._changed(), names="value")
        self.children = [self._choice_list("Put these in order:"), *self.drops]
        self._controls = list(self.drops)

    def _build_matching(self, value):
        pairs = dict(value or {})
        self.pair_drops = {p: self.w.Dropdown(options=self._key_options(), value=pairs.get(p),
                                              layout=self.w.Layout(width="auto"))
                           for p in self.q.pairs}
        rows = []
        for p, text in self.q.pairs.items():
            row = self.w.HBox([self.w.HTML(f"<b>{html.escape(p)}.</b> {md.to_html(text, block=False)}"),
                               self.pair_drops[p]], layout=self.w.Layout(width="100%"))
            row.add_class("labkit-pair")
            rows.append(row)
            self.pair_drops[p].observe(lambda change: self._changed(), names="value")
        self.children = [self._choice_list("Match each item below with one of:"), *rows]
        self._controls = list(self.pair_drops.values())

    # --- reading, listening, locking ----------------------------------------------------------

    def read(self):
        t = self.q.type
        if t == "single":
            return next((k for k, b in self.boxes.items() if b.value), None)
        if t == "multiple":
            return [k for k, b in self.boxes.items() if b.value]
        if t == "ordering":
            return [d.value for d in self.drops if d.value is not None]
        return {p: d.value for p, d in self.pair_drops.items() if d.value is not None}

    def set(self, value) -> None:
        """Put an answer into the widgets (tests and a restored form use it)."""
        t = self.q.type
        if t in ("single", "multiple"):
            wanted = {value} if t == "single" else set(value or [])
            for k, b in self.boxes.items():
                b.value = k in wanted
        elif t == "ordering":
            for i, d in enumerate(self.drops):
                d.value = value[i] if value and i < len(value) else None
        else:
            for p, d in self.pair_drops.items():
                d.value = (value or {}).get(p)

    def on_change(self, fn) -> None:
        self._listeners.append(fn)

    def _changed(self) -> None:
        for fn in self._listeners:
            fn()

    def disable(self) -> None:
        for c in self._controls:
            c.disabled = True

    @property
    def disabled(self) -> bool:
        return all(c.disabled for c in self._controls)


def answer_inputs(q: Question, value=None):
    """The input widgets for one question and a function reading the answer they hold."""
    inputs = AnswerInputs(q, value)
    return inputs.children, inputs.read
