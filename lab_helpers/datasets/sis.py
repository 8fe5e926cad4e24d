"""Generate the SIS side of Peculiar U: the twelve relational tables as Arrow tables.

Quirks kept on purpose because the labs teach with them (workshop-anchors §3.3):
`date_dropped = 0001-01-01` means "not dropped"; GPAs of 0 mean "not given";
`planned_grad_semester_id = 0` for students who never enrolled (admitted/declined), so
DataBrew's inner join on semester drops exactly them; some birth dates are empty; a few
`home_state_name` values are fragments of "District of Columbia".
`course_schedule` day masks run Sunday..Saturday (`0101010` = Mon/Wed/Fri).
"""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from . import vocab
from .schemas import SIS_SCHEMAS

EPOCH = date(1970, 1, 1)
SENTINEL_DAY = (date(1, 1, 1) - EPOCH).days  # 0001-01-01: "not dropped"
SEMESTERS = np.arange(29, 44)  # 29 = Fall 2014 ... 43 = Fall 2021
COURSES_PER_LEVEL = {100: 6, 200: 5, 300: 5, 400: 4}
LEVELS = np.array([100, 200, 300, 400])
# preference for a course level by study year (rows: year 0..3+, cols: 100..400)
LEVEL_PREF = np.array([[1.0, 0.3, 0.03, 0.01], [0.5, 1.0, 0.3, 0.05],
                       [0.15, 0.5, 1.0, 0.4], [0.1, 0.3, 0.8, 1.0]])
GRADES = [(97, "A+", 4.0), (93, "A", 4.0), (90, "A-", 3.7), (87, "B+", 3.3), (83, "B", 3.0),
          (80, "B-", 2.7), (77, "C+", 2.3), (73, "C", 2.0), (70, "C-", 1.7), (67, "D+", 1.3),
          (63, "D", 1.0), (60, "D-", 0.7), (0, "F", 0.0)]
PLAN_LENGTH = 32  # courses in a four-year degree plan


def n_students(scale: float) -> int:
    """Students grow with the square root of scale and stop at 5,000 (a realistic college)."""
    return int(round(1000 * min(max(scale, 0.05), 25.0) ** 0.5))


def epoch_day(d: date) -> int:
    return (d - EPOCH).days


def _monday_on_or_after(d: date) -> date:
    return d + timedelta(days=(7 - d.weekday()) % 7)


def semester_calendar() -> list[tuple[int, date, date, str, int, str]]:
    """(id, start, end, term, year, school year): Fall starts the Monday on/after Aug 15,
    Spring the Monday on/after Jan 15; 16 weeks minus the last weekend (41 = 2020-08-17 -
    2020-12-04, 42 = 2021-01-18 - 2021-05-07, as in the workshop)."""
    rows = []
    for sid in SEMESTERS.tolist():
        k = sid - 29
        fall = k % 2 == 0
        year = 2014 + (k + 1) // 2
        start = _monday_on_or_after(date(year, 8, 15) if fall else date(year, 1, 15))
        school_year = f"{year}-{year + 1}" if fall else f"{year - 1}-{year}"
        rows.append((sid, start, start + timedelta(days=109), "Fall" if fall else "Spring",
                     year, school_year))
    return rows


