"""Column contracts of the data set: Arrow schemas of the SIS tables, Glue types of the LMS CSVs.

SIS types follow the workshop's MySQL DDL as DMS writes it to Parquet, so a Glue crawler
infers the workshop's catalog types: INT -> int32 (`int`), BIGINT -> int64 (`bigint`),
SMALLINT -> int16 (`smallint`), DOUBLE -> float64 (`double`), DATE -> date32 (`date`),
VARCHAR -> string, TIMESTAMP -> timestamp[us] without time zone (`timestamp`).

LMS types are what Glue's CSV classifier infers from the values: whole numbers -> `bigint`,
numbers with a decimal point -> `double`, everything else (dates and timestamps included)
-> `string`. Double columns are always written with a decimal point (`20.0`) so the
crawler never narrows them to bigint.
"""

import pyarrow as pa

_I32, _I64, _I16, _F64 = pa.int32(), pa.int64(), pa.int16(), pa.float64()
_DATE, _STR, _TS = pa.date32(), pa.string(), pa.timestamp("us")


def _schema(*cols: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema([pa.field(name, typ) for name, typ in cols])


SIS_SCHEMAS: dict[str, pa.Schema] = {
    "university": _schema(
        ("university_id", _I32), ("university_name", _STR), ("website_url", _STR)),
    "school": _schema(
        ("school_id", _I32), ("school_name", _STR), ("relative_website_url", _STR),
        ("university_id", _I64)),
    "department": _schema(
        ("department_id", _I32), ("department_name", _STR), ("department_code", _STR),
        ("school_id", _I64)),
    "ed_level": _schema(
        ("ed_level_id", _I32), ("ed_level_code", _STR), ("ed_level_desc", _STR)),
    "semester": _schema(
        ("semester_id", _I32), ("start_date", _DATE), ("end_date", _DATE),
        ("term_name", _STR), ("semester_year", _I16), ("school_year_name", _STR)),
    "course": _schema(
        ("course_id", _I32), ("course_name", _STR), ("course_level", _I16),
        ("course_code", _STR), ("school_id", _I64), ("department_id", _I64)),
    "faculty": _schema(
        ("faculty_id", _I32), ("first_name", _STR), ("last_name", _STR), ("gender", _STR),
        ("department_id", _I64), ("tenure_years", _I16), ("is_tenured", _I16),
        ("title", _STR), ("dept_chair", _I16)),
    "student": _schema(
        ("student_id", _I32), ("first_name", _STR), ("last_name", _STR), ("gender", _STR),
        ("birth_date", _DATE), ("email_address", _STR), ("admitted", _I16),
        ("enrolled", _I16), ("parent_alum", _I16), ("parent_highest_ed", _I16),
        ("first_gen_hed_student", _I16), ("high_school_gpa", _F64),
        ("was_hs_athlete_ind", _I16), ("home_state_name", _STR), ("admit_type", _STR),
        ("private_hs_indicator", _I16), ("multiple_majors_indicator", _I16),
        ("secondary_class_percentile", _I16), ("department_id", _I64),
        ("admit_semester_id", _I64), ("first_year_gpa", _F64), ("cumulative_gpa", _F64),
        ("enroll_status", _STR), ("planned_grad_semester_id", _I64)),
    "course_registration": _schema(
        ("date_registered", _DATE), ("date_dropped", _DATE), ("student_id", _I64),
        ("course_id", _I64), ("status", _STR), ("semester_id", _I64), ("update_ts", _TS)),
    "course_outcome": _schema(
        ("student_id", _I64), ("course_id", _I64), ("semester_id", _I64), ("score", _F64),
        ("letter_grade", _STR)),
    "course_schedule": _schema(
        ("course_id", _I64), ("semester_id", _I64), ("staff_id", _I64),
        ("lecture_days", _STR), ("lecture_start_hour", _I16), ("lecture_duration", _I16),
        ("lab_days", _STR), ("lab_start_hour", _I16), ("lab_duration", _I16)),
    "degree_plan": _schema(
        ("student_id", _I64), ("course_id", _I64), ("course_seq_no", _I16),
        ("status", _STR), ("is_major_ind", _I16), ("semester_seq_no", _I16)),
}

_ARROW_TO_GLUE = {
    pa.int32(): "int", pa.int64(): "bigint", pa.int16(): "smallint", pa.float64(): "double",
    pa.date32(): "date", pa.string(): "string", pa.timestamp("us"): "timestamp",
}


def glue_type(arrow_type: pa.DataType) -> str:
    """The Glue catalog type a crawler gives a Parquet column of this Arrow type."""
    return _ARROW_TO_GLUE[arrow_type]


def _cols(spec: str) -> list[tuple[str, str]]:
    """'id:bigint name:string' -> [('id', 'bigint'), ('name', 'string')]."""
    return [tuple(item.split(":")) for item in spec.split()]  # type: ignore[misc]


# Canvas-Data-v1-like shapes, trimmed. `requests` keeps the 21 data columns the workshop's
# Glue table shows (the crawler adds `process_date`): the first eleven in the console's
# order, then the Canvas v1 columns the labs and a usage heat map need.
LMS_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "account_dim": _cols(
        "id:bigint canvas_id:bigint name:string depth:bigint workflow_state:string "
        "parent_account_id:bigint root_account_id:bigint sis_source_id:string "
        "created_at:string"),
    "assignment_dim": _cols(
        "assignment_id:bigint canvas_id:bigint course_id:bigint title:string "
        "due_at:string all_day_date:string points_possible:double submission_types:string "
        "workflow_state:string grading_type:string position:bigint created_at:string"),
    "assignment_fact": _cols(
        "assignment_id:bigint course_id:bigint course_account_id:bigint "
        "enrollment_term_id:bigint points_possible:double peer_review_count:bigint "
        "assignment_group_id:bigint"),
    "course_dim": _cols(
        "id:bigint canvas_id:bigint root_account_id:bigint account_id:bigint "
        "enrollment_term_id:bigint name:string code:string sis_source_id:string "
        "workflow_state:string start_at:string conclude_at:string created_at:string"),
    "enrollment_dim": _cols(
        "id:bigint canvas_id:bigint root_account_id:bigint course_section_id:bigint "
        "type:string workflow_state:string created_at:string updated_at:string "
        "start_at:string end_at:string course_id:bigint user_id:bigint"),
    "enrollment_fact": _cols(
        "enrollment_id:bigint user_id:bigint course_id:bigint enrollment_term_id:bigint "
        "course_account_id:bigint course_section_id:bigint computed_final_score:double "
        "computed_current_score:double"),
    "requests": _cols(
        "id:string timestamp:string timestamp_year:bigint timestamp_month:bigint "
        "timestamp_day:bigint timestamp_hour:bigint user_id:bigint course_id:bigint "
        "root_account_id:string course_account_id:string quiz_id:string url:string "
        "user_agent:string http_method:string remote_ip:string interaction_micros:bigint "
        "web_application_controller:string web_application_action:string "
        "session_id:string http_status:bigint http_version:string"),
    "submission_dim": _cols(
        "id:bigint canvas_id:bigint assignment_id:bigint user_id:bigint grader_id:bigint "
        "submission_type:string workflow_state:string attempt:bigint grade:string "
        "submitted_at:string graded_at:string created_at:string updated_at:string"),
    "submission_fact": _cols(
        "submission_id:bigint assignment_id:bigint course_id:bigint "
        "enrollment_term_id:bigint user_id:bigint grader_id:bigint course_account_id:bigint "
        "score:double published_score:double submission_comments_count:bigint"),
    "user_dim": _cols(
        "id:bigint canvas_id:bigint root_account_id:bigint name:string time_zone:string "
        "created_at:string workflow_state:string school_position:string gender:string "
        "locale:string graduation_year:bigint"),
}
