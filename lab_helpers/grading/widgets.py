"""ipywidgets forms for quiz questions, graded in the kernel (no JavaScript-only grading)."""
from __future__ import annotations

import html

from .bank import Question
from .quiz import InvalidAnswer, grade


def widgets_available() -> bool:
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def quiz_widget(q: Question, on_result=None):
    import ipywidgets as w
    from IPython.display import display

    header = w.HTML(
        f"<div><b>{html.escape(q.id)}</b> <span style='color:#666'>{html.escape(q.exam)} · domain {q.domain}: "
        f"{html.escape(q.domain_name)}</span></div><div style='margin:6px 0'>{html.escape(q.prompt)}</div>")
    body, read = answer_inputs(q)
    button = w.Button(description="Check answer", button_style="primary")
    out = w.Output()

    def on_click(_):
        out.clear_output()
        with out:
            try:
                result = grade(q, read())
            except InvalidAnswer as exc:
                print(f"Not gradable yet: {exc}")
                return
            if on_result:
                on_result(result)
            display(result)

    button.on_click(on_click)
    return w.VBox([header, *body, button, out])


def answer_inputs(q: Question, value=None):
    """The input widgets for one question and a function reading the answer they hold.

    ``value`` pre-fills them with an earlier answer in the bank's format (exam navigation).
    """
    import ipywidgets as w

    labels = [(f"{k}) {v}", k) for k, v in q.choices.items()]
    if q.type == "single":
        inputs = w.RadioButtons(options=labels, value=value if value in q.choices else None,
                                layout=w.Layout(width="auto"))
        return [inputs], lambda: inputs.value
    if q.type == "multiple":
        chosen = set(value or [])
        boxes = [w.Checkbox(description=text, value=key in chosen, indent=False, layout=w.Layout(width="auto"))
                 for text, key in labels]
        read = lambda: [key for box, (_, key) in zip(boxes, labels) if box.value]  # noqa: E731
        return [w.HTML(f"<i>Choose {len(q.answer)}.</i>"), *boxes], read
    if q.type == "ordering":
        order = list(value or [])
        drops = [w.Dropdown(options=[("—", None)] + labels, value=order[i] if i < len(order) else None,
                            description=f"Step {i + 1}", layout=w.Layout(width="90%")) for i in range(len(labels))]
        return drops, lambda: [d.value for d in drops if d.value is not None]
    pairs = dict(value or {})
    drops = {p: w.Dropdown(options=[("—", None)] + labels, value=pairs.get(p), layout=w.Layout(width="60%"))
             for p in q.pairs}
    body = [w.HBox([w.HTML(f"<div style='width:300px'>{html.escape(text)}</div>"), drops[p]])
            for p, text in q.pairs.items()]
    return body, lambda: {p: d.value for p, d in drops.items() if d.value is not None}