def letter_grades(score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cuts = np.array([c for c, _, _ in GRADES][::-1], dtype=float)
    idx = len(GRADES) - np.searchsorted(cuts, score, side="right")
    return (np.array([g for _, g, _ in GRADES], dtype=object)[idx],
            np.array([p for _, _, p in GRADES])[idx])


@dataclass
class Sis:
    """The SIS tables plus the aligned numpy columns the LMS generator builds on."""
    tables: dict[str, pa.Table]
    ability: np.ndarray        # latent skill per student row
    reg: dict[str, np.ndarray]  # course_registration columns (+ row index of student/course)


def _table(name: str, cols: dict) -> pa.Table:
    schema = SIS_SCHEMAS[name]
    arrays = []
    for f in schema:
        v = cols[f.name]
        if isinstance(v, pa.Array):
            arrays.append(v.cast(f.type))
        elif f.type == pa.date32():
            arrays.append(pa.array(v, f.type) if isinstance(v, list)
                          else pa.array(np.asarray(v, dtype=np.int32)).view(pa.date32()))
        else:
            arrays.append(pa.array(v, f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def generate_sis(rng: np.random.Generator, scale: float) -> Sis:
    cal = semester_calendar()
    sem_start = {sid: epoch_day(s) for sid, s, *_ in cal}
    sem_end = {sid: epoch_day(e) for sid, _, e, *_ in cal}
    depts = vocab.DEPARTMENTS
    t = {
        "university": _table("university", dict(zip(
            ["university_id", "university_name", "website_url"],
            [[v] for v in vocab.UNIVERSITY]))),
        "school": _table("school", {
            "school_id": [s[0] for s in vocab.SCHOOLS],
            "school_name": [s[1] for s in vocab.SCHOOLS],
            "relative_website_url": [s[2] for s in vocab.SCHOOLS],
            "university_id": [1] * len(vocab.SCHOOLS)}),
        "department": _table("department", {
            "department_id": [d[0] for d in depts], "department_name": [d[1] for d in depts],
            "department_code": [d[2] for d in depts], "school_id": [d[3] for d in depts]}),
        "ed_level": _table("ed_level", dict(zip(
            ["ed_level_id", "ed_level_code", "ed_level_desc"], map(list, zip(*vocab.ED_LEVELS))))),
        "semester": _table("semester", dict(zip(
            ["semester_id", "start_date", "end_date", "term_name", "semester_year",
             "school_year_name"], map(list, zip(*cal))))),
    }

    # courses: 20 per department, named from the department's topics
    c_id, c_name, c_level, c_code, c_school, c_dept = [], [], [], [], [], []
    for dept_id, _, code, school_id, _, _, topics in depts:
        for level, count in COURSES_PER_LEVEL.items():
            for j in range(count):
                pattern = vocab.COURSE_NAME_PATTERNS[level][j // len(topics)]
                c_id.append(len(c_id) + 1)
                c_name.append(pattern.format(t=topics[j % len(topics)]))
                c_level.append(level)
                c_code.append(f"{code}-{level + 5 * j:04d}")
                c_school.append(school_id)
                c_dept.append(dept_id)
    t["course"] = _table("course", {
        "course_id": c_id, "course_name": c_name, "course_level": c_level,
        "course_code": c_code, "school_id": c_school, "department_id": c_dept})
    course_dept, course_level = np.array(c_dept), np.array(c_level)
    n_courses = len(c_id)

    # faculty: 5-8 per department, the longest-serving professor chairs it
    f_rows = []
    for dept_id, *_ in depts:
        n_f = int(rng.integers(5, 9))
        titles = rng.choice(vocab.FACULTY_TITLES, n_f, p=_norm(vocab.FACULTY_TITLE_WEIGHTS))
        titles[0] = "professor"
        lo_hi = {"professor": (12, 36), "associate professor": (6, 20),
                 "assistant professor": (0, 7), "instructor": (0, 15), "lecturer": (0, 10)}
        years = [int(rng.integers(*lo_hi[ti])) for ti in titles]
        chair = int(np.argmax([y if ti == "professor" else -1 for y, ti in zip(years, titles)]))
        for i, (ti, y) in enumerate(zip(titles, years)):
            gender = "F" if rng.random() < 0.48 else "M"
            pool = vocab.FIRST_NAMES_F if gender == "F" else vocab.FIRST_NAMES_M
            f_rows.append((1001 + len(f_rows), pool[rng.integers(len(pool))],
                           vocab.LAST_NAMES[rng.integers(len(vocab.LAST_NAMES))], gender,
                           dept_id, y, int(ti in ("professor", "associate professor")),
                           str(ti), int(i == chair)))
    t["faculty"] = _table("faculty", dict(zip(SIS_SCHEMAS["faculty"].names,
                                              map(list, zip(*f_rows)))))
    fac_id = np.array([r[0] for r in f_rows])
    fac_dept = np.array([r[4] for r in f_rows])

    # course_schedule: each course offered most semesters, taught by its department
    cc, ss = np.meshgrid(np.arange(n_courses), SEMESTERS, indexing="ij")
    cc, ss = cc.ravel(), ss.ravel()
    offered = rng.random(cc.size) < np.where(course_level[cc] == 100, 0.95, 0.8)
    cc, ss = cc[offered], ss[offered]
    n_off = cc.size
    staff = np.empty(n_off, dtype=np.int64)
    for dept_id in np.unique(course_dept):
        rows = np.flatnonzero(course_dept[cc] == dept_id)
        staff[rows] = rng.choice(fac_id[fac_dept == dept_id], rows.size)
    mwf = rng.random(n_off) < 0.55
    has_lab = np.isin(course_dept[cc], [d[0] for d in depts if d[5]]) & (
        course_level[cc] <= 200) & (rng.random(n_off) < 0.6)
    lab_day = rng.integers(1, 6, n_off)
    t["course_schedule"] = _table("course_schedule", {
        "course_id": np.array(c_id)[cc], "semester_id": ss, "staff_id": staff,
        "lecture_days": np.where(mwf, "0101010", "0010100"),
        "lecture_start_hour": rng.integers(8, 17, n_off),
        "lecture_duration": np.where(mwf, 50, 75),
        "lab_days": np.where(has_lab, ["".join("1" if i == d else "0" for i in range(7))
                                       for d in lab_day], "0000000"),
        "lab_start_hour": np.where(has_lab, rng.integers(13, 17, n_off), 0),
        "lab_duration": np.where(has_lab, 90, 0)})

    stu = _students(rng, scale, cal)
    ability = stu.pop("_ability")
    reg = _registrations(rng, stu, ability, cc, ss, course_dept, course_level,
                         sem_start, sem_end)
    reg["course_id"] = np.array(c_id)[reg["course_idx"]]
    reg["student_id"] = stu["student_id"][reg["student_idx"]]
    t["course_registration"] = _table("course_registration", reg)
    done = reg["status"] == "completed"
    t["course_outcome"] = _table("course_outcome", {
        "student_id": reg["student_id"][done], "course_id": reg["course_id"][done],
        "semester_id": reg["semester_id"][done], "score": reg["score"][done],
        "letter_grade": reg["letter_grade"][done]})

    # GPAs from the outcomes; 0 where nothing is known or (randomly) not given
    points = reg["grade_points"]
    first_year = reg["semester_id"] < stu["admit_semester_id"][reg["student_idx"]] + 2
    for col, mask in (("cumulative_gpa", done), ("first_year_gpa", done & first_year)):
        n = np.bincount(reg["student_idx"][mask], minlength=len(ability))
        total = np.bincount(reg["student_idx"][mask], weights=points[mask], minlength=len(ability))
        gpa = np.round(np.divide(total, n, out=np.zeros(len(n)), where=n > 0), 2)
        stu[col] = np.where(rng.random(len(n)) < 0.06, 0.0, gpa)
    t["student"] = _table("student", stu)
    t["degree_plan"] = _degree_plans(rng, stu, reg, course_dept, course_level, c_id)
    return Sis(tables=dict(sorted(t.items())), ability=ability, reg=reg)


def _norm(w) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    return w / w.sum()


def _students(rng, scale, cal) -> dict[str, np.ndarray]:
    n = n_students(scale)
    sid = 100010 + np.cumsum(rng.integers(1, 8, n))
    gender = np.where(rng.random(n) < 0.52, "F", "M")
    first_f = np.array(vocab.FIRST_NAMES_F)[rng.integers(len(vocab.FIRST_NAMES_F), size=n)]
    first_m = np.array(vocab.FIRST_NAMES_M)[rng.integers(len(vocab.FIRST_NAMES_M), size=n)]
    first = np.where(gender == "F", first_f, first_m)
    last = np.array(vocab.LAST_NAMES)[rng.integers(len(vocab.LAST_NAMES), size=n)]
    email = [f"{f}.{l}{i % 1000:03d}@example.com".lower() for f, l, i in zip(first, last, sid)]
    depts = vocab.DEPARTMENTS
    dept = rng.choice([d[0] for d in depts], n, p=_norm([d[4] for d in depts]))
    admit = rng.choice(SEMESTERS, n, p=_norm(np.where(SEMESTERS % 2 == 1, 3.0, 1.0)))
    u = rng.random(n)
    status = np.where(admit == 43, np.where(u < 0.72, "admitted", "declined"),
                      np.where(u < 0.80, "enrolled", np.where(u < 0.83, "admitted", "declined")))
    enrolled = status == "enrolled"
    span = rng.choice([7, 5, 9], n, p=[0.85, 0.1, 0.05])
    planned = np.where(enrolled, np.minimum(admit + span, 43), 0)
    admit_year = np.array([c[1].year for c in cal])[admit - 29]
    birth = (np.array([epoch_day(date(int(y) - 18, 1, 1)) for y in admit_year])
             + rng.integers(-200, 365, n))
    ability = rng.normal(0.0, 1.0, n)
    hs_gpa = np.round(np.clip(3.3 + 0.35 * ability + rng.normal(0, 0.25, n), 2.0, 4.0), 2)
    parent_ed = rng.choice(10, n, p=_norm(vocab.ED_LEVEL_WEIGHTS))
    states = rng.choice([s for s, _ in vocab.STATES], n, p=_norm([w for _, w in vocab.STATES]))
    states[rng.random(n) < 0.012] = rng.choice(vocab.STATE_FRAGMENTS)
    return {
        "student_id": sid, "first_name": first, "last_name": last, "gender": gender,
        "birth_date": pa.array(birth.astype(np.int32), mask=rng.random(n) < 0.08).view(pa.date32()),
        "email_address": email, "admitted": np.ones(n, dtype=np.int16),
        "enrolled": enrolled.astype(np.int16),
        "parent_alum": (rng.random(n) < 0.04 + 0.1 * (parent_ed >= 6)).astype(np.int16),
        "parent_highest_ed": parent_ed,
        "first_gen_hed_student": ((parent_ed >= 1) & (parent_ed <= 5)).astype(np.int16),
        "high_school_gpa": np.where(rng.random(n) < 0.04, 0.0, hs_gpa),
        "was_hs_athlete_ind": (rng.random(n) < 0.14).astype(np.int16),
        "home_state_name": states,
        "admit_type": rng.choice(["Regular", "Early Action", "Early Decision"], n,
                                 p=[0.7, 0.2, 0.1]),
        "private_hs_indicator": (rng.random(n) < 0.2).astype(np.int16),
        "multiple_majors_indicator": (enrolled & (rng.random(n) < 0.07)).astype(np.int16),
        "secondary_class_percentile": np.clip(
            np.round(50 + 28 * ability + rng.normal(0, 10, n)), 1, 99),
        "department_id": dept, "admit_semester_id": admit,
        "first_year_gpa": np.zeros(n), "cumulative_gpa": np.zeros(n),  # filled from outcomes
        "enroll_status": status, "planned_grad_semester_id": planned,
        "_ability": ability,
    }


def _registrations(rng, stu, ability, off_course, off_sem, course_dept, course_level,
                   sem_start, sem_end) -> dict[str, np.ndarray]:
    """Each enrolled student takes 3-6 offered courses a semester from admit to planned
    graduation, mostly in the major and at the level of the study year (Gumbel top-k)."""
    n_stu, n_courses = len(ability), len(course_dept)
    taken = np.zeros((n_stu, n_courses), dtype=bool)
    level_col = np.searchsorted(LEVELS, course_level)
    out = {k: [] for k in ("student_idx", "course_idx", "semester_id", "dropped")}
    enrolled = stu["enrolled"] == 1
    for s in SEMESTERS.tolist():
        act = np.flatnonzero(enrolled & (stu["admit_semester_id"] <= s)
                             & (stu["planned_grad_semester_id"] >= s))
        courses = off_course[off_sem == s]
        if act.size == 0 or courses.size == 0:
            continue
        year = np.minimum((s - stu["admit_semester_id"][act]) // 2, 3)
        major = course_dept[courses][None, :] == stu["department_id"][act][:, None]
        lower = course_level[courses] <= 200
        w = np.where(major, 12.0, np.where(lower, 0.5, 0.05)[None, :])
        w = w * LEVEL_PREF[year][:, level_col[courses]]
        w[taken[act][:, courses]] = 0.0
        with np.errstate(divide="ignore"):
            key = np.log(w) + rng.gumbel(size=w.shape)
        k_max = min(6, courses.size)
        top = np.argpartition(-key, k_max - 1, axis=1)[:, :k_max]
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(key, top, 1), 1), 1)
        k = rng.choice([3, 4, 5, 6], act.size, p=[0.1, 0.4, 0.42, 0.08])
        pick = (np.arange(k_max)[None, :] < k[:, None]) & np.isfinite(
            np.take_along_axis(key, top, 1))
        rows, cols = np.nonzero(pick)
        st, co = act[rows], courses[top[rows, cols]]
        dropped = (rng.random(st.size) < 0.05) & (s < 43)
        taken[st[~dropped], co[~dropped]] = True
        out["student_idx"].append(st)
        out["course_idx"].append(co)
        out["semester_id"].append(np.full(st.size, s))
        out["dropped"].append(dropped)
    reg = {k: np.concatenate(v) for k, v in out.items()}
    n = reg["student_idx"].size
    start = np.vectorize(sem_start.get)(reg["semester_id"])
    end = np.vectorize(sem_end.get)(reg["semester_id"])
    dropped = reg.pop("dropped")
    registered = start - rng.integers(10, 100, n)
    drop_day = start + rng.integers(3, 50, n)
    future = reg["semester_id"] == 43
    status = np.where(dropped, "dropped", np.where(future, "registered", "completed"))
    ts_day = np.where(dropped, drop_day, np.where(future, registered, end + rng.integers(2, 12, n)))
    course_bias = np.random.default_rng(int(rng.integers(2**32))).normal(0, 3, len(course_dept))
    score = np.round(np.clip(78 + 7 * ability[reg["student_idx"]] + course_bias[reg["course_idx"]]
                             - (course_level[reg["course_idx"]] - 100) / 100
                             + rng.normal(0, 8, n), 30, 100), 2)
    letter, points = letter_grades(score)
    reg.update({
        "date_registered": registered,
        "date_dropped": np.where(dropped, drop_day, SENTINEL_DAY),
        "status": status,
        "update_ts": (ts_day * 86400 + rng.integers(7 * 3600, 22 * 3600, n)) * 1_000_000,
        "score": score, "letter_grade": letter, "grade_points": points,
    })
    return reg


def _degree_plans(rng, stu, reg, course_dept, course_level, c_id) -> pa.Table:
    """Completed (and Fall 2021 registered) courses in order, then pending major courses
    until the plan holds 32 courses over 8 semesters."""
    c_id = np.array(c_id)
    order = np.lexsort((reg["course_idx"], reg["semester_id"], reg["student_idx"]))
    keep = order[reg["status"][order] != "dropped"]
    bounds = np.searchsorted(reg["student_idx"][keep], np.arange(len(stu["student_id"]) + 1))
    cols = {k: [] for k in SIS_SCHEMAS["degree_plan"].names}
    for i in np.flatnonzero(stu["enrolled"] == 1):
        rows = keep[bounds[i]:bounds[i + 1]]
        courses = reg["course_idx"][rows]
        sem_seq = reg["semester_id"][rows] - stu["admit_semester_id"][i] + 1
        status = np.where(reg["status"][rows] == "completed", "completed", "pending")
        missing = PLAN_LENGTH - courses.size
        if missing > 0:
            pool = np.flatnonzero((course_dept == stu["department_id"][i])
                                  & ~np.isin(np.arange(len(course_dept)), courses))
            pool = pool[np.argsort(course_level[pool] + rng.random(pool.size) * 150)][:missing]
            first = (sem_seq.max() + 1) if sem_seq.size else 1
            extra_seq = np.minimum(first + np.arange(pool.size) // 4, 8)
            courses = np.concatenate([courses, pool])
            sem_seq = np.concatenate([sem_seq, extra_seq])
            status = np.concatenate([status, np.full(pool.size, "pending")])
        cols["student_id"].append(np.full(courses.size, stu["student_id"][i]))
        cols["course_id"].append(c_id[courses])
        cols["course_seq_no"].append(np.arange(1, courses.size + 1))
        cols["status"].append(status)
        cols["is_major_ind"].append((course_dept[courses] == stu["department_id"][i]).astype(int))
        cols["semester_seq_no"].append(sem_seq)
    return _table("degree_plan", {k: np.concatenate(v) if v else [] for k, v in cols.items()})
