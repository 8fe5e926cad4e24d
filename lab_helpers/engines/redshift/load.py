"""COPY (S3 -> table) and UNLOAD (query -> S3), both acting as the statement's IAM role.

COPY reads CSV / delimited text (IGNOREHEADER, DELIMITER, QUOTE, GZIP, DATEFORMAT, TIMEFORMAT, NULL AS,
EMPTYASNULL, BLANKSASNULL, MAXERROR), PARQUET (columns by position, as Redshift maps them) and JSON
'auto' / 'auto ignorecase'. Values that do not fit their column are load errors: each is recorded in
STL_LOAD_ERRORS / SYS_LOAD_ERROR_DETAIL with file, line, column, raw value and Redshift's error code;
more than MAXERROR (default 0) fails the COPY with Redshift's text and loads nothing.
UNLOAD writes PARQUET (SNAPPY), CSV, JSON or delimited text, with HEADER, PARTITION BY (… [INCLUDE]),
MANIFEST [VERBOSE], ALLOWOVERWRITE, CLEANPATH, PARALLEL OFF, GZIP and EXTENSION.
"""
from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import re

import pyarrow as pa
import pyarrow.parquet as pq

from ..ports import StoreAccessDenied, StoreError, split_s3_uri
from .dialect import parse
from .errors import RedshiftError, relation_missing
from .sqltext import Options, qualified, quote_ident, quote_str, tokens
from .types import pg_type, text_value

META = "__labkit"
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")


# --- shared ------------------------------------------------------------------------------------------

def _auth(opts: Options, session, where: dict) -> bool:
    """Consume an authorization option; returns False if the next tokens are not one."""
    if opts.accept("IAM_ROLE"):
        where["role"] = "default" if opts.accept("DEFAULT") else opts.string()
        return True
    if opts.accept("CREDENTIALS"):
        opts.accept("AS")
        text = opts.string()
        m = re.search(r"aws_iam_role=([^;]+)", text)
        if not m:
            raise RedshiftError("the local Redshift engine accepts only role credentials "
                                "(CREDENTIALS 'aws_iam_role=arn:...') or IAM_ROLE", "0A000")
        where["role"] = m.group(1)
        return True
    if opts.accept("ACCESS_KEY_ID") or opts.accept("SECRET_ACCESS_KEY") or opts.accept("SESSION_TOKEN"):
        raise RedshiftError("use IAM_ROLE: the local Redshift engine acts as a role, not with access keys", "0A000")
    return False


def _role(session, where: dict, verb: str) -> str:
    role = where.get("role")
    if not role:
        raise RedshiftError(f"{verb} needs an IAM_ROLE (or IAM_ROLE default)", "42601")
    if role == "default":
        role = session.warehouse.default_role()
        if not role:
            raise RedshiftError("Default IAM role is not set. Set a default IAM role for the namespace or name "
                                "the role in IAM_ROLE.", "42704")
    return role.split(",")[-1].strip()


def _s3_error(e: StoreError, uri: str) -> RedshiftError:
    if isinstance(e, StoreAccessDenied) or e.code == "AccessDenied":
        return RedshiftError("S3ServiceException:Access Denied,Status 403,Error AccessDenied,Rid local", "XX000",
                             f"{uri}: {e.message}")
    if e.code == "NoSuchBucket":
        return RedshiftError("S3ServiceException:The specified bucket does not exist,Status 404,Error NoSuchBucket",
                             "XX000", uri)
    return RedshiftError(f"S3ServiceException:{e.message},Status {e.status},Error {e.code}", "XX000", uri)


def _store(session, where: dict, verb: str, region: str | None):
    return session.warehouse.lake.store_as(_role(session, where, verb), region or session.warehouse.region)


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


# --- UNLOAD --------------------------------------------------------------------------------------------

