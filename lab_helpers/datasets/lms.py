"""Generate the Canvas-like LMS tables (all but `requests`) from the SIS of the two terms.

Ids follow the SIS so cross-system joins work: `user_dim.id` / `*.user_id` are SIS
`student_id`s (or `faculty_id`s for teachers), `course_id` is the SIS `course_id` and
`enrollment_term_id` the SIS `semester_id` (41 = Fall 2020, 42 = Spring 2021).
Accounts: 1 is the root (Peculiar U), 10 + school_id a school, 100 + department_id a
department; `course_account_id` is the course's department account.
"""

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pyarrow as pa

from . import vocab
from .formats import concat, csv_bytes, date_text, timestamp_text
from .layout import TERM_FIRST_MONDAY, WEEKS_PER_TERM, lms_key
from .sis import Sis, epoch_day, letter_grades

DAY = 86400
TERMS = tuple(TERM_FIRST_MONDAY)
DEPT_CODE = {d[0]: d[2] for d in vocab.DEPARTMENTS}
DEPT_SCHOOL = {d[0]: d[3] for d in vocab.DEPARTMENTS}


@dataclass
class TermActivity:
    """What the `requests` generator needs to know about one term."""
    term: int
    first_day: int               # epoch day of the first partition Monday
    user_id: np.ndarray          # one entry per active (not dropped) registration
    course_id: np.ndarray
    student_idx: np.ndarray
    account_code: pa.Array       # course's department code (requests.course_account_id)
    asg_start: np.ndarray        # per registration: first index into asg_id, and count
    asg_count: np.ndarray
    asg_id: np.ndarray           # assignment ids of the term, grouped by course
    sub: dict[str, np.ndarray]   # the term's submissions (ts, user_id, course_id, ...)


@dataclass
class Lms:
    objects: dict[str, bytes]             # every LMS object except requests
    terms: dict[int, TermActivity]


def _col(sis: Sis, table: str, name: str) -> np.ndarray:
    return sis.tables[table].column(name).to_numpy(zero_copy_only=False)


def _days(sis: Sis, table: str, name: str) -> np.ndarray:
    """A date column as epoch days."""
    return _col(sis, table, name).astype("datetime64[D]").astype(np.int64)


def _ts(day, seconds=0) -> pa.Array:
    return timestamp_text(np.asarray(day, dtype=np.int64) * DAY + seconds)


def _put(objects: dict[str, bytes], table: str, day, columns: dict, filename: str = "") -> None:
    objects[lms_key(table, day, filename or f"{table}.csv")] = csv_bytes(table, columns)


