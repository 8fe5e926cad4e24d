"""copy_from: COPY (S3 -> table), acting as the statement's IAM role.

Reads CSV / delimited text (IGNOREHEADER, DELIMITER, QUOTE, GZIP, DATEFORMAT, TIMEFORMAT, NULL AS,
EMPTYASNULL, BLANKSASNULL, MAXERROR), PARQUET (columns by position, as Redshift maps them) and JSON
'auto' / 'auto ignorecase'. Values that do not fit their column are load errors: each is recorded in
STL_LOAD_ERRORS / SYS_LOAD_ERROR_DETAIL with file, line, column, raw value and Redshift's error code;
more than MAXERROR (default 0) fails the COPY with Redshift's text and loads nothing.
"""
from __future__ import annotations

import datetime as dt
import json
import re

from ..ports import StoreError, split_s3_uri
from .errors import RedshiftError, relation_missing
from .load import _auth, _s3_error, _store
from .sqltext import META, Options, qualified, quote_ident, quote_str, tokens
from .types import pg_type

_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")

# --- COPY ----------------------------------------------------------------------------------------------

_DATE_FMT = [("YYYY", "%Y"), ("YY", "%y"), ("MONTH", "%B"), ("MON", "%b"), ("MM", "%m"), ("DD", "%d"),
             ("HH24", "%H"), ("HH12", "%I"), ("HH", "%I"), ("MI", "%M"), ("SS", "%S"), ("AM", "%p"), ("PM", "%p"),
             ("US", "%f"), ("MS", "%g")]


def strptime_format(fmt: str) -> str:
    out, i = "", 0
    while i < len(fmt):
        for src, dst in _DATE_FMT:
            if fmt[i:i + len(src)].upper() == src:
                out += dst
                i += len(src)
                break
        else:
            out += "%%" if fmt[i] == "%" else fmt[i]
            i += 1
    return out


def parse_copy(text: str) -> dict:
    m = re.match(r"\s*COPY\s+(.*)$", text, re.I | re.S)
    opts = Options(tokens(m.group(1)))
    spec = {"format": "text", "delimiter": None, "quote": '"', "ignoreheader": 0, "compression": None,
            "dateformat": None, "timeformat": None, "maxerror": 0, "null": None, "emptyasnull": False,
            "blanksasnull": False, "manifest": False, "region": None, "json": "auto", "columns": None,
            "removequotes": False, "trimblanks": False, "truncatecolumns": False}
    spec["table"] = qualified(opts.word())
    if opts.peek()[0] == "(":
        spec["columns"] = opts.ident_list()
    if not opts.accept("FROM"):
        raise opts.fail()
    spec["source"] = opts.string()
    while not opts.done:
        if _auth(opts, None, spec):
            continue
        if opts.accept("FORMAT"):
            opts.accept("AS")
            continue
        if opts.accept("CSV"):
            spec["format"] = "csv"
            if opts.accept("QUOTE"):
                opts.accept("AS")
                spec["quote"] = opts.string()
        elif opts.accept("PARQUET"):
            spec["format"] = "parquet"
        elif opts.accept("JSON"):
            spec["format"] = "json"
            spec["json"] = (opts.maybe_string() or "auto").lower()
        elif opts.accept("ORC") or opts.accept("AVRO") or opts.accept("SHAPEFILE") or opts.accept("FIXEDWIDTH"):
            raise RedshiftError(f"COPY FORMAT {opts.toks[opts.i - 1][1].upper()} is not supported by the local "
                                "Redshift engine (use CSV, PARQUET or JSON)", "0A000")
        elif opts.accept("DELIMITER"):
            opts.accept("AS")
            spec["delimiter"] = opts.string()
        elif opts.accept("IGNOREHEADER"):
            opts.accept("AS")
            spec["ignoreheader"] = opts.number()
        elif opts.accept("GZIP"):
            spec["compression"] = "gzip"
        elif opts.accept("ZSTD"):
            spec["compression"] = "zstd"
        elif opts.accept("BZIP2") or opts.accept("LZOP"):
            raise RedshiftError("BZIP2 and LZOP are not supported by the local Redshift engine (use GZIP)", "0A000")
        elif opts.accept("DATEFORMAT"):
            opts.accept("AS")
            spec["dateformat"] = opts.string()
        elif opts.accept("TIMEFORMAT"):
            opts.accept("AS")
            spec["timeformat"] = opts.string()
        elif opts.accept("MAXERROR"):
            opts.accept("AS")
            spec["maxerror"] = opts.number()
        elif opts.accept("NULL"):
            opts.accept("AS")
            spec["null"] = opts.string()
        elif opts.accept("EMPTYASNULL"):
            spec["emptyasnull"] = True
        elif opts.accept("BLANKSASNULL"):
            spec["blanksasnull"] = True
        elif opts.accept("MANIFEST"):
            spec["manifest"] = True
        elif opts.accept("REGION"):
            opts.accept("AS")
            spec["region"] = opts.string()
        elif opts.accept("REMOVEQUOTES"):
            spec["removequotes"] = True
        elif opts.accept("TRIMBLANKS"):
            spec["trimblanks"] = True
        elif opts.accept("TRUNCATECOLUMNS"):
            spec["truncatecolumns"] = True
        elif opts.accept("ACCEPTINVCHARS"):
            opts.accept("AS")
            opts.maybe_string()
        elif opts.accept("STATUPDATE") or opts.accept("COMPUPDATE"):
            opts.accept("ON") or opts.accept("OFF") or opts.accept("TRUE") or opts.accept("FALSE") or \
                opts.accept("PRESET")
        elif opts.accept("EXPLICIT_IDS") or opts.accept("FILLRECORD") or opts.accept("ACCEPTANYDATE") or \
                opts.accept("ESCAPE") or opts.accept("ROUNDEC") or opts.accept("IGNOREBLANKLINES"):
            continue
        else:
            raise opts.fail()
    return spec


