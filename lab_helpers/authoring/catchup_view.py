"""What a learner sees while catch-up runs: a line per event in a terminal, a progress bar per lab
in a notebook (shown before the first check starts), and a small table at the end (the report
that catch_up returns renders as one)."""
from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass
class LabRow:
    lab: str
    status: str = "waiting"         # waiting · checking · skipped · running · replayed · failed
    cells: int = 0
    done_cells: int = 0
    seconds: float = 0.0
    note: str = ""

    @property
    def what(self) -> str:
        return {"waiting": "waiting", "checking": "checking…", "running": f"cell {self.done_cells}/{self.cells}",
                "skipped": "done already (its checks pass): skipped",
                "replayed": f"replayed in {self.seconds:.0f} s ({self.cells} cells)",
                "failed": f"failed: {self.note}"}.get(self.status, self.status)


class CatchUpReport(list):
    """The labs replayed (a list, as before), and every lab's row for the table at the end."""

    def __init__(self, lab_id: str, through: bool, rows: list[LabRow]):
        super().__init__(r.lab for r in rows if r.status == "replayed")
        self.lab_id, self.through, self.rows = lab_id, through, rows

    @property
    def headline(self) -> str:
        goal = f"{'the end' if self.through else 'the start'} of {self.lab_id}"
        if not self.rows:
            return f"Catch-up: nothing comes before {self.lab_id}."
        if not list(self):
            return f"Catch-up: nothing to replay, your workspace is at {goal}."
        return f"Catch-up: your workspace is at {goal} ({len(self)} of {len(self.rows)} labs replayed)."

    def __repr__(self) -> str:
        width = max([len(r.lab) for r in self.rows] + [3])
        lines = [self.headline] + [f"  {r.lab:<{width}}  {r.what}" for r in self.rows]
        return "\n".join(lines)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td style='text-align:left'><code>{html.escape(r.lab)}</code></td>"
                       f"<td style='text-align:left'>{'✔' if r.status in ('replayed', 'skipped') else '✘'} "
                       f"{html.escape(r.what)}</td></tr>" for r in self.rows)
        return (f"<div><b>{html.escape(self.headline)}</b>"
                + (f"<table style='margin-top:4px'><tr><th style='text-align:left'>lab</th>"
                   f"<th style='text-align:left'>catch-up</th></tr>{rows}</table>" if rows else "")
                + "</div>")


@dataclass
class TextProgress:
    """One line per event (terminals, `labkit catch-up`, nbval)."""
    echo: object = print
    rows: dict = field(default_factory=dict)

    def start(self, rows: list[LabRow]) -> None:
        self.rows = {r.lab: r for r in rows}

    def update(self, row: LabRow) -> None:
        if row.status == "skipped":
            self.echo(f"catch-up: {row.lab} is done already (its checks pass), skipped")
        elif row.status == "running" and row.done_cells == 0:
            self.echo(f"catch-up: running solutions/{row.lab}.ipynb ({row.cells} cells) ...")
        elif row.status == "replayed":
            self.echo(f"catch-up: {row.lab} done in {row.seconds:.1f}s")

    def finish(self, report: CatchUpReport) -> None:
        wanted = [r.lab for r in report.rows]
        if not wanted:
            self.echo(f"catch-up: nothing to do before {report.lab_id}")
        elif not report:
            self.echo(f"catch-up: nothing to replay, {', '.join(wanted)} {'is' if len(wanted) == 1 else 'are'} done")


class WidgetProgress:
    """A progress bar per lab, displayed at once; the table replaces the bars when catch-up ends."""

    def __init__(self):
        import ipywidgets as w
        from IPython.display import display

        self.w = w
        self.bars: dict = {}
        self.texts: dict = {}
        self.box = w.VBox([w.HTML("<b>Catch-up</b>: checking which earlier labs are done …")])
        display(self.box)

    def start(self, rows: list[LabRow]) -> None:
        w = self.w
        lines = [self.box.children[0]]
        for r in rows:
            self.bars[r.lab] = w.IntProgress(value=0, min=0, max=1, layout=w.Layout(width="240px"))
            self.texts[r.lab] = w.HTML(r.what)
            lines.append(w.HBox([w.HTML(f"<code>{html.escape(r.lab)}</code>", layout=w.Layout(width="170px")),
                                 self.bars[r.lab], self.texts[r.lab]]))
        self.box.children = lines

    def update(self, row: LabRow) -> None:
        bar = self.bars[row.lab]
        if row.status == "running":
            bar.max = max(row.cells, 1)
            bar.value = row.done_cells
            bar.bar_style = "info"
        elif row.status in ("skipped", "replayed"):
            bar.max, bar.value, bar.bar_style = 1, 1, "success"
        elif row.status == "failed":
            bar.bar_style = "danger"
        self.texts[row.lab].value = html.escape(row.what)

    def finish(self, report: CatchUpReport) -> None:
        # The bars stay as they ended; the report the call returns shows the table below them.
        self.box.children[0].value = "<b>Catch-up</b>: finished"