def parse_unload(text: str) -> dict:
    m = re.match(r"\s*UNLOAD\s*\(\s*('(?:[^']|'')*')\s*\)\s*TO\s+(.*)$", text, re.I | re.S)
    if not m:
        raise RedshiftError('syntax error at or near "UNLOAD"', "42601",
                            "Write UNLOAD ('select ...') TO 's3://bucket/prefix' IAM_ROLE '...'")
    query = m.group(1)[1:-1].replace("''", "'")
    opts = Options(tokens(m.group(2)))
    spec = {"query": query, "target": opts.string(), "format": "text", "delimiter": None, "header": False,
            "partition": None, "include": False, "manifest": False, "verbose": False, "overwrite": False,
            "cleanpath": False, "parallel": True, "compression": None, "extension": None, "null": "",
            "addquotes": False, "region": None}
    while not opts.done:
        if _auth(opts, None, spec):
            continue
        if opts.accept("FORMAT"):
            opts.accept("AS")
            continue
        if opts.accept("PARQUET"):
            spec["format"] = "parquet"
        elif opts.accept("CSV"):
            spec["format"] = "csv"
        elif opts.accept("JSON"):
            spec["format"] = "json"
        elif opts.accept("PARTITION", "BY"):
            spec["partition"] = opts.ident_list()
            spec["include"] = opts.accept("INCLUDE")
        elif opts.accept("MANIFEST"):
            spec["manifest"] = True
            spec["verbose"] = opts.accept("VERBOSE")
        elif opts.accept("HEADER"):
            spec["header"] = True
        elif opts.accept("DELIMITER"):
            opts.accept("AS")
            spec["delimiter"] = opts.string()
        elif opts.accept("ALLOWOVERWRITE"):
            spec["overwrite"] = True
        elif opts.accept("CLEANPATH"):
            spec["cleanpath"] = True
        elif opts.accept("PARALLEL"):
            spec["parallel"] = not (opts.accept("OFF") or opts.accept("FALSE"))
            opts.accept("ON") or opts.accept("TRUE")
        elif opts.accept("GZIP"):
            spec["compression"] = "gzip"
        elif opts.accept("EXTENSION"):
            spec["extension"] = opts.string().lstrip(".")
        elif opts.accept("NULL"):
            opts.accept("AS")
            spec["null"] = opts.string()
        elif opts.accept("ADDQUOTES"):
            spec["addquotes"] = True
        elif opts.accept("REGION"):
            opts.accept("AS")
            spec["region"] = opts.string()
        elif opts.accept("MAXFILESIZE"):
            opts.accept("AS")
            opts.number()
            opts.accept("MB") or opts.accept("GB")
        elif opts.accept("ROWGROUPSIZE"):
            opts.accept("AS")
            opts.number()
            opts.accept("MB") or opts.accept("GB")
        elif opts.accept("ENCRYPTED") or opts.accept("KMS_KEY_ID"):
            opts.maybe_string()
        elif opts.accept("BZIP2") or opts.accept("ZSTD") or opts.accept("FIXEDWIDTH"):
            raise RedshiftError(f"UNLOAD option {opts.toks[opts.i - 1][1].upper()} is not supported by the local "
                                "Redshift engine", "0A000")
        else:
            raise opts.fail()
    if spec["format"] == "parquet" and (spec["header"] or spec["delimiter"] or spec["compression"]):
        raise RedshiftError("HEADER, DELIMITER and GZIP are not allowed with FORMAT PARQUET", "42601")
    return spec


def unload(session, text: str, query_id: int):
    spec = parse_unload(text)
    try:
        bucket, prefix = split_s3_uri(spec["target"])
    except ValueError:
        raise RedshiftError(f"Invalid S3 URL: {spec['target']}", "22023") from None
    store = _store(session, spec, "UNLOAD", spec["region"])
    tree = session.binder().prepare(parse(spec["query"]))
    result = session.query(session.binder().select_sql(tree))
    table = result.table
    try:
        existing = [o.key for o in store.list_objects(bucket, prefix)]
    except StoreError as e:
        raise _s3_error(e, spec["target"]) from None
    if existing and spec["cleanpath"]:
        for key in existing:
            store.delete_object(bucket, key)
    elif existing and not spec["overwrite"]:
        raise RedshiftError("Specified unload destination on S3 is not empty. Consider using a different bucket / "
                            "prefix, manually removing the target files in S3, or using the ALLOWOVERWRITE option.",
                            "XX000")
    groups = _partitions(table, spec["partition"], spec["include"]) if spec["partition"] else [("", table)]
    written = []
    for folder, part in groups:
        base = (prefix.rstrip("/") + "/" + folder) if spec["partition"] else prefix
        key = base + ("0000_part_00" if spec["parallel"] else "000") + _suffix(spec)
        data = _encode(part, spec)
        try:
            store.put_object(bucket, key, data)
        except StoreError as e:
            raise _s3_error(e, f"s3://{bucket}/{key}") from None
        written.append((f"s3://{bucket}/{key}", len(data), part.num_rows))
    if spec["manifest"]:
        _write_manifest(store, bucket, prefix, written, table, spec)
    return session.tagged("UNLOAD", table.num_rows)


