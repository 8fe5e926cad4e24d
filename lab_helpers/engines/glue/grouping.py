"""How a Glue crawler turns classified S3 objects into tables and partitions (pure functions).

- Skipped before classification: zero-byte objects, ``key/`` folder markers, ``*_$folder$``
  markers, and names (or folders) starting with ``_`` or ``.`` (``_SUCCESS``, ``.crc``,
  ``_temporary/``: the Hadoop hidden-file convention Glue's readers follow).
- Exclude patterns: Glue's glob dialect relative to the include path -- ``*`` and ``?``
  within a path segment, ``**`` across segments, ``[a-z]``/``[!a]``, ``{a,b}``, ``\\``
  escapes (https://docs.aws.amazon.com/glue/latest/dg/define-crawler.html#crawler-data-stores-exclude).
- Grouping: a folder is one table when all objects below it are data-compatible (format,
  compression, CSV shape), sit at the same depth, and its sub-folders' schemas are similar:
  the largest cluster of similar schemas covers more than 70% of them and there are at most
  5 clusters (https://repost.aws/knowledge-center/glue-crawler-detect-schema). Otherwise each
  sub-folder is tried in turn, named after the folder (``year=2017`` -> ``year_2017``), and
  objects beside sub-folders, or of several schemas in one folder, become one table each,
  named after the object with the object as Location. ``CombineCompatibleSchemas`` skips the
  similarity test (https://docs.aws.amazon.com/glue/latest/dg/crawler-grouping-policy.html).
  So, as on AWS, an include path holding a single table folder becomes one table named after
  the include path, with ``partition_0`` = the folder
  (https://docs.aws.amazon.com/glue/latest/dg/crawler-s3-folder-table-partition.html).
- Partitions: folders below a table root, ``key=value`` giving column ``key``, anything else
  ``partition_<level>``; partition columns are ``string``, even for ``year=2017``.
- Names: lower-case, characters other than letters, digits and ``_`` become ``_``, at most
  128 characters; a clash gets a hash suffix
  (https://docs.aws.amazon.com/glue/latest/dg/crawler-running.html).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from .classifiers import FileSchema
from .types import merge_columns

SIMILARITY = 0.7          # "the partition threshold is higher than 0.7 (70%)"
MAX_CLUSTERS = 5          # "the maximum number of different schemas ... doesn't exceed five"
MAX_NAME = 128


@dataclass
class Entry:
    """One object below an include path, with its schema once classified."""
    key: str
    rel: tuple[str, ...]          # path parts below the include path, file name last
    size: int
    schema: FileSchema | None = None


@dataclass
class TableSpec:
    """A table the crawl found: where it is, its merged schema and its partitions."""
    name: str                                     # generated, before prefix and de-duplication
    location: str
    entries: list[Entry]
    schema: FileSchema
    partition_keys: list[str] = field(default_factory=list)
    partitions: dict[tuple[str, ...], tuple[str, list[Entry]]] = field(default_factory=dict)


# --- which objects are crawled ----------------------------------------------------------------

def is_hidden(rel: tuple[str, ...]) -> bool:
    return any(part.startswith(("_", ".")) for part in rel) or rel[-1].endswith("_$folder$")


def glob_regex(pattern: str) -> re.Pattern:
    """Glue's exclude-pattern glob as an anchored regex."""
    return re.compile(_translate(pattern) + r"\Z", re.DOTALL)


def _translate(p: str) -> str:
    out, i, n = [], 0, len(p)
    while i < n:
        c = p[i]
        if c == "\\" and i + 1 < n:
            out.append(re.escape(p[i + 1]))
            i += 2
            continue
        if c == "*":
            if p.startswith("**", i):
                out.append(".*")
                i += 2
            else:
                out.append("[^/]*")
                i += 1
            continue
        if c == "?":
            out.append("[^/]")
        elif c == "[" and (end := _class_end(p, i)) > 0:
            out.append(_char_class(p[i + 1:end]))
            i = end + 1
            continue
        elif c == "{" and (end := p.find("}", i)) > 0:
            alternatives = re.split(r"(?<!\\),", p[i + 1:end])
            out.append("(?:" + "|".join(_translate(a) for a in alternatives) + ")")
            i = end + 1
            continue
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _class_end(p: str, start: int) -> int:
    j = start + 1
    if j < len(p) and p[j] == "!":
        j += 1
    if j < len(p) and p[j] == "]":
        j += 1
    end = p.find("]", j)
    return end


def _char_class(body: str) -> str:
    negate = body.startswith("!")
    if negate:
        body = body[1:]
    parts = []
    for k, ch in enumerate(body):
        if ch == "-" and 0 < k < len(body) - 1:
            parts.append("-")
        else:
            parts.append(re.escape(ch))
    return "[" + ("^" if negate else "") + "".join(parts) + "]"


def compile_exclusions(patterns: list[str]) -> list[tuple[bool, re.Pattern]]:
    """(matches the full s3:// path?, regex) per pattern; plain patterns are relative."""
    out = []
    for p in patterns or []:
        p = (p or "").strip()
        if p:
            out.append((p.startswith("s3://"), glob_regex(p)))
    return out


def excluded(rel_key: str, full_path: str, patterns: list[tuple[bool, re.Pattern]]) -> bool:
    return any(rx.match(full_path if full else rel_key) for full, rx in patterns)


