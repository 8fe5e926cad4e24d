"""Statement text: splitting a script on semicolons, stripping comments, and reading Redshift's command
options (COPY, UNLOAD, CREATE EXTERNAL SCHEMA) that sqlglot passes through as raw commands."""
from __future__ import annotations

import re

from .errors import RedshiftError, syntax_error

# The hidden schema that holds the engine's own tables (external schemas, views, load errors) and macros.
META = "__labkit"


def split_statements(sql: str) -> list[str]:
    """The statements of a script, split on top-level ``;`` (quotes, ``$$`` bodies and comments respected)."""
    out, buf, i, n = [], [], 0, len(sql)
    while i < n:
        c = sql[i]
        if c in ("'", '"'):
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                if c == "'" and sql[j] == "\\":
                    j += 1
                j += 1
            buf.append(sql[i:j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            buf.append(sql[i:j])
            i = j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            buf.append(sql[i:j])
            i = j
        elif sql.startswith("$$", i):
            j = sql.find("$$", i + 2)
            j = n if j < 0 else j + 2
            buf.append(sql[i:j])
            i = j
        elif c == ";":
            out.append("".join(buf))
            buf = []
            i += 1
        else:
            buf.append(c)
            i += 1
    out.append("".join(buf))
    return [s for s in (strip(s) for s in out) if s]


_LEADING = re.compile(r"^(\s|--[^\n]*(\n|$)|/\*.*?\*/)+", re.S)


def strip(sql: str) -> str:
    """The statement without leading comments/whitespace and trailing semicolons."""
    return _LEADING.sub("", sql).strip().rstrip(";").strip()


def first_words(sql: str, count: int = 4) -> list[str]:
    return [w.upper() for w in re.findall(r"[A-Za-z_]+", strip(sql)[:200])[:count]]


_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<paren>\()|(?P<close>\))|(?P<comma>,)|(?P<word>[^\s,()']+))", re.S)


def tokens(text: str) -> list[tuple[str, str]]:
    """('str'|'word'|'('|')'|',', value) tokens of a command's option list; strings unquoted."""
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise syntax_error(text[pos:pos + 20].split()[0] if text[pos:].split() else "end of input")
        pos = m.end()
        if m.group("str") is not None:
            out.append(("str", m.group("str")[1:-1].replace("''", "'")))
        elif m.group("paren"):
            out.append(("(", "("))
        elif m.group("close"):
            out.append((")", ")"))
        elif m.group("comma"):
            out.append((",", ","))
        else:
            out.append(("word", m.group("word")))
    return out


class Options:
    """A cursor over command tokens: ``accept('IAM_ROLE')``, ``string()``, ``word()``."""

    def __init__(self, toks: list[tuple[str, str]]):
        self.toks, self.i = toks, 0

    @property
    def done(self) -> bool:
        return self.i >= len(self.toks)

    def peek(self, offset: int = 0) -> tuple[str, str]:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else ("eof", "")

    def accept(self, *words: str) -> bool:
        """Consume the words (case-insensitive) if they come next."""
        for k, w in enumerate(words):
            kind, value = self.peek(k)
            if kind != "word" or value.upper() != w.upper():
                return False
        self.i += len(words)
        return True

    def word(self) -> str:
        kind, value = self.peek()
        if kind != "word":
            raise syntax_error(value or "end of input")
        self.i += 1
        return value

    def string(self) -> str:
        kind, value = self.peek()
        if kind != "str":
            raise syntax_error(value or "end of input")
        self.i += 1
        return value

    def maybe_string(self) -> str | None:
        if self.peek()[0] == "str":
            return self.string()
        return None

    def number(self) -> int:
        kind, value = self.peek()
        try:
            n = int(value)
        except ValueError:
            raise syntax_error(value or "end of input") from None
        self.i += 1
        return n

    def ident_list(self) -> list[str]:
        if self.peek()[0] != "(":
            raise syntax_error(self.peek()[1] or "end of input")
        self.i += 1
        names = []
        while True:
            names.append(unquote_ident(self.word()))
            kind, value = self.peek()
            self.i += 1
            if kind == ")":
                return names
            if kind != ",":
                raise syntax_error(value or "end of input")

    def fail(self) -> RedshiftError:
        return syntax_error(self.peek()[1] or "end of input")


def unquote_ident(name: str) -> str:
    """Redshift folds identifiers to lower case (quoted ones too, by default)."""
    name = name.strip()
    if name.startswith('"') and name.endswith('"'):
        name = name[1:-1].replace('""', '"')
    return name.lower()


def qualified(name: str) -> tuple[str | None, str]:
    """'sis.student' -> ('sis', 'student'); 'student' -> (None, 'student')."""
    parts = [unquote_ident(p) for p in re.findall(r'"(?:[^"]|"")*"|[^.]+', name)]
    if len(parts) == 1:
        return None, parts[0]
    return parts[-2], parts[-1]


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