def generate_lms(rng: np.random.Generator, sis: Sis) -> Lms:
    objects: dict[str, bytes] = {}
    first = TERM_FIRST_MONDAY[41]
    sem_id = _col(sis, "semester", "semester_id")
    sem_start = dict(zip(sem_id, _days(sis, "semester", "start_date")))
    sem_end = dict(zip(sem_id, _days(sis, "semester", "end_date")))

    # account_dim: root, schools, departments
    schools = vocab.SCHOOLS
    acc_id = [1] + [10 + s[0] for s in schools] + [100 + d[0] for d in vocab.DEPARTMENTS]
    n_acc = len(acc_id)
    _put(objects, "account_dim", first, {
        "id": acc_id, "canvas_id": np.arange(1, n_acc + 1),
        "name": pa.array([vocab.UNIVERSITY[1]] + [s[1] for s in schools]
                         + [d[1] for d in vocab.DEPARTMENTS]),
        "depth": [0] + [1] * len(schools) + [2] * len(vocab.DEPARTMENTS),
        "workflow_state": pa.array(["active"] * n_acc),
        "parent_account_id": [0] + [1] * len(schools) + [10 + d[3] for d in vocab.DEPARTMENTS],
        "root_account_id": [1] * n_acc,
        "sis_source_id": pa.array([vocab.ROOT_ACCOUNT_CODE] + [s[3] for s in schools]
                                  + [d[2] for d in vocab.DEPARTMENTS]),
        "created_at": _ts(np.full(n_acc, epoch_day(first) - 2300), 9 * 3600),
    })

    stu_id = _col(sis, "student", "student_id").astype(np.int64)
    course_ids = _col(sis, "course", "course_id")
    course_name = dict(zip(course_ids, _col(sis, "course", "course_name")))
    course_code = dict(zip(course_ids, _col(sis, "course", "course_code")))
    course_dept = dict(zip(course_ids, _col(sis, "course", "department_id")))
    sch = {k: _col(sis, "course_schedule", k) for k in ("course_id", "semester_id", "staff_id")}
    reg = sis.reg
    lms_students = np.unique(reg["student_idx"][np.isin(reg["semester_id"], TERMS)])
    objects.update(_user_dim(sis, lms_students, first))

    terms = {}
    next_asg, next_enr = 200001, 500001
    for term in TERMS:
        monday = TERM_FIRST_MONDAY[term]
        start, end = int(sem_start[term]), int(sem_end[term])
        off = sch["semester_id"] == term
        off_course, off_staff = sch["course_id"][off], sch["staff_id"][off]
        dept = np.array([course_dept[c] for c in off_course])
        section = term * 10000 + off_course
        _put(objects, "course_dim", monday, {
            "id": off_course, "canvas_id": term * 1000 + np.arange(1, off_course.size + 1),
            "root_account_id": np.ones(off_course.size), "account_id": 100 + dept,
            "enrollment_term_id": np.full(off_course.size, term),
            "name": pa.array([course_name[c] for c in off_course]),
            "code": pa.array([course_code[c] for c in off_course]),
            "sis_source_id": pa.array([f"{course_code[c]}-{term}" for c in off_course]),
            "workflow_state": pa.array(["available"] * off_course.size),
            "start_at": _ts(np.full(off_course.size, start)),
            "conclude_at": _ts(np.full(off_course.size, end), DAY - 1),
            "created_at": _ts(np.full(off_course.size, start - 30), 9 * 3600),
        })

        # enrollments: students from course_registration, teachers from course_schedule
        r = np.flatnonzero(reg["semester_id"] == term)
        dropped = reg["status"][r] == "dropped"
        n_s, n_t = r.size, off_course.size
        e_ids = next_enr + np.arange(n_s + n_t)
        next_enr += n_s + n_t
        e_course = np.concatenate([reg["course_id"][r], off_course])
        e_user = np.concatenate([reg["student_id"][r], off_staff])
        e_created = np.concatenate([reg["date_registered"][r], np.full(n_t, start - 30)])
        e_updated = np.concatenate([
            np.where(dropped, reg["date_dropped"][r], reg["date_registered"][r]),
            np.full(n_t, start - 30)])
        e_section = term * 10000 + e_course
        e_dept = np.array([course_dept[c] for c in e_course])
        e_score = np.concatenate([np.where(dropped, 0.0, reg["score"][r]), np.zeros(n_t)])
        _put(objects, "enrollment_dim", monday, {
            "id": e_ids, "canvas_id": e_ids - 500000, "root_account_id": np.ones(e_ids.size),
            "course_section_id": e_section,
            "type": pa.array(["StudentEnrollment"] * n_s + ["TeacherEnrollment"] * n_t),
            "workflow_state": pa.array(np.concatenate([np.where(dropped, "deleted", "active"),
                                                       np.full(n_t, "active")])),
            "created_at": _ts(e_created, 10 * 3600), "updated_at": _ts(e_updated, 11 * 3600),
            "start_at": _ts(np.full(e_ids.size, start)),
            "end_at": _ts(np.full(e_ids.size, end), DAY - 1),
            "course_id": e_course, "user_id": e_user,
        })
        _put(objects, "enrollment_fact", monday, {
            "enrollment_id": e_ids, "user_id": e_user, "course_id": e_course,
            "enrollment_term_id": np.full(e_ids.size, term), "course_account_id": 100 + e_dept,
            "course_section_id": e_section, "computed_final_score": e_score,
            "computed_current_score": e_score,
        })

        asg = _assignments(rng, off_course, off_staff, dept, start, end, next_asg)
        next_asg += asg["assignment_id"].size
        n_a = asg["assignment_id"].size
        _put(objects, "assignment_dim", monday, {
            "assignment_id": asg["assignment_id"], "canvas_id": asg["assignment_id"] - 200000,
            "course_id": asg["course_id"], "title": pa.array(asg["title"]),
            "due_at": _ts(asg["due_day"], DAY - 60), "all_day_date": date_text(asg["due_day"]),
            "points_possible": asg["points"], "submission_types": pa.array(asg["submission_type"]),
            "workflow_state": pa.array(["published"] * n_a),
            "grading_type": pa.array(["points"] * n_a), "position": asg["position"],
            "created_at": _ts(np.full(n_a, start - 7), 14 * 3600),
        })
        a_dept = np.array([course_dept[c] for c in asg["course_id"]])
        _put(objects, "assignment_fact", monday, {
            "assignment_id": asg["assignment_id"], "course_id": asg["course_id"],
            "course_account_id": 100 + a_dept, "enrollment_term_id": np.full(n_a, term),
            "points_possible": asg["points"], "peer_review_count": asg["peer_reviews"],
            "assignment_group_id": (term * 10000 + asg["course_id"]) * 10 + asg["group"],
        })

        # which assignments each active registration has
        active = r[~dropped]
        a_start = np.searchsorted(asg["course_id"], reg["course_id"][active], side="left")
        a_end = np.searchsorted(asg["course_id"], reg["course_id"][active], side="right")
        a_count = a_end - a_start
        act = TermActivity(
            term=term, first_day=epoch_day(monday), user_id=reg["student_id"][active],
            course_id=reg["course_id"][active], student_idx=reg["student_idx"][active],
            account_code=pa.array([DEPT_CODE[course_dept[c]] for c in reg["course_id"][active]],
                                  pa.string()).dictionary_encode(),
            asg_start=a_start, asg_count=a_count, asg_id=asg["assignment_id"], sub={})
        act.sub = _submissions(rng, sis, act, asg, dict(zip(off_course, off_staff)))
        terms[term] = act
    objects.update(_submission_objects(terms, course_dept))
    return Lms(objects=objects, terms=terms)


