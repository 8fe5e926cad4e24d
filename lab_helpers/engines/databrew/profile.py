"""profile: DataBrew's profile JSON for an Arrow table (column statistics, correlations, duplicates).

Statistics follow Spark, which DataBrew runs on: sample standard deviation and variance,
population skewness (m3 / m2^1.5) and excess kurtosis (m4 / m2^2 - 3), exact interpolated
percentiles. String columns are described by their lengths (min, max, mean... of the length), as
DataBrew does; like DataBrew, only byte/short/int/long/float/double/string/boolean columns are
profiled (dates and timestamps are skipped); their most common values, distinct and unique counts are of the values themselves.
"Missing" is NULL, or the empty string in a string column. Entropy is in bits.
"""
from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import stats
from .sandbox import quote
from .types import is_numeric, is_text, spark_type

DEFAULTS = {"mostCommonValues": 50, "bins": 20, "zScoreThreshold": 3.0, "correlationColumns": 10, "extremes": 5,
            "outlierSample": 5}
# Column statistic names (ProfileConfiguration IncludedStatistics) -> the keys they add.
COLUMN_STATISTICS = {
    "DISTINCT_VALUES_COUNT": ["distinctValuesCount"], "UNIQUE_VALUES_COUNT": ["uniqueValuesCount"],
    "MISSING_VALUES_COUNT": ["missingValuesCount"], "ENTROPY": ["entropy"],
    "MOST_COMMON_VALUES": ["mostCommonValues"], "MIN": ["min"], "MAX": ["max"], "MEAN": ["mean"],
    "MEDIAN": ["median"], "MODE": ["mode"], "SUM": ["sum"], "STANDARD_DEVIATION": ["standardDeviation"],
    "VARIANCE": ["variance"], "KURTOSIS": ["kurtosis"], "SKEWNESS": ["skewness"], "RANGE": ["range"],
    "ZEROS_COUNT": ["zerosCount"], "PERCENTILE": ["percentile5", "percentile25", "percentile75", "percentile95"],
    "INTERQUARTILE_RANGE": ["interquartileRange"], "MEDIAN_ABSOLUTE_DEVIATION": ["medianAbsoluteDeviation"],
    "MINIMUM_VALUES": ["minimumValues"], "MAXIMUM_VALUES": ["maximumValues"],
    "VALUE_DISTRIBUTION": ["valueDistribution"], "Z_SCORE_DISTRIBUTION": ["zScoreDistribution"],
    "Z_SCORE_OUTLIERS_COUNT": ["zScoreOutliersCount"], "Z_SCORE_OUTLIERS_SAMPLE": ["zScoreOutliersSample"],
    "CORRELATION": ["correlations"],
}
DATASET_STATISTICS = ("CORRELATION", "DUPLICATE_ROWS_COUNT")


def _clean(value):
    """JSON-safe: NaN/inf -> None, dates -> ISO text, Decimals -> float."""
    if value is None:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "as_tuple"):   # Decimal
        return float(value)
    return value


def _one(cur, sql: str) -> tuple:
    return cur.execute(sql).fetchone()


def _frequencies(cur, ref: str, missing: str) -> pa.Table:
    """Each present value of the column with its count (the one pass over the rows)."""
    return cur.sql(f"SELECT {ref} AS v, count(*) AS c FROM t WHERE NOT {missing} GROUP BY 1").to_arrow_table()


_AS_INT = ("min", "max", "mode", "sum", "range")


