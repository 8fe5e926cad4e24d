"""What a learner sees in JupyterLab: quiz forms, a failing check's hint, and a practice exam."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lab_helpers.grading import bank
from lab_helpers.grading.progress import ProgressStore

from .conftest import shot
from .jlab import open_notebook, overlaps, quiz, run_all

LAB = "00_orientation"


def _answer(q_locator, question, answer) -> None:
    """Fill a quiz form the way a learner does: click options, pick from the dropdowns."""
    keys = list(question.choices)
    if question.type in ("single", "multiple"):
        chosen = [answer] if question.type == "single" else answer
        for key in chosen:
            q_locator.locator(".labkit-option").nth(keys.index(key)).click()
    elif question.type == "ordering":
        for step, key in enumerate(answer):
            q_locator.locator("select").nth(step).select_option(index=keys.index(key) + 1)
    else:
        for n, (pair, key) in enumerate(answer.items()):
            q_locator.locator(".labkit-pair select").nth(n).select_option(index=keys.index(key) + 1)


def _wrong(question):
    keys = list(question.choices)
    if question.type == "single":
        return next(k for k in keys if k != question.answer)
    if question.type == "multiple":
        return [k for k in keys if k not in question.answer][:len(question.answer)]
    if question.type == "ordering":
        return list(reversed(question.answer))
    pairs = dict(question.answer)
    first, second = list(pairs)[:2]
    pairs[first], pairs[second] = pairs[second], pairs[first]
    return pairs


def test_a_learner_answers_quizzes_and_reads_a_failing_checks_hint(lab_server, page_at):
    page = page_at(1280, 900)
    open_notebook(page, lab_server, f"{LAB}.ipynb")
    run_all(page)

    # The architecture is a picture that scales to the window, not ASCII art that wraps into noise.
    picture = page.locator(".jp-RenderedMarkdown img[alt^='The immersion day']").first
    picture.scroll_into_view_if_needed()
    assert picture.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.locator(".jp-RenderedMarkdown pre").filter(has_text="┌").count() == 0
    shot(page, "architecture")

    # The stub cells were not filled in: the check says what is missing, and the stub says nothing false.
    failing = page.locator(".jp-OutputArea-output").filter(has_text="✘ hello_lake").first
    expect(failing).to_contain_text("Not done yet")
    expect(failing).to_contain_text("Upload a small text file")
    assert page.locator(".jp-OutputArea-output").filter(has_text="written to s3://").count() == 0
    failing.scroll_into_view_if_needed()
    shot(page, "failing-check")

    questions = {q.id: q for q in bank.bank(LAB)}
    asked = ["l00-data-lake-zones-01", "l00-data-lake-zones-02", "l00-data-lake-zones-03", "l00-s3-storage-classes-02"]
    assert [questions[i].type for i in asked] == ["single", "multiple", "ordering", "matching"]
    plan = {"l00-data-lake-zones-01": True, "l00-data-lake-zones-02": False,   # one right, one wrong ...
            "l00-data-lake-zones-03": True, "l00-s3-storage-classes-02": False}
    for qid, right in plan.items():
        q = questions[qid]
        form = quiz(page, qid)
        form.scroll_into_view_if_needed()
        # Markdown is rendered: inline code in a monospace font, no backticks left.
        assert "`" not in form.inner_text()
        if "`" in q.prompt:
            font = form.locator(".labkit-md code").first.evaluate("e => getComputedStyle(e).fontFamily")
            assert re.search(r"mono|courier", font, re.I), font
        _answer(form, q, q.answer if right else _wrong(q))
        form.locator("button", has_text="Check answer").click()
        verdict = form.locator(".widget-output")
        expect(verdict).to_contain_text("✔ Correct" if right else "✘ Not quite", timeout=30_000)
        if not right:
            expect(verdict).to_contain_text("Best answer")
    quiz(page, "l00-data-lake-zones-02").scroll_into_view_if_needed()
    shot(page, "quiz-answered")

    store = ProgressStore(lab_server["env"]["LABKIT_HOME"] + "/progress.sqlite")
    latest = store.latest_quiz()
    assert {qid: bool(latest[qid]["correct"]) for qid in plan} == plan


@pytest.mark.parametrize("width", [900, 1280, 1920])   # 900: a narrow window wraps every option
def test_quiz_options_never_overlap_and_are_never_cut(lab_server, page_at, width):
    page = page_at(width, 1000)
    open_notebook(page, lab_server, f"{LAB}.ipynb")
    run_all(page)
    forms = page.locator(".labkit-quiz")
    assert forms.count() == 4
    for i in range(forms.count()):
        form = forms.nth(i)
        form.scroll_into_view_if_needed()
        options = form.locator(".labkit-option")
        if options.count():
            form.locator(".labkit-option").last.scroll_into_view_if_needed()
            options.first.scroll_into_view_if_needed()
            assert overlaps(page, options) == [], f"form {i} at {width}px"
    quiz(page, "l00-data-lake-zones-01").scroll_into_view_if_needed()
    shot(page, f"quiz-{width}px")


def test_a_learner_takes_a_practice_exam_to_the_review(lab_server, page_at):
    page = page_at(1280, 1000)
    open_notebook(page, lab_server, "exam_practice.ipynb")
    run_all(page)
    form = page.locator(".labkit-quiz").filter(has_text="DEA-C01").filter(has_text="question").first
    header = form.locator(".widget-html").filter(has_text="answered").first
    expect(header).to_contain_text("question 1 of 65 · answered 0 · marked 0")
    nxt = form.locator("button", has_text="Next")
    for _ in range(15):                         # find a single-choice question to answer
        if form.locator(".labkit-single").count():
            break
        nxt.click()
        page.wait_for_timeout(300)
    number = int(re.search(r"question (\d+) of", header.inner_text()).group(1))
    form.locator(".labkit-single").first.click()
    # The counters follow the click at once, without moving to another question.
    expect(header).to_contain_text("answered 1 · marked 0")
    form.locator("button", has_text="Mark for review").click()
    expect(header).to_contain_text("answered 1 · marked 1")
    go_to = form.locator(".labkit-goto select")   # ipywidgets shows label spaces as NBSP: match \s
    expect(go_to.locator("option:checked")).to_have_text(re.compile(rf"^Q{number}\s✓\s⚑"))

    target = number + 3
    go_to.select_option(index=target - 1)
    expect(header).to_contain_text(f"question {target} of 65")
    page.wait_for_timeout(1000)                 # the kernel's answer must not move the list back
    expect(go_to.locator("option:checked")).to_have_text(re.compile(rf"^Q{target}\s"))
    nxt.click()
    expect(header).to_contain_text(f"question {target + 1} of 65")
    expect(go_to.locator("option:checked")).to_have_text(re.compile(rf"^Q{target + 1}\s"))

    form.locator("button", has_text="Finish and grade").click()
    confirm = form.locator(".labkit-confirm")
    expect(confirm).to_contain_text("64 of 65 question(s) are unanswered")
    expect(confirm).to_contain_text(f"marked for review (Q{number})")
    confirm.scroll_into_view_if_needed()
    shot(page, "exam-confirm")
    confirm.locator("button", has_text="Keep working").click()
    expect(confirm).to_be_hidden()
    assert form.locator("h3", has_text="/1000").count() == 0      # nothing graded yet
    form.locator("button", has_text="Finish and grade").click()
    confirm.locator("button", has_text="Grade now").click()
    expect(form.locator("h3", has_text="/1000")).to_be_visible(timeout=30_000)

    # Locked: no input of the shown question takes a click any more.
    inputs = form.locator(".labkit-option input, .widget-dropdown select")
    assert inputs.count() and all(inputs.nth(i).is_disabled() for i in range(inputs.count()))
    # The review shows the questions themselves, not only their ids.
    first = form.locator("details").first
    summary = first.locator("summary").inner_text()
    assert len(summary) > 40 and not re.fullmatch(r"Q\d+ · domain \d · [a-z0-9-]+", summary), summary
    first.locator("summary").click()
    expect(first.locator(".labkit-md").first).to_be_visible()
    first.scroll_into_view_if_needed()
    shot(page, "exam-review")


def test_catch_up_shows_a_bar_per_lab_then_a_table_and_no_kernel_noise(lab_server, page_at):
    page = page_at(1280, 900)
    open_notebook(page, lab_server, "01_kms_key_users.ipynb")
    first = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first
    first.click()
    page.keyboard.press("Shift+Enter")                       # the preflight: lab = start_lab(...)
    expect(page.locator(".jp-OutputArea-output").filter(has_text="prerequisites").first).to_be_visible(
        timeout=120_000)
    first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")                                 # a new cell below, as a learner would add it
    page.keyboard.press("Enter")
    page.keyboard.type("lab.catch_up()")
    page.keyboard.press("Shift+Enter")
    bars = page.locator(".jp-OutputArea-output progress, .jp-OutputArea-output .widget-hprogress")
    expect(bars.first).to_be_visible(timeout=30_000)         # a bar per lab, shown at once
    table = page.locator(".jp-OutputArea-output table").filter(has_text="00_orientation")
    expect(table).to_contain_text("replayed in", timeout=240_000)
    table.scroll_into_view_if_needed()
    shot(page, "catch-up")
    outputs = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea").all_inner_texts()
    assert not any("IPKernelApp" in text or "without encryption" in text for text in outputs)