def _user_dim(sis: Sis, students: np.ndarray, first) -> dict[str, bytes]:
    sem_id = _col(sis, "semester", "semester_id")
    sem_year = dict(zip(sem_id, _col(sis, "semester", "semester_year")))
    sem_start = dict(zip(sem_id, _days(sis, "semester", "start_date")))
    s = {k: _col(sis, "student", k)[students] for k in
         ("student_id", "first_name", "last_name", "gender", "admit_semester_id",
          "planned_grad_semester_id")}
    f = {k: _col(sis, "faculty", k)
         for k in ("faculty_id", "first_name", "last_name", "gender", "title")}
    n_f = f["faculty_id"].size
    out: dict[str, bytes] = {}
    for name, ids, first_n, last_n, gender, position, grad, created in (
        ("faculty.csv", f["faculty_id"], f["first_name"], f["last_name"], f["gender"],
         f["title"], np.zeros(n_f), np.full(n_f, epoch_day(first) - 2300)),
        ("students.csv", s["student_id"], s["first_name"], s["last_name"], s["gender"],
         np.full(students.size, "student"), [sem_year[p] for p in s["planned_grad_semester_id"]],
         [sem_start[a] - 60 for a in s["admit_semester_id"]]),
    ):
        n = len(ids)
        _put(out, "user_dim", first, filename=name, columns={
            "id": ids, "canvas_id": np.asarray(ids) % 100000, "root_account_id": np.ones(n),
            "name": concat(pa.array(first_n), " ", pa.array(last_n)),
            "time_zone": pa.array(["America/New_York"] * n), "created_at": _ts(created, 9 * 3600),
            "workflow_state": pa.array(["registered"] * n), "school_position": pa.array(position),
            "gender": pa.array(gender), "locale": pa.array(["en"] * n), "graduation_year": grad,
        })
    return out


def _assignments(rng, off_course, off_staff, dept, start, end, first_id) -> dict[str, np.ndarray]:
    """4-8 assignments per course offering, due through the term, sorted by course."""
    rows = []
    for course, d in sorted(zip(off_course.tolist(), dept.tolist())):
        n = int(rng.integers(4, 9))
        weeks = np.floor((np.arange(n) + rng.random()) * (15.0 / n) + 0.3).astype(int)
        due = np.minimum(start + 7 * weeks + rng.choice([2, 4, 6], n, p=[0.25, 0.4, 0.35]), end)
        kind = vocab.ASSIGNMENT_KINDS.get(DEPT_CODE[d], vocab.ASSIGNMENT_KINDS["default"])
        k = 0
        for j in range(n):
            if j == n - 1:
                title, pts, typ, grp = "Final Project", 100.0, "online_upload", 2
            elif j == n // 2:
                title, pts, typ, grp = "Midterm Exam", 100.0, "online_quiz", 2
            else:
                k += 1
                title, pts, typ, grp = (f"{kind} {k}", float(rng.choice([10, 20, 25, 50])),
                                        "online_upload", 1)
            rows.append((course, title, int(due[j]), pts, typ, j + 1, grp,
                         2 if kind == "Essay" and grp == 1 else 0))
    cols = list(zip(*rows))
    n = len(rows)
    return {"assignment_id": first_id + np.arange(n), "course_id": np.array(cols[0]),
            "title": list(cols[1]), "due_day": np.array(cols[2]), "points": np.array(cols[3]),
            "submission_type": list(cols[4]), "position": np.array(cols[5]),
            "group": np.array(cols[6]), "peer_reviews": np.array(cols[7])}


