"""Assemble Peculiar U: SIS + LMS objects in sorted key order, written lazily.

SIS tables and the small LMS tables are built up front (they are modest at any scale);
each weekly `requests` partition is generated only when its turn comes, so memory holds
at most one partition of page views however large the scale.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .formats import parquet_bytes
from .layout import LMS_PREFIX, SIS_PREFIX, WEEKS, inventory
from .lms import generate_lms
from .lms_requests import request_files
from .sis import generate_sis


@dataclass(frozen=True)
class DataObject:
    """One object of the data set: its key relative to the bucket root, and its bytes."""
    key: str
    body: bytes


def _check(scale: float, seed: int) -> None:
    if not (isinstance(scale, (int, float)) and scale > 0):
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def generate(scale: float = 1.0, seed: int = 2020) -> Iterator[DataObject]:
    """Yield the 153 objects of the data set in sorted key order.

    The same (scale, seed) always gives byte-identical objects; scale changes row
    counts only, never the keys (see `inventory()`).
    """
    _check(scale, seed)
    seed = int(seed)
    sis = generate_sis(np.random.default_rng([seed, 1]), float(scale))
    lms = generate_lms(np.random.default_rng([seed, 2]), sis)
    student_ids = sis.tables["student"].column("student_id").to_numpy().astype(np.int64)
    week_of = {monday.isoformat(): i for i, (_, _, monday) in enumerate(WEEKS)}
    pending: dict[str, bytes] = {}
    for key in inventory():
        if key.startswith(f"{SIS_PREFIX}/"):
            yield DataObject(key, parquet_bytes(sis.tables[key.split("/")[2]]))
        elif key.startswith(f"{LMS_PREFIX}/requests/"):
            if key not in pending:
                day = key.split("process_date=")[1].split("/")[0]
                i = week_of[day]
                general, posts = request_files(seed, float(scale), i, lms.terms[WEEKS[i][0]],
                                               student_ids, sis.ability)
                prefix = key.rsplit("/", 1)[0]
                pending = {f"{prefix}/general.csv": general, f"{prefix}/submissions.csv": posts}
            yield DataObject(key, pending.pop(key))
        else:
            yield DataObject(key, lms.objects.pop(key))


def write_dir(path: str | Path, scale: float = 1.0, seed: int = 2020) -> list[str]:
    """Write every object to `path/<key>` (directories created); return the keys written."""
    root = Path(path)
    keys = []
    for obj in generate(scale=scale, seed=seed):
        target = root / obj.key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(obj.body)
        keys.append(obj.key)
    return keys
