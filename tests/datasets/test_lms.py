"""LMS CSV tables: headers, Glue-inferable types, unquoted values, joins with the SIS."""

import datetime as dt
import functools
import io
import re
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from lab_helpers.datasets import LMS_COLUMNS, generate

BIGINT = re.compile(r"-?\d+")
DOUBLE = re.compile(r"-?\d+\.\d+")  # a decimal point, or Glue would infer bigint
KEY = re.compile(r"lmsapi/(\w+)/process_date=([\d-]+)/(\w+\.csv)$")
REQUESTS_REQUIRED = ["id", "timestamp", "timestamp_year", "timestamp_month", "timestamp_day",
                     "timestamp_hour", "user_id", "course_id", "root_account_id",
                     "course_account_id", "http_method", "session_id", "url"]


@functools.cache
def objects() -> dict[str, bytes]:
    return {o.key: o.body for o in generate()}


@functools.cache
def lms_table(table: str, filename: str | None = None) -> pa.Table:
    """All files (or one file name) of a table as text columns, plus `process_date`."""
    parts = []
    for key, body in objects().items():
        m = KEY.match(key)
        if not m or m[1] != table or (filename and m[3] != filename):
            continue
        header = body.split(b"\n", 1)[0].decode().split(",")
        t = pacsv.read_csv(io.BytesIO(body),
                           parse_options=pacsv.ParseOptions(quote_char=False),
                           convert_options=pacsv.ConvertOptions(
                               column_types={h: pa.string() for h in header},
                               strings_can_be_null=False))
        parts.append(t.append_column("process_date", pa.array([m[2]] * t.num_rows, pa.string())))
    return pa.concat_tables(parts)


@functools.cache
def lms(table: str, filename: str | None = None) -> dict[str, list[str]]:
    return lms_table(table, filename).to_pydict()


@functools.cache
def sis(table: str) -> pa.Table:
    return pq.read_table(io.BytesIO(objects()[f"sisdb/sisdemo/{table}/LOAD00000001.parquet"]))


def ints(values) -> list[int]:
    return [int(v) for v in values]


def test_requests_has_the_workshop_columns_and_21_data_columns():
    names = [n for n, _ in LMS_COLUMNS["requests"]]
    assert len(names) == 21
    assert names[:11] == REQUESTS_REQUIRED[:10] + ["quiz_id"]
    assert set(REQUESTS_REQUIRED) <= set(names)
    types = dict(LMS_COLUMNS["requests"])
    assert types["id"] == types["timestamp"] == "string"
    assert all(types[f"timestamp_{p}"] == "bigint" for p in ("year", "month", "day", "hour"))
    assert types["user_id"] == types["course_id"] == "bigint"


@pytest.mark.parametrize("table", sorted(LMS_COLUMNS))
def test_every_file_of_a_table_starts_with_the_contract_header(table):
    header = ",".join(name for name, _ in LMS_COLUMNS[table]).encode() + b"\n"
    files = [b for k, b in objects().items() if f"lmsapi/{table}/" in k]
    assert files and all(body.startswith(header) for body in files)


@pytest.mark.parametrize("table", sorted(LMS_COLUMNS))
def test_values_parse_as_the_glue_type_a_crawler_would_infer(table):
    t = lms_table(table)
    assert t.num_rows, f"{table} has no rows"
    for name, glue in LMS_COLUMNS[table]:
        values = t.column(name)
        is_int = pc.match_substring_regex(values, "^" + BIGINT.pattern + "$")
        is_double = pc.match_substring_regex(values, "^" + DOUBLE.pattern + "$")
        if glue == "bigint":
            assert pc.all(is_int).as_py(), f"{table}.{name} is not bigint"
        elif glue == "double":
            assert pc.all(is_double).as_py(), f"{table}.{name} is not double"
        else:
            assert glue == "string"
            # a string column must not look numeric throughout, or Glue would type it a number
            filled = pc.not_equal(values, "")
            numeric = pc.or_(is_int, is_double)
            assert not pc.any(filled).as_py() or not pc.all(pc.filter(numeric, filled)).as_py()


def test_csv_values_have_no_quotes_and_every_line_has_the_header_width():
    for key, body in objects().items():
        if not key.endswith(".csv"):
            continue
        assert b'"' not in body and b"\r" not in body, key
        assert body.endswith(b"\n")
        widths = Counter(line.count(b",") for line in body.split(b"\n")[:-1])
        assert list(widths) == [body.split(b"\n", 1)[0].count(b",")], key


def test_requests_users_are_enrolled_students_registered_in_the_course_that_term():
    req = lms("requests")
    st = sis("student")
    enrolled = {s for s, e in zip(st.column("student_id").to_pylist(),
                                  st.column("enroll_status").to_pylist()) if e == "enrolled"}
    reg = sis("course_registration")
    taken = set(zip(reg.column("student_id").to_pylist(), reg.column("course_id").to_pylist(),
                    reg.column("semester_id").to_pylist()))
    for user, course, date in zip(ints(req["user_id"]), ints(req["course_id"]),
                                  req["process_date"]):
        assert user in enrolled
        assert (user, course, 41 if date < "2021" else 42) in taken