def _submissions(rng, sis: Sis, act: TermActivity, asg, staff_of) -> dict[str, np.ndarray]:
    """Each active registration submits most of its course's assignments, usually the
    evening or days before the 23:59 deadline; about one in ten is late."""
    reg_of = np.repeat(np.arange(act.user_id.size), act.asg_count)
    group_start = np.cumsum(act.asg_count) - act.asg_count
    within = np.arange(reg_of.size) - np.repeat(group_start, act.asg_count)
    a = act.asg_start[reg_of] + within
    ability = sis.ability[act.student_idx[reg_of]]
    keep = rng.random(a.size) < np.clip(0.88 + 0.05 * ability, 0.5, 0.99)
    reg_of, a, ability = reg_of[keep], a[keep], ability[keep]
    m = a.size
    due = asg["due_day"][a].astype(np.int64) * DAY + DAY - 60
    lead = np.where(rng.random(m) < 0.7, rng.exponential(10 * 3600, m),
                    rng.exponential(60 * 3600, m))
    late = rng.random(m) < 0.09
    ts = np.where(late, due + 60 + rng.exponential(20 * 3600, m), due - lead).astype(np.int64)
    # keep every submission inside the term's partitions: redraw (not clamp, which would
    # pile rows up on one second) those before the first Monday or after the last week
    lo, hi = act.first_day * DAY + 8 * 3600, (act.first_day + 7 * WEEKS_PER_TERM) * DAY - 1
    u = rng.random(m)
    ts = np.where(ts < lo, lo + u * np.maximum(due - lo, 0), ts)
    ts = np.where(ts > hi, np.minimum(due, hi) + u * np.maximum(hi - due, 0), ts).astype(np.int64)
    pct = np.clip(0.82 + 0.07 * ability + rng.normal(0, 0.12, m), 0, 1)
    pct = pct * np.where(ts > due, 0.9, 1.0)  # late penalty
    points = asg["points"][a]
    course = act.course_id[reg_of]
    return {
        "ts": ts, "user_id": act.user_id[reg_of], "course_id": course,
        "assignment_id": asg["assignment_id"][a], "due": due,
        "score": np.round(points * pct, 1), "grade": letter_grades(pct * 100)[0],
        "grader_id": np.array([staff_of[c] for c in course], dtype=np.int64),
        "submission_type": np.array(asg["submission_type"], dtype=object)[a],
        "attempt": rng.choice([1, 2, 3], m, p=[0.85, 0.12, 0.03]),
        "graded_at": ts + rng.integers(DAY, 7 * DAY, m),
        "comments": rng.poisson(0.3, m), "reg": reg_of,
    }


def _submission_objects(terms: dict[int, TermActivity], course_dept) -> dict[str, bytes]:
    """Number submissions in time order across both terms; one file per weekly partition."""
    all_ts = np.concatenate([t.sub["ts"] for t in terms.values()])
    rank = np.empty(all_ts.size, dtype=np.int64)
    rank[np.argsort(all_ts, kind="stable")] = np.arange(all_ts.size)
    out, offset = {}, 0
    for t in terms.values():
        s = t.sub
        n = s["ts"].size
        s["id"] = 3000001 + rank[offset:offset + n]
        offset += n
        week = (s["ts"] // DAY - t.first_day) // 7
        for w in range(WEEKS_PER_TERM):
            sel = np.flatnonzero(week == w)
            sel = sel[np.argsort(s["id"][sel])]
            monday = TERM_FIRST_MONDAY[t.term] + timedelta(weeks=w)
            dept = np.array([course_dept[c] for c in s["course_id"][sel]], dtype=np.int64)
            _put(out, "submission_dim", monday, {
                "id": s["id"][sel], "canvas_id": s["id"][sel] - 3000000,
                "assignment_id": s["assignment_id"][sel], "user_id": s["user_id"][sel],
                "grader_id": s["grader_id"][sel],
                "submission_type": pa.array(s["submission_type"][sel].tolist(), pa.string()),
                "workflow_state": pa.array(["graded"] * sel.size, pa.string()),
                "attempt": s["attempt"][sel],
                "grade": pa.array(s["grade"][sel].tolist(), pa.string()),
                "submitted_at": timestamp_text(s["ts"][sel]),
                "graded_at": timestamp_text(s["graded_at"][sel]),
                "created_at": timestamp_text(s["ts"][sel]),
                "updated_at": timestamp_text(s["graded_at"][sel]),
            })
            _put(out, "submission_fact", monday, {
                "submission_id": s["id"][sel], "assignment_id": s["assignment_id"][sel],
                "course_id": s["course_id"][sel], "enrollment_term_id": np.full(sel.size, t.term),
                "user_id": s["user_id"][sel], "grader_id": s["grader_id"][sel],
                "course_account_id": 100 + dept, "score": s["score"][sel],
                "published_score": s["score"][sel],
                "submission_comments_count": s["comments"][sel],
            })
    return out
