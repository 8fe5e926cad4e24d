"""Generate the LMS `requests` table (Canvas page views), one weekly partition at a time.

Row counts depend on scale only (never on the seed), so `requests_rows(scale)` is exact
without generating anything. `general.csv` holds page views; `submissions.csv` holds the
POSTs to the submissions API: every submission of the week gets one (timestamp =
`submission_dim.submitted_at`), the rest of the week's POST budget are earlier uploads
for the same submissions. Each partition is built from its own seeded generator, so
partitions can be produced lazily in any order and memory stays at one partition.

`quiz_id` is always empty, as in the workshop's export, which is why the crawler types it
`string`; `root_account_id` / `course_account_id` carry account codes (`account_dim.
sis_source_id`), also strings.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import vocab
from .formats import (choice_text, concat, const_text, csv_bytes, hex_text, int_text, mix64,
                      timestamp_text, uuid_text)
from .layout import WEEKS
from .lms import DAY, TermActivity
from .sis import n_students

GENERAL_PER_WEEK = 3100   # page views per week at scale 1
POSTS_PER_WEEK = 800      # submission POSTs per week per 1,000 students
# Submissions follow due dates, spread evenly over the term: few in the first week, and
# the last partition holds only the last few days of finals.
POST_WEIGHT = [0.85] + [1.0] * 14 + [0.4]
# Relative weekly volume through each 16-week term: a busy first week, midterms,
# Thanksgiving (2020-11-23) and spring break (2021-03-15) dips, finals.
WEEK_WEIGHT = {
    41: [1.15, 1.0, 0.95, 0.95, 1.0, 1.0, 1.1, 1.12, 0.95, 0.95, 1.0, 1.0, 1.05, 1.05, 0.6, 1.25],
    42: [1.15, 1.0, 0.95, 0.95, 1.0, 1.0, 1.05, 1.12, 0.5, 1.0, 1.0, 1.0, 1.05, 1.05, 1.1, 1.25],
}
# Activity by day (Mon..Sun) and hour: weekday daytime and evening peaks, a quiet
# Saturday, Sunday-evening catch-up.
DAY_WEIGHT = np.array([1.0, 1.0, 0.95, 0.9, 0.7, 0.45, 0.8])
HOUR_WEIGHT = np.array([0.30, 0.15, 0.08, 0.04, 0.03, 0.04, 0.10, 0.30, 0.70, 1.00, 1.15, 1.10,
                        0.95, 1.05, 1.15, 1.10, 1.00, 0.90, 0.95, 1.15, 1.30, 1.35, 1.10, 0.65])
WEEKEND_HOUR_SHIFT = 2  # students sleep in at the weekend
GENERAL_STATUS = ([200, 302, 304, 404, 500], [0.86, 0.06, 0.065, 0.012, 0.003])
POST_STATUS = ([201, 400, 500], [0.985, 0.01, 0.005])


def _slot_probabilities() -> np.ndarray:
    grid = np.tile(HOUR_WEIGHT, (7, 1))
    grid[5:] = np.roll(HOUR_WEIGHT, WEEKEND_HOUR_SHIFT)
    p = (grid * DAY_WEIGHT[:, None]).ravel()
    return p / p.sum()


SLOT_P = _slot_probabilities()  # 168 hour-of-week slots, Monday 00:00 first


def week_rows(week_index: int, scale: float) -> tuple[int, int]:
    """(general.csv rows, submissions.csv rows) of one weekly partition."""
    term, k, _ = WEEKS[week_index]
    return (int(round(GENERAL_PER_WEEK * scale * WEEK_WEIGHT[term][k])),
            int(round(POSTS_PER_WEEK * n_students(scale) / 1000 * POST_WEIGHT[k])))


def requests_rows(scale: float = 1.0) -> int:
    """How many `requests` rows (both files, all 32 partitions) a scale generates."""
    return sum(sum(week_rows(i, scale)) for i in range(len(WEEKS)))


def request_files(seed: int, scale: float, week_index: int, act: TermActivity,
                  student_ids: np.ndarray, ability: np.ndarray) -> tuple[bytes, bytes]:
    """The (general.csv, submissions.csv) bodies of one weekly partition."""
    rng = np.random.default_rng([seed, 7, week_index])
    n_gen, n_post = week_rows(week_index, scale)
    start = (act.first_day + 7 * WEEKS[week_index][1]) * DAY
    salt = int(mix64(np.array([seed % 2**64], dtype=np.uint64))[0])
    habits = _Habits(salt, student_ids, ability)
    return (_general(rng, n_gen, start, act, habits, salt),
            _posts(rng, n_post, start, act, habits, salt))


class _Habits:
    """Stable per-student traits derived from hashes: activity level, browser, home IP."""

    def __init__(self, salt: int, student_ids: np.ndarray, ability: np.ndarray):
        h = mix64(student_ids.astype(np.uint64) ^ np.uint64(salt))
        u = (h >> np.uint64(11)).astype(np.float64) / 2.0**53
        # lognormal activity from a hashed uniform (inverse normal via a logit approximation)
        z = np.log(u / (1 - u)) / 1.7
        self.activity = np.exp(0.7 * z + 0.15 * ability)
        cdf = np.cumsum(vocab.USER_AGENT_WEIGHTS[:6]) / sum(vocab.USER_AGENT_WEIGHTS[:6])
        self.browser = np.searchsorted(cdf, (h & np.uint64(0xFFFF)).astype(float) / 65536.0)
        self.home_ip = [((h >> np.uint64(s)) & np.uint64(0xFF)).astype(np.int64)
                        for s in (16, 24, 32)]


def _pick_registrations(rng, n, act: TermActivity, habits: _Habits) -> np.ndarray:
    w = habits.activity[act.student_idx]
    cdf = np.cumsum(w)
    return np.minimum(np.searchsorted(cdf, rng.random(n) * cdf[-1]), cdf.size - 1)


def _common(rng, ts, reg, act: TermActivity) -> dict:
    """Columns both files share, in contract order up to `quiz_id`."""
    n = ts.size
    days = ts // DAY
    civil = days.astype("datetime64[D]")
    years = civil.astype("datetime64[Y]")
    months = civil.astype("datetime64[M]")
    return {
        "id": uuid_text(rng, n), "timestamp": timestamp_text(ts),
        "timestamp_year": years.astype(np.int64) + 1970,
        "timestamp_month": (months - years).astype(np.int64) + 1,
        "timestamp_day": (civil - months).astype(np.int64) + 1,
        "timestamp_hour": (ts % DAY) // 3600,
        "user_id": act.user_id[reg], "course_id": act.course_id[reg],
        "root_account_id": const_text(vocab.ROOT_ACCOUNT_CODE, n),
        "course_account_id": act.account_code.take(pa.array(reg)),
        "quiz_id": const_text("", n),
    }


def _session_and_ip(ts, reg, act: TermActivity, habits: _Habits, salt: int) -> dict:
    user = act.user_id[reg].astype(np.uint64)
    block = (ts // (6 * 3600)).astype(np.uint64)  # a session lasts up to a 6-hour block
    key = user * np.uint64(1_000_003) + block
    h1, h2 = mix64(key ^ np.uint64(salt)), mix64(key + np.uint64(salt))
    raw = np.stack([h1, h2], axis=1).astype(">u8").view(np.uint8).reshape(-1, 16)
    stu = act.student_idx[reg]
    hour = (ts % DAY) // 3600
    weekday = ((ts // DAY) + 3) % 7 < 5  # 1970-01-01 was a Thursday
    campus = weekday & (hour >= 8) & (hour < 17) & ((h1 & np.uint64(3)) != 0)
    o2, o3, o4 = (ip[stu] for ip in habits.home_ip)
    ip = concat(choice_text(["73", "10"], campus).cast(pa.string()), ".",
                int_text(np.where(campus, 20 + o2 % 8, o2)), ".",
                int_text(np.where(campus, (h1 >> np.uint64(8)).astype(np.int64) & 255, o3)), ".",
                int_text(np.where(campus, (h1 >> np.uint64(16)).astype(np.int64) % 254 + 1, o4)))
    return {"session_id": hex_text(raw), "remote_ip": ip}


def _agent(rng, reg, act: TermActivity, habits: _Habits) -> pa.Array:
    mobile = rng.random(reg.size) < 0.18
    idx = np.where(mobile, 6 + (rng.random(reg.size) < 0.55), habits.browser[act.student_idx[reg]])
    return choice_text(vocab.USER_AGENTS, idx)


def _assemble(common: dict, url, agent, method: str, ip, micros, controller, action,
              session, status, rng) -> dict:
    n = micros.size
    return {**common, "url": url, "user_agent": agent,
            "http_method": const_text(method, n), "remote_ip": ip,
            "interaction_micros": micros, "web_application_controller": controller,
            "web_application_action": action, "session_id": session,
            "http_status": rng.choice(status[0], n, p=status[1]),
            "http_version": choice_text(["HTTP/1.1", "HTTP/2.0"], rng.random(n) < 0.65)}


def _general(rng, n, start, act: TermActivity, habits: _Habits, salt: int) -> bytes:
    slot = rng.choice(SLOT_P.size, n, p=SLOT_P)
    ts = np.sort(start + slot * 3600 + rng.integers(0, 3600, n))
    reg = _pick_registrations(rng, n, act, habits)
    views = vocab.PAGE_VIEWS
    kind = rng.choice(len(views), n, p=np.array([v[3] for v in views]) / sum(v[3] for v in views))
    has_asg = act.asg_count[reg] > 0
    pick = act.asg_start[reg] + (rng.random(n) * np.maximum(act.asg_count[reg], 1)).astype(np.int64)
    asg = np.where(has_asg, act.asg_id[np.minimum(pick, act.asg_id.size - 1)], 0)
    kind = np.where((kind == 2) & ~has_asg, 0, kind)  # no assignment to show: course home
    course_txt = int_text(act.course_id[reg])
    num_txt = int_text(np.where(kind == 2, asg, 1 + rng.integers(0, 15, n)))
    head = pa.array([vocab.LMS_HOST + v[0].split("{c}")[0] for v in views]).take(pa.array(kind))
    tail = pa.array([v[0].split("{c}")[1].split("{")[0] for v in views]).take(pa.array(kind))
    has_num = pa.array(["{" in v[0].split("{c}")[1] for v in views]).take(pa.array(kind))
    url = concat(head, course_txt, tail, pc.if_else(has_num, num_txt, ""))
    sess = _session_and_ip(ts, reg, act, habits, salt)
    return csv_bytes("requests", _assemble(
        _common(rng, ts, reg, act), url, _agent(rng, reg, act, habits), "GET",
        sess["remote_ip"], rng.lognormal(np.log(90_000), 0.8, n).astype(np.int64),
        choice_text([v[1] for v in views], kind), choice_text([v[2] for v in views], kind),
        sess["session_id"], GENERAL_STATUS, rng))


def _posts(rng, n, start, act: TermActivity, habits: _Habits, salt: int) -> bytes:
    sub = act.sub
    in_week = np.flatnonzero((sub["ts"] >= start) & (sub["ts"] < start + 7 * DAY))
    borrowed = in_week.size == 0  # tiny scales only: borrow submissions of other weeks
    if borrowed:
        in_week = np.arange(sub["ts"].size)
    if in_week.size == 0:
        n = 0
    first = rng.permutation(in_week)[:n]
    extra = rng.choice(in_week, max(n - first.size, 0)) if n else in_week[:0]
    chosen = np.concatenate([first, extra])
    ts = sub["ts"][chosen].copy()
    ts[first.size:] -= rng.integers(30, 1800, extra.size)  # an upload before the submit
    if borrowed:
        ts = start + rng.integers(0, 7 * DAY, chosen.size)
    ts = np.clip(ts, start, start + 7 * DAY - 1)
    order = np.argsort(ts, kind="stable")
    chosen, ts = chosen[order], ts[order]
    reg = sub["reg"][chosen]
    url = concat(vocab.LMS_HOST + "/api/v1/courses/", int_text(sub["course_id"][chosen]),
                 "/assignments/", int_text(sub["assignment_id"][chosen]), "/submissions")
    sess = _session_and_ip(ts, reg, act, habits, salt)
    m = chosen.size
    return csv_bytes("requests", _assemble(
        _common(rng, ts, reg, act), url, _agent(rng, reg, act, habits), "POST",
        sess["remote_ip"], rng.lognormal(np.log(600_000), 0.9, m).astype(np.int64),
        const_text("submissions_api", m), const_text("create", m),
        sess["session_id"], POST_STATUS, rng))
