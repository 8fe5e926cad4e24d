"""Deterministic generator of the "Peculiar U" university data set (SIS Parquet + LMS CSV).

    from lab_helpers.datasets import generate, inventory, write_dir
    for obj in generate(scale=1.0, seed=2020):   # 153 DataObject(key, body), sorted by key
        ...
    write_dir("/tmp/peculiar-u")                 # same objects as files
    python -m lab_helpers.datasets OUTDIR [--scale S] [--seed N]

Layout (as the workshop's raw bucket): `sisdb/sisdemo/<table>/LOAD00000001.parquet` for
the 12 SIS tables, `lmsapi/<table>/process_date=YYYY-MM-DD/<file>.csv` for the 10 LMS
tables (141 objects). `SIS_SCHEMAS` and `LMS_COLUMNS` are the column contracts.
"""

from .layout import inventory
from .lms_requests import requests_rows
from .schemas import LMS_COLUMNS, SIS_SCHEMAS, glue_type
from .university import DataObject, generate, write_dir

__all__ = ["DataObject", "LMS_COLUMNS", "SIS_SCHEMAS", "generate", "glue_type", "inventory",
           "requests_rows", "write_dir"]
