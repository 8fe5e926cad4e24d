"""Bank Markdown to HTML: code in monospace, paragraphs re-flowed, nothing injected."""
from lab_helpers.grading import markdown as md


def test_hard_wrapped_lines_become_one_paragraph():
    out = md.to_html("A question that the bank wraps\nat about 110 characters\n\nSecond paragraph.")
    assert out.count("<p") == 2 and "wraps at about" in out and "\n" not in out


def test_inline_code_and_fenced_blocks_render_in_monospace():
    out = md.to_html("Use `CREATE TABLE AS`:\n\n```sql\nSELECT *\n  FROM t\n```\n\nThen *check* it.")
    assert '<code style="font-family:var(--jp-code-font-family,monospace)' in out
    assert "<pre" in out and "SELECT *\n  FROM t" in out and "```" not in out and "`" not in out
    assert "<i>check</i>" in out


def test_markup_in_bank_text_is_escaped_and_math_is_not_typeset():
    out = md.to_html("Costs $5 or $10 for <script>x</script> in `a<b>`")
    assert "<script>" not in out and "&lt;script&gt;" in out and "a&lt;b&gt;" in out
    assert "tex2jax_ignore" in out and "mathjax_ignore" in out


def test_lists_and_inline_options():
    out = md.to_html("Steps:\n\n- one `x`\n- two\n  wrapped\n\n1. first\n2. second")
    assert "<ul" in out and "<li>two wrapped</li>" in out and "<ol" in out
    assert md.to_html("an `option`", block=False).startswith('<span class="labkit-md')


def test_plain_text_for_terminals_keeps_code_blocks_indented():
    text = md.to_text("Line one\nline two\n\n```sql\nSELECT 1\n```")
    assert text == "Line one line two\n\n    SELECT 1"
