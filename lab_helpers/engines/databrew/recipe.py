"""recipe: runs a recipe's steps, in order, over an Arrow table, on a sandboxed DuckDB cursor.

A step is ``{"Action": {"Operation": ..., "Parameters": {str: str}}, "ConditionExpressions": [...]}``;
parameter values are strings, and lists/objects inside them are JSON text (as DataBrew sends
them). Each operation is a function ``(table, Params, Runner) -> table`` in ``actions`` or
``combine``. A step that names an unknown operation, lacks a parameter, names a column that is
not there, or cannot run raises ``RecipeStepError`` naming the step (1-based) and the operation;
the job then fails before writing anything.
"""
from __future__ import annotations

import pyarrow as pa

from ..platform.jobs import JobCancelled
from . import actions, combine
from .steps import ParameterError, Params, RecipeStepError, Runner


def operations() -> dict:
    """Operation name -> action (looked up per run, so a test may swap one)."""
    return {**actions.OPERATIONS, **combine.OPERATIONS}


__all__ = [
    "ParameterError",
    "RecipeStepError",
    "Runner",
    "apply_step",
    "operations",
    "run",
    "supported_operations",
    "validate",
]


def supported_operations() -> list[str]:
    return sorted(operations())


def validate(steps: list[dict]) -> None:
    """Refuse, before anything runs, a step whose operation the engine does not know."""
    ops = operations()
    for i, step in enumerate(steps or [], start=1):
        op = ((step or {}).get("Action") or {}).get("Operation", "")
        if op not in ops:
            raise RecipeStepError(i, op or "?", f"the operation {op!r} is not emulated by the local DataBrew engine "
                                                f"(it runs: {', '.join(sorted(ops))})")


def apply_step(table: pa.Table, step: dict, index: int, runner: Runner) -> pa.Table:
    action = (step or {}).get("Action") or {}
    op = action.get("Operation", "")
    fn = operations().get(op)
    if fn is None:
        raise RecipeStepError(index, op or "?", f"the operation {op!r} is not emulated by the local DataBrew engine "
                                                f"(it runs: {', '.join(supported_operations())})")
    params = Params(action.get("Parameters") or {}, step.get("ConditionExpressions") or [])
    try:
        if params.conditions and not getattr(fn, "takes_conditions", False):
            raise ParameterError(f"{op} does not take ConditionExpressions here; remove them or use a step "
                                 "that changes values (FILL_*, REPLACE_*, UPPER_CASE, LOWER_CASE)")
        return fn(table, params, runner)
    except (RecipeStepError, JobCancelled):
        raise
    except ParameterError as err:
        raise RecipeStepError(index, op, str(err)) from None
    except Exception as err:  # noqa: BLE001 - a DuckDB or Arrow error names the step it came from
        text = str(err).split("\n")[0]
        raise RecipeStepError(index, op, f"{type(err).__name__}: {text}") from None


def run(table: pa.Table, steps: list[dict], runner: Runner, *, on_step=None) -> pa.Table:
    validate(steps)
    for index, step in enumerate(steps or [], start=1):
        runner.check_cancel()
        table = apply_step(table, step, index, runner)
        if on_step is not None:
            on_step(index, step, table)
    return table
