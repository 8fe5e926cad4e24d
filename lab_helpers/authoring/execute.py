"""Execute a solution notebook in place and store its outputs (the authors' step before nbval).

nbval compares stored outputs with a fresh run, so a solution notebook is stored *executed*. The
run happens in the current workspace, which must be at the start of the lab: ``execute_solution``
first catches up on the earlier labs (their solution notebooks), then runs every cell of this one,
quiz cells included, and writes the notebook back. Use a throwaway ``LABKIT_HOME``.
"""
from __future__ import annotations

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from .build import SOLUTIONS
from .catchup import CatchUpError, catch_up


def execute_solutions(lab_ids: list[str], solutions=SOLUTIONS, timeout: int = 900, echo=print,
                      session=None) -> None:
    """Catch up to the first lab, then execute each lab in order (give them in lab order)."""
    catch_up(lab_ids[0], echo=echo, solutions=solutions, session=session)
    for lab_id in lab_ids:
        execute_solution(lab_id, solutions, timeout, echo)


def execute_solution(lab_id: str, solutions=SOLUTIONS, timeout: int = 900, echo=print) -> None:
    """Run one solution notebook with outputs and write it back (the workspace is at its start)."""
    path = solutions / f"{lab_id}.ipynb"
    nb = nbformat.read(path, as_version=4)
    echo(f"execute: running {path.name} with outputs ...")
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(solutions)}}).execute()
    except CellExecutionError as exc:
        raise CatchUpError(f"{lab_id} failed in a solution cell (notebook not written):\n{str(exc)[-1500:]}") from None
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    echo(f"execute: wrote {path}")