def _source_files(store, spec: dict) -> list[tuple[str, str, int]]:
    """(bucket, key, size) of the objects a COPY reads: every object whose key starts with the prefix,
    or the manifest's entries."""
    try:
        bucket, prefix = split_s3_uri(spec["source"])
    except ValueError:
        raise RedshiftError(f"Invalid S3 URL: {spec['source']}", "22023") from None
    try:
        if spec["manifest"]:
            doc = json.loads(store.get_object(bucket, prefix))
            out = []
            for entry in doc.get("entries", []):
                b, k = split_s3_uri(entry["url"])
                found = [o for o in store.list_objects(b, k) if o.key == k]
                if not found:
                    if entry.get("mandatory"):
                        raise RedshiftError(f"Manifest file entry {entry['url']} does not exist", "XX000")
                    continue
                out.append((b, k, found[0].size))
            return out
        objects = store.list_objects(bucket, prefix)
    except StoreError as e:
        raise _s3_error(e, spec["source"]) from None
    files = [(bucket, o.key, o.size) for o in objects if o.size > 0 and not o.key.endswith("/")]
    if not files:
        raise RedshiftError(f"The specified S3 prefix '{prefix}' does not exist", "XX000",
                            f"No objects under {spec['source']}")
    return files


def copy(session, text: str, query_id: int):
    spec = parse_copy(text)
    schema, name = spec["table"]
    schema = schema or session.lookup_schema(name)
    if not session.table_exists(schema, name):
        raise relation_missing(name if schema == "public" else f"{schema}.{name}")
    columns = session.con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
        "AND database_name = current_database() ORDER BY column_index", [schema, name]).fetchall()
    if spec["columns"]:
        by_name = dict(columns)
        missing = [c for c in spec["columns"] if c not in by_name]
        if missing:
            raise RedshiftError(f'column "{missing[0]}" of relation "{name}" does not exist', "42703")
        columns = [(c, by_name[c]) for c in spec["columns"]]
    store = _store(session, spec, "COPY", spec["region"])
    files = _source_files(store, spec)
    paths: dict[str, str] = {}
    for bucket, key, _ in files:
        try:
            paths[store.local_path(bucket, key)] = f"s3://{bucket}/{key}"
        except StoreError as e:
            raise _s3_error(e, f"s3://{bucket}/{key}") from None
    target = f"{quote_ident(schema)}.{quote_ident(name)}"
    collist = ", ".join(quote_ident(c) for c, _ in columns)
    if spec["format"] == "parquet":
        return _copy_parquet(session, spec, paths, columns, target, collist)
    stage = _stage_text(session, spec, list(paths), [c for c, _ in columns])
    conv = [_convert(f"c{i}", t, spec) for i, (_, t) in enumerate(columns)]
    bad = [f"(c{i} IS NOT NULL AND {c} IS NULL)" for i, c in enumerate(conv)]
    errors = session.con.execute(
        " UNION ALL ".join(f"SELECT _file, _line, {i} AS col, c{i} AS raw, "
                           f"concat_ws({quote_str(spec['delimiter'] or ('|' if spec['format'] == 'text' else ','))}, "
                           f"{', '.join(f'c{j}' for j in range(len(columns)))}) AS line_text "
                           f"FROM {stage} WHERE {b}" for i, b in enumerate(bad))
        + " ORDER BY _file, _line, col LIMIT 1000").fetchall()
    if errors:
        _record_errors(session, query_id, schema, name, columns, errors, paths)
    if len({(e[0], e[1]) for e in errors}) > spec["maxerror"]:
        raise RedshiftError(f"Load into table '{name}' failed. Check 'sys_load_error_detail' system table for "
                            "details.", "XX000",
                            f"{len(errors)} load error(s); the first: line {errors[0][1]} of {paths[errors[0][0]]}, "
                            f"column {columns[errors[0][2]][0]}: {_reason(columns[errors[0][2]][1], errors[0][3])[1]}")
    where = f"WHERE NOT ({' OR '.join(bad)})" if bad else ""
    count = session.con.execute(f"INSERT INTO {target} ({collist}) SELECT {', '.join(conv)} FROM {stage} {where}"
                                ).fetchone()[0]
    session.con.execute(f"DROP TABLE IF EXISTS {stage}")
    return session.tagged("COPY", int(count))