def _column(cur, table: pa.Table, name: str, settings: dict, rows: int) -> dict:
    t = table.schema.field(name).type
    ref = quote(name)
    text = is_text(t)
    missing = f"({ref} IS NULL OR {ref} = '')" if text else f"({ref} IS NULL)"
    out = {"name": name, "type": spark_type(t)}
    freq = _frequencies(cur, ref, missing)
    counts = freq.column("c").to_numpy().astype(np.int64)
    present = int(counts.sum())
    p = counts / present if present else counts
    out.update({"distinctValuesCount": freq.num_rows, "uniqueValuesCount": int((counts == 1).sum()),
                "missingValuesCount": rows - present,
                "entropy": float(-(p * np.log2(p)).sum()) if present else 0.0})
    top = freq.take(pc.sort_indices(freq, sort_keys=[("c", "descending"), ("v", "ascending")])[
        :settings["mostCommonValues"]])
    out["mostCommonValues"] = [{"value": _clean(v), "count": c} for v, c in zip(top.column("v").to_pylist(),
                                                                               top.column("c").to_pylist())]
    if is_numeric(t):
        values = freq.column("v").cast(pa.float64()).to_numpy(zero_copy_only=False)
        numbers = stats.numeric(values, counts, settings)
        if pa.types.is_integer(t):   # whole numbers stay whole in the JSON
            for key in _AS_INT:
                if numbers.get(key) is not None:
                    numbers[key] = int(numbers[key])
            for key in ("minimumValues", "maximumValues"):
                numbers[key] = [int(x) for x in numbers.get(key) or []]
        out.update(numbers)
    elif text:
        lengths = pc.utf8_length(freq.column("v")).cast(pa.float64()).to_numpy(zero_copy_only=False)
        numbers = stats.numeric(lengths, counts, settings)
        for key in _AS_INT:
            if numbers.get(key) is not None:
                numbers[key] = int(numbers[key])
        out.update(numbers)
    elif pa.types.is_boolean(t) and freq.num_rows:
        values = freq.column("v").to_pylist()
        out.update({"min": min(values), "max": max(values)})
    return {k: ([{kk: _clean(vv) for kk, vv in item.items()} if isinstance(item, dict) else _clean(item)
                 for item in v] if isinstance(v, list) else _clean(v)) for k, v in out.items()}


def _correlations(cur, table: pa.Table, names: list[str], limit: int) -> dict[str, dict[str, float]]:
    usable = [n for n in names if is_numeric(table.schema.field(n).type) or is_text(table.schema.field(n).type)]
    usable = usable[:limit]
    if len(usable) < 2:
        return {}

    def val(n):
        return f"length(nullif({quote(n)}, ''))" if is_text(table.schema.field(n).type) else f"CAST({quote(n)} AS DOUBLE)"
    pairs = [(a, b) for i, a in enumerate(usable) for b in usable[i + 1:]]
    row = _one(cur, "SELECT " + ", ".join(f"corr({val(a)}, {val(b)})" for a, b in pairs) + " FROM t")
    out: dict[str, dict[str, float]] = {n: {} for n in usable}
    for (a, b), r in zip(pairs, row):
        r = _clean(r)
        out[a][b] = r
        out[b][a] = r
    return out


def _matches(name: str, selectors: list[dict]) -> bool:
    """A column selector ({"Name"} or {"Regex"}; correlation parameters spell them in lower case)."""
    import re

    for sel in selectors:
        exact = sel.get("Name", sel.get("name"))
        pattern = sel.get("Regex", sel.get("regex"))
        if exact == name or (pattern and re.fullmatch(pattern, name)):
            return True
    return False


def supported(t: pa.DataType) -> bool:
    """DataBrew profiles byte, short, int, long, float, double, string and boolean columns only."""
    return (pa.types.is_integer(t) or pa.types.is_floating(t) or is_text(t) or pa.types.is_boolean(t))


def _column_settings(config: dict, name: str) -> tuple[dict, list[str]]:
    """(numbers, included statistics) for one column: the defaults, then every
    ColumnStatisticsConfiguration whose Selectors match it (all columns when it has none)."""
    settings, included = dict(DEFAULTS), ["ALL"]
    for conf in config.get("ColumnStatisticsConfigurations") or []:
        if conf.get("Selectors") and not _matches(name, conf["Selectors"]):
            continue
        stats = conf.get("Statistics") or {}
        if stats.get("IncludedStatistics"):
            included = stats["IncludedStatistics"]
        for override in stats.get("Overrides") or []:
            params = override.get("Parameters") or {}
            stat = override.get("Statistic")
            if stat == "VALUE_DISTRIBUTION" and "binNumber" in params:
                settings["bins"] = max(1, int(params["binNumber"]))
            elif stat == "MOST_COMMON_VALUES" and "topN" in params:
                settings["mostCommonValues"] = int(params["topN"])
            elif stat in ("Z_SCORE_OUTLIERS_COUNT", "Z_SCORE_OUTLIERS_SAMPLE", "OUTLIER_DETECTION") and \
                    "threshold" in params:
                settings["zScoreThreshold"] = float(params["threshold"])
    return settings, included


