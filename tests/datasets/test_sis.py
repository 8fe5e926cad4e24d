"""SIS Parquet tables: workshop column names and types, referential integrity, quirks."""

import datetime as dt
import functools
import io

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from lab_helpers.datasets import SIS_SCHEMAS, generate, glue_type

# The workshop's MySQL DDL (workshop-anchors §3.3), written out independently of
# SIS_SCHEMAS so a change to either is caught.
MYSQL_DDL = {
    "university": "university_id INT, university_name VARCHAR(50), website_url VARCHAR(50)",
    "school": "school_id INT, school_name VARCHAR(50), relative_website_url VARCHAR(50), "
              "university_id BIGINT",
    "department": "department_id INT, department_name VARCHAR(100), department_code VARCHAR(4), "
                  "school_id BIGINT",
    "ed_level": "ed_level_id INT, ed_level_code VARCHAR(10), ed_level_desc VARCHAR(40)",
    "semester": "semester_id INT, start_date DATE, end_date DATE, term_name VARCHAR(20), "
                "semester_year SMALLINT, school_year_name VARCHAR(20)",
    "course": "course_id INT, course_name VARCHAR(150), course_level SMALLINT, "
              "course_code VARCHAR(10), school_id BIGINT, department_id BIGINT",
    "faculty": "faculty_id INT, first_name VARCHAR(30), last_name VARCHAR(30), gender VARCHAR(1), "
               "department_id BIGINT, tenure_years SMALLINT, is_tenured SMALLINT, "
               "title VARCHAR(30), dept_chair SMALLINT",
    "student": "student_id INT, first_name VARCHAR(30), last_name VARCHAR(30), gender VARCHAR(1), "
               "birth_date DATE, email_address VARCHAR(100), admitted SMALLINT, enrolled SMALLINT, "
               "parent_alum SMALLINT, parent_highest_ed SMALLINT, first_gen_hed_student SMALLINT, "
               "high_school_gpa DOUBLE, was_hs_athlete_ind SMALLINT, home_state_name VARCHAR(50), "
               "admit_type VARCHAR(15), private_hs_indicator SMALLINT, "
               "multiple_majors_indicator SMALLINT, secondary_class_percentile SMALLINT, "
               "department_id BIGINT, admit_semester_id BIGINT, first_year_gpa DOUBLE, "
               "cumulative_gpa DOUBLE, enroll_status VARCHAR(20), planned_grad_semester_id BIGINT",
    "course_registration": "date_registered DATE, date_dropped DATE, student_id BIGINT, "
                           "course_id BIGINT, status VARCHAR(10), semester_id BIGINT, "
                           "update_ts TIMESTAMP",
    "course_outcome": "student_id BIGINT, course_id BIGINT, semester_id BIGINT, score DOUBLE, "
                      "letter_grade VARCHAR(2)",
    "course_schedule": "course_id BIGINT, semester_id BIGINT, staff_id BIGINT, "
                       "lecture_days VARCHAR(7), lecture_start_hour SMALLINT, "
                       "lecture_duration SMALLINT, lab_days VARCHAR(7), lab_start_hour SMALLINT, "
                       "lab_duration SMALLINT",
    "degree_plan": "student_id BIGINT, course_id BIGINT, course_seq_no SMALLINT, "
                   "status VARCHAR(10), is_major_ind SMALLINT, semester_seq_no SMALLINT",
}
MYSQL_TO_ARROW = {"INT": pa.int32(), "BIGINT": pa.int64(), "SMALLINT": pa.int16(),
                  "DOUBLE": pa.float64(), "DATE": pa.date32(), "VARCHAR": pa.string(),
                  "TIMESTAMP": pa.timestamp("us")}
MYSQL_TO_GLUE = {"INT": "int", "BIGINT": "bigint", "SMALLINT": "smallint", "DOUBLE": "double",
                 "DATE": "date", "VARCHAR": "string", "TIMESTAMP": "timestamp"}
SENTINEL = dt.date(1, 1, 1)


def _ddl(table: str) -> list[tuple[str, str, int | None]]:
    cols = []
    for item in MYSQL_DDL[table].split(", "):
        name, typ = item.split(" ")
        base, _, length = typ.partition("(")
        cols.append((name, base, int(length[:-1]) if length else None))
    return cols


