"""Catch-up: replay the solution notebooks of the earlier labs that are not done yet.

A lab is done when every one of its checks passes against the current target. The checks decide,
not the progress file: the local endpoint forgets everything on `labkit down` or a reboot while the
progress file remembers, and a learner may have done a lab by hand. Labs are taken in order and each
is checked just before its turn, so the decision sees what the replays before it built.

There is no second copy of solution code: a lab is replayed by executing its solution notebook with
nbclient in a fresh kernel, skipping quiz cells (a replay must not answer quizzes for the learner).
Solution cells are idempotent, so replaying a partly done lab is safe. The kernel is handed its
environment explicitly (the target's variables plus LABKIT_CATCHUP=1, which records its checks as
catch-up); the environment of this process is never changed.
"""
from __future__ import annotations

import time
from typing import Callable

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from .. import config
from ..grading import checks as checks_mod
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


def kernel_environ(target=None) -> dict[str, str]:
    """The environment of a catch-up kernel: this process's, the target's variables (endpoint,
    credentials, LABKIT_HOME and LABKIT_PORT as this process resolved them) and LABKIT_CATCHUP=1."""
    overrides = dict(target.env()) if target is not None else {}
    overrides["LABKIT_CATCHUP"] = "1"
    return config.child_environ(overrides)


def run_solution(lab_id: str, solutions=SOLUTIONS, timeout: int = 600, env: dict[str, str] | None = None) -> float:
    """Replay one lab's solution notebook in a fresh kernel; returns the seconds it took."""
    path = solutions / f"{lab_id}.ipynb"
    if not path.exists():
        raise CatchUpError(f"no solution notebook for {lab_id} ({path})")
    nb = replay_cells(nbformat.read(path, as_version=4))
    t0 = time.monotonic()
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(solutions)}}).execute(
            env=kernel_environ() if env is None else env)
    except CellExecutionError as exc:
        raise CatchUpError(f"catch-up of {lab_id} failed in a solution cell:\n{str(exc)[-1500:]}") from None
    return time.monotonic() - t0


def lab_done(lab_id: str, ctx: checks_mod.CheckContext) -> bool:
    """Every check of the lab passes against the target (read-only; nothing is recorded)."""
    return all(checks_mod.run(check, ctx, lab_id).passed for check in labs_mod.get(lab_id).checks)


def _target_and_checks(session):
    if session is not None:
        return session.target, session.check_context()
    from ..stack import workspace
    from ..targets import get_target

    settings = config.load()
    target = get_target(settings)
    target.start()  # the checks need the endpoint; the kernels' first cell would start it anyway
    return target, checks_mod.CheckContext(target, workspace(settings))


def catch_up(lab_id: str, through: bool = False, echo=print, solutions=SOLUTIONS, session=None,
             only_missing: bool = True, replay: Callable[[str], float] | None = None) -> list[str]:
    """Bring the workspace to the start of ``lab_id`` (or its end with ``through=True``).

    Replays the labs before it whose checks do not all pass yet (``only_missing=False`` replays
    every one) and returns the ids of the labs replayed. ``session`` is the caller's Session (a
    notebook's or the CLI's); without one the target is taken from the LABKIT_* settings.
    ``replay(lab_id)`` runs one lab (default: its solution notebook in a fresh kernel).
    """
    wanted = [lab.id for lab in labs_mod.before(lab_id)] + ([labs_mod.get(lab_id).id] if through else [])
    target, ctx = _target_and_checks(session)
    if replay is None:
        env = kernel_environ(target)

        def replay(lab):
            return run_solution(lab, solutions, env=env)

    replayed = []
    for lab in wanted:
        if only_missing and lab_done(lab, ctx):
            echo(f"catch-up: {lab} is done already (its checks pass), skipped")
            continue
        echo(f"catch-up: running solutions/{lab}.ipynb ...")
        seconds = replay(lab)
        echo(f"catch-up: {lab} done in {seconds:.1f}s")
        replayed.append(lab)
    if not wanted:
        echo(f"catch-up: nothing to do before {lab_id}")
    elif not replayed:
        echo(f"catch-up: nothing to replay, {', '.join(wanted)} {'is' if len(wanted) == 1 else 'are'} done")
    return replayed
