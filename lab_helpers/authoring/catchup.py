"""Catch-up: replay earlier labs' solution notebooks (their own cells) against the current target.

There is no second copy of solution code: the solution notebooks are executed with nbclient in a
fresh kernel, skipping quiz cells (a replay must not answer quizzes for the learner). Solution
cells are idempotent, so replaying a lab that is already done changes nothing.
"""
from __future__ import annotations

import os
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from ..grading import labs as labs_mod
from .build import SOLUTIONS


class CatchUpError(RuntimeError):
    """A solution notebook failed during catch-up; the message names the lab and the cell."""


def replay_cells(nb):
    """The cells a replay runs: everything except quiz cells."""
    keep = [c for c in nb.cells if not (c.cell_type == "code" and ".quiz(" in c.source)]
    nb = nbformat.from_dict(dict(nb))
    nb.cells = keep
    return nb


def run_solution(lab_id: str, solutions=SOLUTIONS, timeout: int = 600) -> float:
    path = solutions / f"{lab_id}.ipynb"
    if not path.exists():
        raise CatchUpError(f"no solution notebook for {lab_id} ({path})")
    nb = replay_cells(nbformat.read(path, as_version=4))
    env_before = os.environ.get("LABKIT_CATCHUP")
    os.environ["LABKIT_CATCHUP"] = "1"  # the kernel inherits it: checks are recorded as catch-up
    t0 = time.monotonic()
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(solutions)}}).execute()
    except CellExecutionError as exc:
        raise CatchUpError(f"catch-up of {lab_id} failed in a solution cell:\n{str(exc)[-1500:]}") from None
    finally:
        if env_before is None:
            os.environ.pop("LABKIT_CATCHUP", None)
        else:
            os.environ["LABKIT_CATCHUP"] = env_before
    return time.monotonic() - t0


def catch_up(lab_id: str, through: bool = False, echo=print, solutions=SOLUTIONS) -> list[str]:
    """Bring the workspace to the start of ``lab_id`` (or its end with ``through=True``)."""
    todo = [lab.id for lab in labs_mod.before(lab_id)] + ([labs_mod.get(lab_id).id] if through else [])
    for lab in todo:
        echo(f"catch-up: running solutions/{lab}.ipynb ...")
        seconds = run_solution(lab, solutions)
        echo(f"catch-up: {lab} done in {seconds:.1f}s")
    if not todo:
        echo(f"catch-up: nothing to do before {lab_id}")
    return todo