def _dataset_settings(config: dict) -> tuple[list[str], int, list[dict] | None, dict]:
    """(included dataset statistics, correlation column count, correlation selectors, the echo)."""
    ds = config.get("DatasetStatisticsConfiguration") or {}
    included = list(ds.get("IncludedStatistics") or ["ALL"])
    if "ALL" in included:
        included = list(DATASET_STATISTICS)
    number, selectors = DEFAULTS["correlationColumns"], None
    for override in ds.get("Overrides") or []:
        params = override.get("Parameters") or {}
        if override.get("Statistic") == "CORRELATION":
            if "columnNumber" in params:
                number = int(params["columnNumber"])
            if "columnSelectors" in params:
                raw = params["columnSelectors"]
                selectors = json.loads(raw) if isinstance(raw, str) else raw
    parameters = {"columnNumber": str(number)}
    if selectors is not None:
        parameters["columnSelectors"] = json.dumps(selectors)
    defaults = dict(DEFAULTS)
    echo = {
        "datasetConfiguration": {"includedStatistics": included, "parameters": {"CORRELATION": parameters}},
        "columnConfiguration": {
            "includedStatistics": sorted(COLUMN_STATISTICS),
            "parameters": {"MOST_COMMON_VALUES": {"topN": str(defaults["mostCommonValues"])},
                           "VALUE_DISTRIBUTION": {"binNumber": str(defaults["bins"])},
                           "Z_SCORE_OUTLIERS_COUNT": {"threshold": str(defaults["zScoreThreshold"])}}},
    }
    return included, number, selectors, echo


def profile(table: pa.Table, con, *, job_name: str, run_id: str, location: str, started_on: datetime,
            config: dict | None = None, check_cancel=lambda: None) -> dict:
    """The profile document DataBrew writes for ``table`` (already the job's sample)."""
    config = config or {}
    ds_included, corr_number, corr_selectors, echo = _dataset_settings(config)
    names = [n for n in table.column_names if supported(table.schema.field(n).type)]
    if config.get("ProfileColumns"):
        names = [n for n in names if _matches(n, config["ProfileColumns"])]
    cur = con.cursor()
    try:
        cur.register("t", table)
        rows = table.num_rows
        columns = []
        for name in names:
            check_cancel()
            settings, included = _column_settings(config, name)
            stats = _column(cur, table, name, settings, rows)
            if "ALL" not in included:
                keep = {"name", "type"} | {k for s in included for k in COLUMN_STATISTICS.get(s, [])}
                stats = {k: v for k, v in stats.items() if k in keep}
            columns.append(stats)
        doc = {"defaultProfileConfiguration": echo, "datasetConfigurationOverride": {}, "sampleSize": rows}
        if "DUPLICATE_ROWS_COUNT" in ds_included:
            doc["duplicateRowsCount"] = rows - _one(cur, "SELECT count(*) FROM (SELECT DISTINCT * FROM t)")[0]
        if "CORRELATION" in ds_included:
            chosen = [n for n in names if _matches(n, corr_selectors)] if corr_selectors else names
            corr = _correlations(cur, table, chosen, len(chosen) if corr_selectors else corr_number)
            for col in columns:
                if col["name"] in corr:
                    col["correlations"] = corr[col["name"]]
    finally:
        cur.close()
    doc.update({"columns": columns, "jobName": job_name, "jobRunId": run_id, "location": location,
                "startedOn": started_on.astimezone(UTC).isoformat(),
                "writtenOn": datetime.now(UTC).isoformat(), "version": "1.0"})
    return doc