def _stage_text(session, spec: dict, paths: list[str], cols: list[str]) -> str:
    ncols = len(cols)
    session.temp_n += 1
    stage = f"__rs_copy{session.temp_n}"
    files = "[" + ", ".join(quote_str(p) for p in paths) + "]"
    if spec["format"] == "json":
        ignorecase = "ignorecase" in spec["json"]
        if spec["json"].startswith("s3://"):
            raise RedshiftError("JSON 'jsonpaths' files are not supported by the local Redshift engine "
                                "(use JSON 'auto')", "0A000")
        compression = f", compression='{spec['compression']}'" if spec["compression"] else ""
        exprs = []
        for i, cname in enumerate(cols):
            key = "lower(k)" if ignorecase else "k"
            exprs.append(f"(SELECT CASE WHEN json_type(j.json, '$.\"' || k || '\"') IN ('OBJECT', 'ARRAY') "
                         f"THEN json_extract(j.json, '$.\"' || k || '\"')::VARCHAR "
                         f"ELSE json_extract_string(j.json, '$.\"' || k || '\"') END "
                         f"FROM (SELECT unnest(json_keys(j.json)) AS k) WHERE {key} = {quote_str(cname)} LIMIT 1) "
                         f"AS c{i}")
        sql = (f"SELECT filename AS _file, row_number() OVER (PARTITION BY filename) AS _line, {', '.join(exprs)} "
               f"FROM read_json_objects({files}, format='auto', filename=true{compression}) AS j")
    else:
        csv_mode = spec["format"] == "csv"
        delim = spec["delimiter"] or ("," if csv_mode else "|")
        quote = spec["quote"] if csv_mode else ""
        escape = spec["quote"] if csv_mode else "\\"
        nullstr = spec["null"] if spec["null"] is not None else ("" if csv_mode else "\\N")
        names = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(ncols)) + "}"
        compression = f", compression='{spec['compression']}'" if spec["compression"] else ""
        sql = (f"SELECT filename AS _file, row_number() OVER (PARTITION BY filename) + {spec['ignoreheader']} AS _line, "
               + ", ".join(_clean(f"c{i}", spec) + f" AS c{i}" for i in range(ncols))
               + f" FROM read_csv({files}, columns={names}, header=false, skip={spec['ignoreheader']}, "
               f"delim={quote_str(delim)}, quote={quote_str(quote)}, escape={quote_str(escape)}, "
               f"nullstr={quote_str(nullstr)}, auto_detect=false, strict_mode=false, null_padding=true, "
               f"filename=true, parallel=false{compression})")
    session.con.execute(f"CREATE OR REPLACE TEMP TABLE {stage} AS {sql}")
    return stage


def _clean(col: str, spec: dict) -> str:
    expr = col
    if spec["trimblanks"] or spec["blanksasnull"]:
        expr = f"trim({expr})"
    if spec["removequotes"]:
        expr = f"trim({expr}, '\"')"
    if spec["emptyasnull"] or spec["blanksasnull"]:
        expr = f"nullif({expr}, '')"
    return expr


