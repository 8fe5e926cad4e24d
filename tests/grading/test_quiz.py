"""Every quiz type grades right, wrong and invalid answers; keys never show before answering."""
import pytest

from lab_helpers.grading.bank import BankError, validate_question
from lab_helpers.grading.quiz import InvalidAnswer, grade, render_text

BASE = {"explanation": {"overall": "because", "choices": {}}, "exam": "DEA-C01", "domain": 1,
        "topics": ["athena"], "source": "lab:04_athena_curate", "references": ["https://docs.aws.amazon.com/athena/"]}


def q(**kw):
    raw = dict(BASE, **kw)
    if raw["type"] in ("single", "multiple") and not raw["explanation"].get("choices"):
        raw["explanation"] = {"overall": "because", "choices": {k: f"why {k}" for k in raw["choices"]}}
    return validate_question(raw, "t", "test")


SINGLE = dict(id="t-single", type="single", prompt="Pick b", choices={"a": "A", "b": "B", "c": "C", "d": "D"}, answer="b")
MULTI = dict(id="t-multi", type="multiple", prompt="Pick two", choices={"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"},
             answer=["a", "d"])
ORDER = dict(id="t-order", type="ordering", prompt="Order", choices={"a": "first?", "b": "second?", "c": "third?"},
             answer=["c", "a", "b"], explanation={"overall": "c then a then b"})
MATCH = dict(id="t-match", type="matching", prompt="Match", pairs={"p1": "Parquet", "p2": "CSV", "p3": "JSON"},
             choices={"a": "columnar", "b": "row text", "c": "nested text"}, answer={"p1": "a", "p2": "b", "p3": "c"},
             explanation={"overall": "formats"})


@pytest.mark.parametrize("spec,right,wrong", [
    (SINGLE, "b", "a"), (SINGLE, "B", "c"),
    (MULTI, ["d", "a"], ["a", "b"]), (MULTI, "a,d", "b,c"),
    (ORDER, ["c", "a", "b"], ["a", "b", "c"]), (ORDER, "c,a,b", "b,a,c"),
    (MATCH, {"p1": "a", "p2": "b", "p3": "c"}, {"p1": "b", "p2": "a", "p3": "c"}), (MATCH, "p1=a,p2=b,p3=c", "p1=c,p2=b,p3=a"),
    (MULTI, "['a', 'd']", "['a', 'b']"), (MATCH, "{'p1': 'a', 'p2': 'b', 'p3': 'c'}", "{'p1': 'c', 'p2': 'b', 'p3': 'a'}"),
])
def test_right_and_wrong_answers_grade_correctly(spec, right, wrong):
    question = q(**spec)
    assert grade(question, right).correct is True
    assert grade(question, wrong).correct is False


@pytest.mark.parametrize("spec,bad,expected", [
    (SINGLE, "e", "answer with one of: a, b, c, d"),
    (MULTI, ["a"], "asks you to choose 2"),
    (MULTI, ["a", "z"], "valid choices: a, b, c, d, e"),
    (ORDER, ["a", "b"], "wants all 3 steps in order"),
    (ORDER, ["a", "a", "b"], "each choice may appear once"),
    (MATCH, {"p1": "a"}, "missing ['p2', 'p3']"),
    (MATCH, {"p1": "a", "p2": "b", "p3": "z"}, "unknown choices ['z']"),
    (MATCH, "p1:a", "write matching answers as p1=a"),
])
def test_invalid_answers_get_a_message_listing_what_is_valid(spec, bad, expected):
    with pytest.raises(InvalidAnswer, match=None) as err:
        grade(q(**spec), bad)
    assert expected in str(err.value)


def test_rendered_question_never_shows_the_key_or_explanation():
    question = q(**dict(SINGLE, explanation={"overall": "SECRET-WHY", "choices": {k: "x" for k in "abcd"}}))
    text = render_text(question)
    assert "SECRET-WHY" not in text and "answer" not in text.lower()


def test_explanation_is_shown_after_answering():
    result = grade(q(**SINGLE), "a")
    assert "Best answer: b) B" in str(result) and "because" in str(result)
    assert "Not quite" in result._repr_html_()


@pytest.mark.parametrize("change,message", [
    ({"answer": "z"}, "must be one choice key"),
    ({"type": "essay"}, "type 'essay' is not one of"),
    ({"exam": "MLS-C01"}, "exam 'MLS-C01' is not one of"),
    ({"domain": 9}, "domain 9 is not a domain of DEA-C01"),
    ({"topics": ["kubernetes"]}, "unknown: ['kubernetes']"),
    ({"references": []}, "at least one https://"),
    ({"id": "Bad Id"}, "lowercase"),
])
def test_schema_errors_name_the_question_and_the_problem(change, message):
    with pytest.raises(BankError) as err:
        q(**dict(SINGLE, **change))
    assert message in str(err.value) and "t-single" in str(err.value) or message in str(err.value)


def test_single_choice_needs_an_explanation_for_every_choice():
    raw = dict(BASE, **SINGLE)
    raw["explanation"] = {"overall": "x", "choices": {"a": "no", "b": "yes"}}
    with pytest.raises(BankError, match="missing \\['c', 'd'\\]"):
        validate_question(raw, "t", "test")


def test_ordering_key_must_be_complete_and_matching_key_must_cover_every_pair():
    with pytest.raises(BankError, match="every choice key exactly once"):
        q(**dict(ORDER, answer=["a", "b"]))
    with pytest.raises(BankError, match="map every pair key"):
        q(**dict(MATCH, answer={"p1": "a", "p2": "b"}))
