"""Catch-up: replay the solution notebooks of the earlier labs that are not done yet.

A lab is done when every one of its checks passes against the current target. The checks decide,
not the progress file: the local endpoint forgets everything on `labkit down` or a reboot while the
progress file remembers, and a learner may have done a lab by hand. Labs are taken in order and each
is checked just before its turn, so the decision sees what the replays before it built.

There is no second copy of solution code: a lab is replayed by executing its solution notebook with
nbclient in a fresh kernel, skipping quiz cells (a replay must not answer quizzes for the learner).
Solution cells are idempotent, so replaying a partly done lab is safe. The kernel is handed its
environment explicitly (the target's variables plus LABKIT_CATCHUP=1, which records its checks as
catch-up); the environment of this process is never changed. The kernels' own log lines (ipykernel's
"running over TCP without encryption" warning) go to catchup.log in the workspace, not into the
learner's notebook; what the learner sees is catchup_view's progress and the report it returns.
"""
from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Callable

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from .. import config
from ..grading import checks as checks_mod
from ..grading import labs as labs_mod
from .build import SOLUTIONS
from .catchup_view import CatchUpReport, LabRow, TextProgress


class CatchUpError(RuntimeError):
    """A solution notebook failed during catch-up; the message names the lab and the cell."""


def replay_cells(nb):
    """The cells a replay runs: everything except quiz cells."""
    keep = [c for c in nb.cells if not (c.cell_type == "code" and ".quiz(" in c.source)]
    nb = nbformat.from_dict(dict(nb))
    nb.cells = keep
    return nb


def kernel_environ(target=None) -> dict[str, str]:
    """The environment of a catch-up kernel: this process's, the target's variables (endpoint,
    credentials, LABKIT_HOME and LABKIT_PORT as this process resolved them) and LABKIT_CATCHUP=1."""
    overrides = dict(target.env()) if target is not None else {}
    overrides["LABKIT_CATCHUP"] = "1"
    return config.child_environ(overrides)


def replay_size(lab_id: str, solutions=SOLUTIONS) -> int:
    """How many cells a replay of the lab runs (the length of its progress bar)."""
    path = Path(solutions) / f"{lab_id}.ipynb"
    return len(replay_cells(nbformat.read(path, as_version=4)).cells) if path.exists() else 0


def run_solution(lab_id: str, solutions=SOLUTIONS, timeout: int = 600, env: dict[str, str] | None = None,
                 on_cell: Callable[[int], None] | None = None, kernel_log: Path | None = None) -> float:
    """Replay one lab's solution notebook in a fresh kernel; returns the seconds it took.

    ``on_cell(n)`` is called after each of the n cells run; the kernel process's own output goes to
    ``kernel_log`` (appended) or nowhere, never to this process's stderr.
    """
    path = solutions / f"{lab_id}.ipynb"
    if not path.exists():
        raise CatchUpError(f"no solution notebook for {lab_id} ({path})")
    nb = replay_cells(nbformat.read(path, as_version=4))
    done = [0]

    def cell_executed(**_):
        done[0] += 1
        if on_cell:
            on_cell(done[0])

    t0 = time.monotonic()
    log = open(kernel_log, "a") if kernel_log else subprocess.DEVNULL
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", on_cell_executed=cell_executed,
                       resources={"metadata": {"path": str(solutions)}}).execute(
            env=kernel_environ() if env is None else env, stdout=log, stderr=log)
    except CellExecutionError as exc:
        raise CatchUpError(f"catch-up of {lab_id} failed in a solution cell:\n{str(exc)[-1500:]}") from None
    finally:
        if kernel_log:
            log.close()
    return time.monotonic() - t0


def lab_done(lab_id: str, ctx: checks_mod.CheckContext) -> bool:
    """Every check of the lab passes against the target (read-only; nothing is recorded)."""
    return all(checks_mod.run(check, ctx, lab_id).passed for check in labs_mod.get(lab_id).checks)


def _target_and_checks(session):
    if session is not None:
        return session.target, session.check_context(), session.settings
    from ..stack import workspace
    from ..targets import get_target

    settings = config.load()
    target = get_target(settings)
    target.start()  # the checks need the endpoint; the kernels' first cell would start it anyway
    return target, checks_mod.CheckContext(target, workspace(settings)), settings


def catch_up(lab_id: str, through: bool = False, echo=print, solutions=SOLUTIONS, session=None,
             only_missing: bool = True, replay: Callable[..., float] | None = None,
             progress=None) -> CatchUpReport:
    """Bring the workspace to the start of ``lab_id`` (or its end with ``through=True``).

    Replays the labs before it whose checks do not all pass yet (``only_missing=False`` replays
    every one) and returns the ids of the labs replayed. ``session`` is the caller's Session (a
    notebook's or the CLI's); without one the target is taken from the LABKIT_* settings.
    ``replay(lab_id, on_cell=...)`` runs one lab (default: its solution notebook in a fresh kernel).
    ``progress`` shows it happening (default: a line per event through ``echo``; a notebook passes
    catchup_view.WidgetProgress). The report returned is the list of labs replayed, shown as a table.
    """
    progress = progress or TextProgress(echo)
    wanted = [lab.id for lab in labs_mod.before(lab_id)] + ([labs_mod.get(lab_id).id] if through else [])
    rows = [LabRow(lab, cells=replay_size(lab, solutions)) for lab in wanted]
    progress.start(rows)   # every lab's bar is on screen before the first (slow) check runs
    target, ctx, settings = _target_and_checks(session)
    if replay is None:
        env = kernel_environ(target)
        log = Path(settings.home) / "catchup.log"

        def replay(lab, on_cell=None):
            return run_solution(lab, solutions, env=env, on_cell=on_cell, kernel_log=log)

    for row in rows:
        if only_missing:
            row.status = "checking"
            progress.update(row)
            if lab_done(row.lab, ctx):
                row.status = "skipped"
                progress.update(row)
                continue
        row.status = "running"
        progress.update(row)

        def on_cell(n, row=row):
            row.done_cells = n
            progress.update(row)

        try:
            row.seconds = replay(row.lab, on_cell=on_cell)
        except CatchUpError as exc:
            row.status, row.note = "failed", str(exc).splitlines()[0]
            progress.update(row)
            raise
        row.status = "replayed"
        progress.update(row)
    report = CatchUpReport(lab_id, through, rows)
    progress.finish(report)
    return report
