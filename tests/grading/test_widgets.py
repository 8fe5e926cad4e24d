"""Quiz forms: options are rows that wrap (no ellipsis, no overlapping radios), Markdown rendered,
single choice kept exclusive, every AWS item type answerable. The browser proof of the layout is
tests/e2e/test_learner_view.py; these pin the structure it relies on."""
from lab_helpers.grading import bank
from lab_helpers.grading.widgets import QUIZ_CSS, AnswerInputs, quiz_widget


def _q(qid):
    return bank.load_all()[qid]


def test_options_are_wrapping_rows_not_fixed_height_radio_labels():
    form = quiz_widget(_q("l00-data-lake-zones-01"))
    assert "labkit-quiz" in form._dom_classes
    rows = [c for c in form.children if "labkit-option" in getattr(c, "_dom_classes", ())]
    assert len(rows) == 4 and all("labkit-single" in r._dom_classes for r in rows)
    assert "white-space: normal" in QUIZ_CSS and "position: absolute; inset: 0" in QUIZ_CSS
    # No HTML in a description: ipywidgets would copy it into the hover tooltip verbatim.
    assert all(r.children[0].description == "" for r in rows)


def test_markdown_in_prompt_and_options_is_rendered():
    form = quiz_widget(_q("l00-data-lake-zones-01"))
    header = form.children[1].value
    assert "<code" in header and "`" not in header and "dataedu-raw-&lt;guid&gt;" in header
    fenced = quiz_widget(_q("l04-partition-pruning-01")).children[1].value
    assert "<pre" in fenced and "```" not in fenced
    options = AnswerInputs(_q("l01-kms-sse-01"))
    texts = [row.children[1].value for row in options.rows.values()]
    assert any("<code" in t for t in texts) and not any("`" in t for t in texts)


def test_single_choice_rows_behave_as_radios():
    inputs = AnswerInputs(_q("l00-data-lake-zones-01"))
    inputs.boxes["a"].value = True
    inputs.boxes["c"].value = True
    assert inputs.read() == "c" and not inputs.boxes["a"].value


def test_every_item_type_reads_back_what_was_set_and_locks():
    for qid in ("l00-data-lake-zones-01", "l00-data-lake-zones-02", "l00-data-lake-zones-03",
                "l00-s3-storage-classes-02"):
        q = _q(qid)
        inputs = AnswerInputs(q)
        changes = []
        inputs.on_change(lambda: changes.append(1))
        inputs.set(q.answer)
        assert inputs.read() == q.answer and changes, qid
        inputs.disable()
        assert inputs.disabled