# --- grouping ---------------------------------------------------------------------------------

@dataclass
class _Node:
    parts: tuple[str, ...]
    files: list[Entry] = field(default_factory=list)
    children: dict[str, "_Node"] = field(default_factory=dict)


def _tree(entries: list[Entry]) -> _Node:
    root = _Node(())
    for e in entries:
        node = root
        for part in e.rel[:-1]:
            node = node.children.setdefault(part, _Node(node.parts + (part,)))
        node.files.append(e)
    return root


def _similar(a: set[str], b: set[str]) -> bool:
    return a <= b or b <= a or len(a & b) / max(1, len(a | b)) >= SIMILARITY


def similar_enough(name_lists: list[list[str]]) -> bool:
    """Schemas are one table's when one cluster of similar schemas holds > 70% of them."""
    clusters: list[list] = []   # [names seen, members]
    for names in name_lists:
        s = set(names)
        for cluster in clusters:
            if _similar(cluster[0], s):
                cluster[0] |= s
                cluster[1] += 1
                break
        else:
            clusters.append([s, 1])
    biggest = max((c[1] for c in clusters), default=0)
    return len(clusters) == 1 or (len(clusters) <= MAX_CLUSTERS and biggest / len(name_lists) > SIMILARITY)


def _summary(node: _Node, combine: bool, memo: dict) -> tuple | None:
    """(depth, compatibility key, merged columns) if everything below ``node`` is one table."""
    if id(node) in memo:
        return memo[id(node)]
    result = None
    if node.files and not node.children:
        keys = {e.schema.compatibility_key() for e in node.files}
        if len(keys) == 1 and (combine or similar_enough([e.schema.names() for e in node.files])):
            result = (0, keys.pop(), merge_columns([e.schema.columns for e in node.files]))
    elif node.children and not node.files:
        subs = [_summary(child, combine, memo) for child in node.children.values()]
        if all(subs) and len({s[0] for s in subs}) == 1 and len({s[1] for s in subs}) == 1:
            if combine or similar_enough([[n for n, _ in s[2]] for s in subs]):
                result = (subs[0][0] + 1, subs[0][1], merge_columns([s[2] for s in subs]))
    memo[id(node)] = result
    return result


def group_tables(entries: list[Entry], root_location: str, root_name: str,
                 combine: bool = False) -> list[TableSpec]:
    """Tables for the classified entries of one include path (``root_location`` ends in /)."""
    memo: dict = {}
    tables: list[TableSpec] = []
    bucket_url = root_location.split("/", 3)
    base = f"{bucket_url[0]}//{bucket_url[2]}/"

    def visit(node: _Node, name: str, location: str) -> None:
        summary = _summary(node, combine, memo)
        if summary is not None:
            tables.append(_table(node, name, location, summary))
            return
        for e in node.files:   # beside sub-folders, or one folder of several schemas
            tables.append(TableSpec(e.rel[-1], base + e.key, [e], e.schema))
        for part, child in sorted(node.children.items()):
            visit(child, part, location + part + "/")

    visit(_tree(entries), root_name, root_location)
    return tables


def _table(node: _Node, name: str, location: str, summary: tuple) -> TableSpec:
    depth, _, columns = summary
    entries = _all_entries(node)
    first = entries[0].schema
    schema = FileSchema(first.classification, columns, compression=first.compression,
                        delimiter=first.delimiter, header=first.header, quoted=first.quoted)
    spec = TableSpec(name, location, entries, schema)
    if depth:
        start = len(node.parts)
        levels = [[e.rel[start + i] for e in entries] for i in range(depth)]
        for i, folders in enumerate(levels):
            spec.partition_keys.append(_key_name(folders, i, spec.partition_keys))
        for e in entries:
            folders = e.rel[start:start + depth]
            values = tuple(partition_value(f, k) for f, k in zip(folders, spec.partition_keys))
            loc = location + "/".join(folders) + "/"
            spec.partitions.setdefault(values, (loc, []))[1].append(e)
    return spec


def _all_entries(node: _Node) -> list[Entry]:
    out = list(node.files)
    for _, child in sorted(node.children.items()):
        out.extend(_all_entries(child))
    return out


def _key_name(folders: list[str], level: int, taken: list[str]) -> str:
    keys = {f.split("=", 1)[0] for f in folders if "=" in f}
    if len(keys) == 1 and all("=" in f for f in folders) and (key := keys.pop()):
        if sanitize(key) not in taken:
            return sanitize(key)
    return f"partition_{level}"


def partition_value(folder: str, key: str) -> str:
    """``process_date=2020-08-17`` -> ``2020-08-17`` (Hive-escaped); other folders verbatim."""
    if not key.startswith("partition_") and "=" in folder:
        return unquote(folder.split("=", 1)[1])
    return folder


# --- names ------------------------------------------------------------------------------------

def sanitize(name: str) -> str:
    """Glue's generated names: lower-case letters, digits and ``_`` only."""
    return re.sub(r"[^a-z0-9_]", "_", name.lower())[:MAX_NAME] or "table"   # "a//b": empty folder


def with_hash(name: str, location: str) -> str:
    """The de-duplicated name Glue gives a clashing table: name + "_" + a hash string."""
    digest = hashlib.md5(location.encode()).hexdigest()
    return f"{name[:MAX_NAME - len(digest) - 1]}_{digest}"