def _suffix(spec: dict) -> str:
    ext = {"parquet": ".parquet", "json": "", "csv": "", "text": ""}[spec["format"]]
    if spec["extension"]:
        ext = "." + spec["extension"]
    if spec["compression"] == "gzip":
        ext += ".gz"
    return ext


def _partitions(table: pa.Table, keys: list[str], include: bool) -> list[tuple[str, pa.Table]]:
    missing = [k for k in keys if k not in table.column_names]
    if missing:
        raise RedshiftError(f'column "{missing[0]}" does not exist in the UNLOAD query', "42703")
    values = [table.column(k).to_pylist() for k in keys]
    groups: dict[tuple, list[int]] = {}
    for i, combo in enumerate(zip(*values)):
        groups.setdefault(combo, []).append(i)
    out = []
    keep = [c for c in table.column_names if include or c not in keys]
    for combo in sorted(groups, key=lambda c: tuple((v is None, str(v)) for v in c)):
        folder = "".join(f"{k}={HIVE_NULL if v is None else text_value(v)}/" for k, v in zip(keys, combo))
        out.append((folder, table.take(pa.array(groups[combo])).select(keep)))
    return out


def _encode(table: pa.Table, spec: dict) -> bytes:
    if spec["format"] == "parquet":
        buf = io.BytesIO()
        pq.write_table(table, buf, compression="snappy")
        return buf.getvalue()
    rows = table.to_pylist()
    buf = io.StringIO()
    if spec["format"] == "json":
        for row in rows:
            buf.write(json.dumps({k: v if isinstance(v, (int, float, bool)) or v is None else text_value(v)
                                  for k, v in row.items()}) + "\n")
    else:
        delim = spec["delimiter"] or ("," if spec["format"] == "csv" else "|")
        if spec["format"] == "csv":
            writer = csv.writer(buf, delimiter=delim, lineterminator="\n")
            if spec["header"]:
                writer.writerow(table.column_names)
            for row in rows:
                writer.writerow(["" if v is None else text_value(v) for v in row.values()])
        else:
            if spec["header"]:
                buf.write(delim.join(table.column_names) + "\n")
            for row in rows:
                cells = [spec["null"] if v is None else text_value(v) for v in row.values()]
                if spec["addquotes"]:
                    cells = ['"' + c.replace('"', '""') + '"' for c in cells]
                buf.write(delim.join(cells) + "\n")
    data = buf.getvalue().encode()
    return gzip.compress(data) if spec["compression"] == "gzip" else data


def _write_manifest(store, bucket: str, prefix: str, written, table: pa.Table, spec: dict) -> None:
    entries = [{"url": url, "meta": {"content_length": size, **({"record_count": rows} if spec["verbose"] else {})}}
               for url, size, rows in written]
    doc: dict = {"entries": entries}
    if spec["verbose"]:
        from .warehouse import _duck_type_of

        doc["schema"] = {"elements": [{"name": f.name, "type": {"base": pg_type(_duck_type_of(f.type)).sql}}
                                      for f in table.schema]}
        doc["meta"] = {"content_length": sum(s for _, s, _ in written), "record_count": table.num_rows}
        doc["author"] = {"name": "Amazon Redshift", "version": "1.0.0"}
    key = prefix + "manifest"
    try:
        store.put_object(bucket, key, json.dumps(doc, indent=1).encode())
    except StoreError as e:
        raise _s3_error(e, f"s3://{bucket}/{key}") from None