@functools.cache
def parquet_files() -> dict[str, bytes]:
    return {obj.key.split("/")[2]: obj.body for obj in generate() if obj.key.startswith("sisdb/")}


@functools.cache
def sis() -> dict[str, pa.Table]:
    return {table: pq.read_table(io.BytesIO(body)) for table, body in parquet_files().items()}


def _col(table: str, name: str) -> list:
    return sis()[table].column(name).to_pylist()


@pytest.mark.parametrize("table", sorted(MYSQL_DDL))
def test_sis_table_has_workshop_columns_and_arrow_types(table):
    ddl = _ddl(table)
    schema = sis()[table].schema
    assert schema.names == [name for name, _, _ in ddl]
    assert [schema.field(n).type for n, _, _ in ddl] == [MYSQL_TO_ARROW[t] for _, t, _ in ddl]
    assert SIS_SCHEMAS[table] == schema
    assert ([glue_type(schema.field(n).type) for n, _, _ in ddl]
            == [MYSQL_TO_GLUE[t] for _, t, _ in ddl])


@pytest.mark.parametrize("table", sorted(MYSQL_DDL))
def test_sis_strings_fit_their_varchar_length(table):
    for name, typ, length in _ddl(table):
        if typ == "VARCHAR":
            longest = max((len(v) for v in _col(table, name) if v is not None), default=0)
            assert longest <= length, f"{table}.{name} has a {longest}-char value"


def test_student_has_24_columns():
    assert sis()["student"].num_columns == 24


def test_parquet_physical_types_match_what_a_crawler_maps():
    reg = pq.ParquetFile(io.BytesIO(parquet_files()["course_registration"])).schema
    update_ts = reg.column(6)
    assert (update_ts.name, update_ts.physical_type) == ("update_ts", "INT64")
    assert '"timeUnit": "microseconds"' in update_ts.logical_type.to_json()
    assert '"isAdjustedToUTC": false' in update_ts.logical_type.to_json()  # no time zone
    assert [reg.column(i).logical_type.type for i in (0, 1, 4)] == ["DATE", "DATE", "STRING"]
    student = pq.ParquetFile(io.BytesIO(parquet_files()["student"])).schema
    assert student.column(0).physical_type == "INT32"           # INT -> int
    assert '"bitWidth": 16' in student.column(6).logical_type.to_json()  # SMALLINT -> smallint
    assert student.column(11).physical_type == "DOUBLE"


def test_semesters_run_fall_2014_to_fall_2021_with_the_workshop_dates():
    sem = {r["semester_id"]: r for r in sis()["semester"].to_pylist()}
    assert sorted(sem) == list(range(29, 44))
    assert (sem[29]["term_name"], sem[29]["semester_year"], sem[29]["start_date"]) == (
        "Fall", 2014, dt.date(2014, 8, 18))
    assert (sem[41]["start_date"], sem[41]["end_date"]) == (dt.date(2020, 8, 17),
                                                            dt.date(2020, 12, 4))
    assert (sem[42]["start_date"], sem[42]["end_date"]) == (dt.date(2021, 1, 18),
                                                            dt.date(2021, 5, 7))
    assert (sem[43]["term_name"], sem[43]["semester_year"]) == ("Fall", 2021)
    assert sem[41]["school_year_name"] == sem[42]["school_year_name"] == "2020-2021"


def test_college_of_engineering_owns_departments_25_to_29_among_several_schools():
    schools = dict(zip(_col("school", "school_id"), _col("school", "school_name")))
    assert schools[2] == "College of Engineering" and len(schools) >= 3
    depts = sis()["department"].to_pylist()
    coe = sorted(d["department_id"] for d in depts if d["school_id"] == 2)
    assert coe == [25, 26, 27, 28, 29]
    codes = {d["department_id"]: d["department_code"] for d in depts}
    assert (codes[25], codes[29]) == ("AERO", "ENVI")
    assert set(d["school_id"] for d in depts) == set(schools)
    assert _col("university", "website_url") == ["http://www.peculiaru.awstommy.com"]


