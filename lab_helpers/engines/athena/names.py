"""Names in Athena DDL text (quoted, backticked, qualified) and catalog lookups with Hive's DDL errors."""
from __future__ import annotations

import re

from .errors import AthenaQueryError, USER
from ..ports import Catalog, CatalogError

IDENT = r'(?:"(?:[^"]|"")+"|`[^`]+`|[A-Za-z0-9_][\w$-]*)'
QNAME = rf"{IDENT}(?:\s*\.\s*{IDENT}){{0,2}}"
LITERAL = r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\""


def unquote(part: str) -> str:
    part = part.strip()
    if part[:1] == '"' and part[-1:] == '"':
        return part[1:-1].replace('""', '"')
    if part[:1] == "`" and part[-1:] == "`":
        return part[1:-1]
    return part


def literal(text: str) -> str:
    """``'a''b'`` -> ``a'b``; Hive DDL strings may also use double quotes and backslash escapes."""
    text = text.strip()
    if text[:1] in "'\"" and text[-1:] == text[:1]:
        q = text[0]
        body = text[1:-1].replace(q + q, q)
        return _unescape(body)
    return text


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt.isdigit():
                j = i + 1
                while j < len(text) and j < i + 4 and text[j].isdigit():
                    j += 1
                out.append(chr(int(text[i + 1:j], 8)))
                i = j
                continue
            if nxt == "u" and i + 5 < len(text):
                out.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
                continue
            out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\", "'": "'", '"': '"'}.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def split_name(text: str) -> list[str]:
    return [unquote(p).lower() for p in re.findall(IDENT, text)]


def qualified(text: str, database: str) -> tuple[str, str]:
    """``db.t`` / ``"db"."t"`` / ``awsdatacatalog.db.t`` / ``t`` -> (db, t)."""
    parts = split_name(text)
    if len(parts) == 3:
        parts = parts[1:]
    return (parts[0], parts[1]) if len(parts) == 2 else (database.lower(), parts[0])


def hive_error(text: str, etype: int = 1003, code: str = "DDL_FAILED") -> AthenaQueryError:
    return AthenaQueryError(text, USER, etype, code)


def need_database(catalog: Catalog, db: str) -> dict:
    try:
        found = catalog.get_database(db)
    except CatalogError:
        found = None
    if found is None:
        raise hive_error(f"FAILED: SemanticException [Error 10072]: Database does not exist: {db}", 1301,
                         "SCHEMA_NOT_FOUND")
    return found


def need_table(catalog: Catalog, db: str, name: str) -> dict:
    need_database(catalog, db)
    try:
        table = catalog.get_table(db, name)
    except CatalogError:
        table = None
    if table is None:
        raise hive_error(f"FAILED: SemanticException [Error 10001]: Table not found {db}.{name}", 1110,
                         "TABLE_NOT_FOUND")
    return table


def hive_like(pattern: str | None):
    """Hive's SHOW ... 'pattern': ``*`` is any run of characters, ``|`` separates alternatives."""
    if pattern is None:
        return lambda name: True
    alts = [re.escape(p.strip()).replace(r"\*", ".*") for p in pattern.split("|")]
    rx = re.compile("^(?:" + "|".join(alts) + ")$", re.I)
    return lambda name: bool(rx.match(name))


def table_location(table: dict) -> str:
    return ((table.get("StorageDescriptor") or {}).get("Location") or "").rstrip("/")


def split_top(text: str) -> list[str]:
    """Split on commas outside <>, () and quotes."""
    out, depth, cur, quote = [], 0, "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        cur += ch
    return [c for c in out + [cur] if c.strip()]
