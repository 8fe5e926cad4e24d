"""Bank text (a small Markdown subset) to HTML for the quiz and exam widgets, and to plain text.

Question banks are written in Markdown: inline code, fenced code blocks, **bold**, *italic*, lists,
and lines wrapped at ~110 characters inside a paragraph. Widgets must show that as a reader expects
(code in monospace, paragraphs that re-flow to the width of the window), never the raw markup.

Only this subset is understood, on purpose: everything is HTML-escaped first, so a bank can never
inject markup, and what is not understood stays visible as text. The wrapper carries MathJax's
ignore classes: JupyterLab typesets widget text, and two dollar amounts in one option would
otherwise turn into a formula.
"""
from __future__ import annotations

import html
import re

_FENCE = re.compile(r"^\s*```\s*([\w+-]*)\s*$")
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*(\d+)[.)]\s+(.*)$")
_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https://[^)\s]+)\)")

CODE_STYLE = ("font-family:var(--jp-code-font-family,monospace);font-size:0.92em;"
              "background:var(--jp-layout-color2,#f3f3f3);padding:0 3px;border-radius:3px")
PRE_STYLE = ("font-family:var(--jp-code-font-family,monospace);font-size:0.9em;line-height:1.35;"
             "background:var(--jp-layout-color2,#f3f3f3);padding:6px 10px;margin:6px 0;border-radius:4px;"
             "white-space:pre;overflow-x:auto")
IGNORE_MATH = "tex2jax_ignore mathjax_ignore"


def inline(text: str) -> str:
    """One line or paragraph of bank text as inline HTML (escaped, code spans kept verbatim)."""
    out, last = [], 0
    for m in _CODE.finditer(text):
        out.append(_emphasis(html.escape(text[last:m.start()], quote=False)))
        out.append(f'<code style="{CODE_STYLE}">{html.escape(m.group(1), quote=False)}</code>')
        last = m.end()
    out.append(_emphasis(html.escape(text[last:], quote=False)))
    return "".join(out)


def _emphasis(escaped: str) -> str:
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    escaped = _ITALIC.sub(r"<i>\1</i>", escaped)
    return _LINK.sub(r'<a href="\2" target="_blank" rel="noopener">\1</a>', escaped)


def blocks(text: str) -> list[tuple[str, object]]:
    """Split bank text into ('p', text) / ('code', (lang, text)) / ('ul'|'ol', [items]) blocks."""
    lines = str(text).strip("\n").splitlines()
    out: list[tuple[str, object]] = []
    para: list[str] = []

    def flush():
        if para:
            out.append(("p", " ".join(s.strip() for s in para)))
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            flush()
            body = []
            i += 1
            while i < len(lines) and not _FENCE.match(lines[i]):
                body.append(lines[i])
                i += 1
            out.append(("code", (fence.group(1), "\n".join(_dedent(body)))))
            i += 1
            continue
        item = _BULLET.match(line) or _NUMBERED.match(line)
        if item and (not para or not para[-1].strip()):
            flush()
            kind = "ul" if _BULLET.match(line) else "ol"
            items = []
            while i < len(lines):
                m = (_BULLET if kind == "ul" else _NUMBERED).match(lines[i])
                if m:
                    items.append(m.group(m.lastindex))
                elif lines[i].strip() and items and lines[i].startswith((" ", "\t")):
                    items[-1] += " " + lines[i].strip()   # a wrapped list item
                else:
                    break
                i += 1
            out.append((kind, items))
            continue
        if not line.strip():
            flush()
        else:
            para.append(line)
        i += 1
    flush()
    return out


def _dedent(body: list[str]) -> list[str]:
    indents = [len(s) - len(s.lstrip()) for s in body if s.strip()]
    cut = min(indents) if indents else 0
    return [s[cut:] for s in body]


def to_html(text: str, *, block: bool = True) -> str:
    """Bank text as HTML. ``block=False`` gives inline HTML for one short piece (an option)."""
    parts = []
    for kind, value in blocks(text):
        if kind == "p":
            parts.append(f'<p style="margin:0 0 6px 0">{inline(value)}</p>' if block else inline(value))
        elif kind == "code":
            _lang, code = value
            parts.append(f'<pre style="{PRE_STYLE}"><code>{html.escape(code, quote=False)}</code></pre>')
        else:
            items = "".join(f"<li>{inline(v)}</li>" for v in value)
            parts.append(f'<{kind} style="margin:2px 0 6px 0;padding-left:22px">{items}</{kind}>')
    body = "".join(parts) if block else " ".join(parts)
    tag = "div" if block else "span"
    return f'<{tag} class="labkit-md {IGNORE_MATH}">{body}</{tag}>'


def to_text(text: str) -> str:
    """Bank text for a terminal: paragraphs re-flowed onto one line each, code blocks indented."""
    parts = []
    for kind, value in blocks(text):
        if kind == "p":
            parts.append(value)
        elif kind == "code":
            parts.append("\n".join("    " + line for line in value[1].splitlines()))
        else:
            parts.append("\n".join(f"  {'-' if kind == 'ul' else f'{n}.'} {v}" for n, v in enumerate(value, 1)))
    return "\n\n".join(parts)