def test_requests_timestamps_fall_inside_their_partition_week_and_match_the_parts():
    req = lms_table("requests")
    when = pc.strptime(req.column("timestamp"), "%Y-%m-%d %H:%M:%S", "s")
    monday = pc.strptime(req.column("process_date"), "%Y-%m-%d", "s")
    offset = pc.subtract(pc.cast(when, pa.int64()), pc.cast(monday, pa.int64()))
    assert pc.min(offset).as_py() >= 0 and pc.max(offset).as_py() < 7 * 86400
    for part, extract in (("year", pc.year), ("month", pc.month), ("day", pc.day),
                          ("hour", pc.hour)):
        stated = pc.cast(req.column(f"timestamp_{part}"), pa.int64())
        assert pc.all(pc.equal(stated, extract(when))).as_py(), part


def test_requests_heat_map_peaks_on_weekday_days_and_evenings():
    when = pc.strptime(lms_table("requests", "general.csv").column("timestamp"),
                       "%Y-%m-%d %H:%M:%S", "s")
    grid = np.zeros((7, 24))
    np.add.at(grid, (pc.day_of_week(when).to_numpy(), pc.hour(when).to_numpy()), 1)  # Monday = 0
    night = grid[:, 2:6].mean()
    assert grid[:5, 10:17].mean() > 5 * night  # weekday daytime
    assert grid[:5, 19:23].mean() > 5 * night  # weekday evening
    assert grid[5].sum() < 0.7 * grid[0].sum()  # quiet Saturday


def test_general_holds_page_views_and_submissions_holds_posts_to_submission_urls():
    general, posts = lms("requests", "general.csv"), lms("requests", "submissions.csv")
    assert set(general["http_method"]) == {"GET"}
    assert set(posts["http_method"]) == {"POST"}
    assert all(re.search(r"/courses/\d+/assignments/\d+/submissions$", u) for u in posts["url"])
    assert len(set(general["id"])) == len(general["id"])
    assert all(len(s) == 32 for s in general["session_id"])
    assert set(general["quiz_id"]) == {""}


def test_submissions_join_assignments_students_and_facts_and_some_are_late():
    sub, fact, asg = lms("submission_dim"), lms("submission_fact"), lms("assignment_dim")
    due = dict(zip(ints(asg["assignment_id"]), asg["all_day_date"]))
    students = set(sis("student").column("student_id").to_pylist())
    assert set(ints(sub["assignment_id"])) <= set(due)
    assert set(ints(sub["user_id"])) <= students
    assert sorted(zip(ints(sub["id"]), sub["process_date"])) == sorted(
        zip(ints(fact["submission_id"]), fact["process_date"]))
    late = sum(s[:10] > due[a] for s, a in zip(sub["submitted_at"], ints(sub["assignment_id"])))
    assert 0.02 < late / len(sub["id"]) < 0.25
    for submitted, part in zip(sub["submitted_at"], sub["process_date"]):
        assert part <= submitted[:10] < str(dt.date.fromisoformat(part) + dt.timedelta(days=7))


def test_every_submission_has_its_post_in_requests_at_default_scale():
    sub, posts = lms("submission_dim"), lms("requests", "submissions.csv")
    sent = {(u, ts, url.rsplit("/assignments/", 1)[1].split("/")[0])
            for u, ts, url in zip(posts["user_id"], posts["timestamp"], posts["url"])}
    assert all((u, ts, a) in sent for u, ts, a in
               zip(sub["user_id"], sub["submitted_at"], sub["assignment_id"]))


def test_lms_dimensions_use_sis_ids_and_terms():
    course_ids = set(sis("course").column("course_id").to_pylist())
    faculty = set(sis("faculty").column("faculty_id").to_pylist())
    students = set(sis("student").column("student_id").to_pylist())
    assert set(ints(lms("course_dim")["id"])) <= course_ids
    assert set(ints(lms("course_dim")["enrollment_term_id"])) == {41, 42}
    assert set(ints(lms("user_dim", "faculty.csv")["id"])) == faculty
    assert set(ints(lms("user_dim", "students.csv")["id"])) <= students
    enr = lms("enrollment_dim")
    for kind, user in zip(enr["type"], ints(enr["user_id"])):
        assert user in (students if kind == "StudentEnrollment" else faculty)
    assert set(ints(lms("requests")["user_id"])) <= set(ints(lms("user_dim", "students.csv")["id"]))
    accounts = set(lms("account_dim")["sis_source_id"])
    req = lms("requests")
    assert set(req["course_account_id"]) | set(req["root_account_id"]) <= accounts
    assert (set(ints(lms("assignment_fact")["assignment_id"]))
            == set(ints(lms("assignment_dim")["assignment_id"])))