def test_planned_grad_semester_is_zero_exactly_for_students_not_enrolled():
    for row in sis()["student"].to_pylist():
        if row["enroll_status"] == "enrolled":
            assert row["enrolled"] == 1
            assert row["admit_semester_id"] <= row["planned_grad_semester_id"] <= 43
        else:
            assert row["enroll_status"] in ("admitted", "declined")
            assert row["planned_grad_semester_id"] == 0 and row["enrolled"] == 0
    statuses = set(_col("student", "enroll_status"))
    assert statuses == {"enrolled", "admitted", "declined"}


def test_student_quirks_zero_gpas_empty_birth_dates_and_state_fragments():
    students = sis()["student"].to_pylist()
    enrolled = [s for s in students if s["enroll_status"] == "enrolled"]
    assert any(s["cumulative_gpa"] == 0 for s in enrolled)
    assert any(s["first_year_gpa"] == 0 for s in enrolled)
    assert any(s["high_school_gpa"] == 0 for s in students)
    assert all(0 <= s["cumulative_gpa"] <= 4 for s in students)
    assert 0 < sum(s["birth_date"] is None for s in students) < len(students) / 4
    assert {"District ", "of Columbia"} & {s["home_state_name"] for s in students}
    assert all(s["email_address"].endswith("@example.com") for s in students)


def test_date_dropped_uses_the_0001_01_01_sentinel_when_not_dropped():
    for row in sis()["course_registration"].to_pylist():
        if row["status"] == "dropped":
            assert row["date_dropped"] > row["date_registered"]
        else:
            assert row["date_dropped"] == SENTINEL
    statuses = set(_col("course_registration", "status"))
    assert {"completed", "dropped"} <= statuses <= {"completed", "dropped", "registered"}


def test_registrations_reference_students_courses_semesters_and_offered_sections():
    students = dict(zip(_col("student", "student_id"), _col("student", "enroll_status")))
    offered = set(zip(_col("course_schedule", "course_id"), _col("course_schedule", "semester_id")))
    reg = sis()["course_registration"]
    for student, course, semester in zip(reg.column("student_id").to_pylist(),
                                         reg.column("course_id").to_pylist(),
                                         reg.column("semester_id").to_pylist()):
        assert students[student] == "enrolled"
        assert (course, semester) in offered
    pairs = list(zip(reg.column("student_id").to_pylist(), reg.column("course_id").to_pylist(),
                     reg.column("date_registered").to_pylist()))
    assert len(pairs) == len(set(pairs))  # the table's primary key


def test_outcomes_are_the_completed_registrations_with_matching_letters():
    reg = sis()["course_registration"]
    completed = pc.equal(reg.column("status"), "completed")
    done = set(zip(*(reg.filter(completed).column(c).to_pylist()
                     for c in ("student_id", "course_id", "semester_id"))))
    out = sis()["course_outcome"].to_pylist()
    assert {(o["student_id"], o["course_id"], o["semester_id"]) for o in out} == done
    for o in out:
        assert 0 <= o["score"] <= 100
        assert (o["letter_grade"] == "F") == (o["score"] < 60)
        if o["score"] >= 97:
            assert o["letter_grade"] == "A+"


def test_schedule_staff_are_faculty_of_the_course_department():
    fac_dept = dict(zip(_col("faculty", "faculty_id"), _col("faculty", "department_id")))
    course_dept = dict(zip(_col("course", "course_id"), _col("course", "department_id")))
    for row in sis()["course_schedule"].to_pylist():
        assert fac_dept[row["staff_id"]] == course_dept[row["course_id"]]
        assert len(row["lecture_days"]) == 7 and set(row["lecture_days"]) <= {"0", "1"}
    chairs = [d for d, chair in zip(_col("faculty", "department_id"),
                                    _col("faculty", "dept_chair")) if chair]
    assert sorted(chairs) == sorted(set(course_dept.values()))


def test_degree_plans_belong_to_enrolled_students_and_reference_courses():
    enrolled = {s for s, e in zip(_col("student", "student_id"), _col("student", "enroll_status"))
                if e == "enrolled"}
    courses = set(_col("course", "course_id"))
    plan = sis()["degree_plan"]
    assert set(plan.column("student_id").to_pylist()) == enrolled
    assert set(plan.column("course_id").to_pylist()) <= courses
    assert set(plan.column("status").to_pylist()) == {"completed", "pending"}
    assert min(plan.column("semester_seq_no").to_pylist()) == 1