def _convert(col: str, duck_type: str, spec: dict) -> str:
    t = duck_type.upper()
    if t.startswith("VARCHAR"):
        return col
    if t == "DATE" and spec["dateformat"] and spec["dateformat"].lower() != "auto":
        return f"TRY_CAST(try_strptime({col}, {quote_str(strptime_format(spec['dateformat']))}) AS DATE)"
    if t.startswith("TIMESTAMP") and spec["timeformat"] and spec["timeformat"].lower() not in ("auto", "epochsecs",
                                                                                              "epochmillisecs"):
        return f"TRY_CAST(try_strptime({col}, {quote_str(strptime_format(spec['timeformat']))}) AS {t})"
    if t == "BOOLEAN":
        return (f"CASE WHEN lower(trim({col})) IN ('t', 'true', '1', 'y', 'yes') THEN true "
                f"WHEN lower(trim({col})) IN ('f', 'false', '0', 'n', 'no') THEN false END")
    if t in _INT_TYPES or t.startswith("DECIMAL") or t in ("DOUBLE", "FLOAT", "REAL"):
        return f"TRY_CAST(trim({col}) AS {t})"
    return f"TRY_CAST({col} AS {t})"


def _reason(duck_type: str, raw: str) -> tuple[int, str]:
    """(err_code, err_reason) as Redshift writes them in STL_LOAD_ERRORS."""
    t = duck_type.upper()
    kind = {"SMALLINT": "Short", "INTEGER": "Integer", "BIGINT": "Long", "DOUBLE": "Double", "FLOAT": "Float",
            "BOOLEAN": "Boolean"}.get(t, "Numeric" if t.startswith("DECIMAL") else None)
    if kind:
        pos = next((i for i, ch in enumerate(raw or "") if not (ch.isdigit() or ch in "+-.eE ")), 0)
        ch = (raw or " ")[pos] if raw else ""
        if t == "BOOLEAN":
            return 1210, f"Invalid boolean, Value '{raw}'"
        return 1207, f"Invalid digit, Value '{ch}', Pos {pos}, Type: {kind}"
    if t == "DATE":
        return 1205, "Invalid Date Format - length must be 10 or more" if len(raw or "") < 10 else \
            f"Invalid date format: {raw}"
    if t.startswith("TIMESTAMP"):
        return 1206, "Invalid timestamp format or value [YYYY-MM-DD HH24:MI:SS]"
    return 1216, "Invalid input line"


def _record_errors(session, query_id, schema, name, columns, errors, paths) -> None:
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    rows = []
    for file, line, col, raw, line_text in errors:
        cname, ctype = columns[col]
        code, reason = _reason(ctype, raw)
        rows.append((query_id, now, session.pid % 2 ** 31, schema, name, paths.get(file, file), int(line), cname,
                     pg_type(ctype).name, "0", 0, (line_text or "")[:1024], (raw or "")[:1024], code, reason))
    session.con.executemany(f"INSERT INTO {META}.load_errors VALUES ({', '.join('?' * 15)})", rows)


def _copy_parquet(session, spec, paths: dict, columns, target, collist):
    files = "[" + ", ".join(quote_str(p) for p in paths) + "]"
    fields = session.con.execute(f"DESCRIBE SELECT * FROM read_parquet({files}, union_by_name=true)").fetchall()
    if len(fields) != len(columns):
        raise RedshiftError("Spectrum Scan Error", "XX000",
                            f"error: Spectrum Scan Error code: 15007 context: Unmatched number of columns between "
                            f"table and file. Table columns: {len(columns)}, Data columns: {len(fields)}, File name: "
                            f"{next(iter(paths.values()), '')}")
    exprs = [f"CAST({quote_ident(f[0])} AS {t})" for f, (_, t) in zip(fields, columns)]
    try:
        count = session.con.execute(f"INSERT INTO {target} ({collist}) SELECT {', '.join(exprs)} "
                                    f"FROM read_parquet({files}, union_by_name=true)").fetchone()[0]
    except Exception as e:   # noqa: BLE001 - a value that does not fit its column
        raise RedshiftError("Spectrum Scan Error", "XX000",
                            f"error: Spectrum Scan Error code: 15001 context: incompatible Parquet schema "
                            f"({str(e).splitlines()[0]})") from None
    return session.tagged("COPY", int(count))


