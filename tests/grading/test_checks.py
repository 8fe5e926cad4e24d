"""Check results: partial credit in whole points, with the parts done said in words."""
from lab_helpers.grading.checks import Check, CheckContext, Part, run


def _result(oks, points=10):
    parts = [Part(ok, f"part {i}", "do part") for i, ok in enumerate(oks)]
    return run(Check("c", "a step", lambda ctx: parts, points), CheckContext(None, None), "lab")


def test_partial_credit_is_whole_points_and_names_the_parts_done():
    r = _result([True, False, False, False, False, False])
    assert r.points == 2 and isinstance(r.points, int)        # 10 × 1/6 = 1.67 is shown as 2
    assert "[2/10 points · 1 of 6 parts]" in str(r) and "1.67" not in str(r) + r._repr_html_()


def test_never_full_marks_for_an_unfinished_step_and_never_zero_for_work_done():
    assert _result([True] * 19 + [False], points=10).points == 9
    assert _result([True] + [False] * 29, points=10).points == 1
    assert _result([False, False]).points == 0


def test_a_passed_check_reads_as_before():
    r = _result([True, True, True])
    assert r.points == 10 and "[10/10 points]" in str(r) and "parts" not in str(r)
