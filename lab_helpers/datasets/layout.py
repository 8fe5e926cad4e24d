"""Object layout of the data set: which keys exist, independent of scale and seed.

Mirrors the real workshop's demo copy: 12 SIS Parquet objects (DMS full-load naming) and
141 LMS CSV objects in weekly Hive-style `process_date=` partitions over two terms,
Fall 2020 (SIS semester 41) and Spring 2021 (semester 42).
"""

from datetime import date, timedelta

from .schemas import LMS_COLUMNS, SIS_SCHEMAS

SIS_PREFIX = "sisdb/sisdemo"
LMS_PREFIX = "lmsapi"

# term (SIS semester_id) -> first Monday of its LMS partitions; 16 weekly partitions each
TERM_FIRST_MONDAY = {41: date(2020, 8, 17), 42: date(2021, 1, 18)}
WEEKS_PER_TERM = 16

# One entry per weekly partition, in date order: (term, week number in term, monday).
WEEKS: list[tuple[int, int, date]] = [
    (term, k, monday + timedelta(weeks=k))
    for term, monday in TERM_FIRST_MONDAY.items()
    for k in range(WEEKS_PER_TERM)
]

# Which partitions and files each LMS table has.
WEEKLY_TABLES = ("requests", "submission_dim", "submission_fact")
TERM_TABLES = ("assignment_dim", "assignment_fact", "course_dim", "enrollment_dim",
               "enrollment_fact")
LMS_FILES = {
    "requests": ("general.csv", "submissions.csv"),
    "user_dim": ("faculty.csv", "students.csv"),
}


def lms_files(table: str) -> tuple[str, ...]:
    return LMS_FILES.get(table, (f"{table}.csv",))


def lms_partitions(table: str) -> list[date]:
    if table in WEEKLY_TABLES:
        return [monday for _, _, monday in WEEKS]
    if table in TERM_TABLES:
        return list(TERM_FIRST_MONDAY.values())
    return [TERM_FIRST_MONDAY[41]]  # account_dim, user_dim: one snapshot at the start


def sis_key(table: str) -> str:
    return f"{SIS_PREFIX}/{table}/LOAD00000001.parquet"


def lms_key(table: str, process_date: date, filename: str) -> str:
    return f"{LMS_PREFIX}/{table}/process_date={process_date.isoformat()}/{filename}"


def inventory() -> list[str]:
    """All 153 object keys (12 SIS + 141 LMS), sorted; the same for every scale and seed."""
    keys = [sis_key(t) for t in SIS_SCHEMAS]
    for table in LMS_COLUMNS:
        for day in lms_partitions(table):
            keys += [lms_key(table, day, f) for f in lms_files(table)]
    return sorted(keys)
