"""Profile jobs through boto3: the profile JSON's statistics against pandas/numpy/scipy on the same
rows, the job sample, column selection, and ruleset validation."""
import json
import math

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from .support import BUCKET, ROLE_ARN, put_dataset, run_job

TOP_KEYS = {"defaultProfileConfiguration", "datasetConfigurationOverride", "sampleSize", "duplicateRowsCount",
            "columns", "jobName", "jobRunId", "location", "startedOn", "writtenOn", "version"}


def frame(rows: int = 3000, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    gpa = rng.normal(2.9, 0.6, rows).round(2)
    gpa[rng.random(rows) < 0.05] = 0.0                     # "not given" zeros
    gpa_list = [None if rng.random() < 0.03 else float(v) for v in gpa]
    gpa_list[5] = 9.9                                      # an outlier
    states = rng.choice(["Ohio", "Texas", "Maine", "District of Columbia", "Dist", ""], rows,
                        p=[0.4, 0.3, 0.2, 0.05, 0.03, 0.02])
    credits = rng.integers(0, 140, rows)
    table = pa.table({"student_id": pa.array(np.arange(100000, 100000 + rows), pa.int32()),
                      "gpa": pa.array(gpa_list, pa.float64()), "state": pa.array(states.tolist(), pa.string()),
                      "credits": pa.array(credits, pa.int64()),
                      "hours": pa.array((credits * 3 + rng.normal(0, 10, rows)).round(1), pa.float64())})
    return pa.concat_tables([table, table.slice(0, 4)])    # four duplicate rows


def profile_of(brew, table: pa.Table, **job) -> dict:
    put_dataset(brew, "students", table)
    db, s3 = brew("databrew"), brew("s3")
    db.create_profile_job(Name="students-profile", DatasetName="students", RoleArn=ROLE_ARN,
                          OutputLocation={"Bucket": BUCKET, "Key": "profiles/"}, **job)
    run = run_job(db, "students-profile")
    assert run["State"] == "SUCCEEDED", run
    key = next(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="profiles/")["Contents"]
               if o["Key"].endswith(".json") and "dq-validation" not in o["Key"])
    doc = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    assert doc["location"] == f"s3://{BUCKET}/{key}" and doc["jobRunId"] == run["RunId"]
    return doc


def col(doc, name):
    return next(c for c in doc["columns"] if c["name"] == name)


def close(a, b, tol=1e-9):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def test_profile_json_shape_and_numeric_statistics_match_pandas(brew):
    table = frame()
    doc = profile_of(brew, table, JobSample={"Mode": "FULL_DATASET"})
    assert set(doc) == TOP_KEYS
    assert doc["version"] == "1.0" and doc["jobName"] == "students-profile" and doc["jobRunId"].startswith("db_")
    assert doc["sampleSize"] == table.num_rows
    df = table.to_pandas()
    assert doc["duplicateRowsCount"] == int(df.duplicated().sum()) == 4
    gpa = col(doc, "gpa")
    s = df["gpa"].dropna()
    assert gpa["type"] == "double" and col(doc, "student_id")["type"] == "int" and col(doc, "credits")["type"] == "bigint"
    assert gpa["missingValuesCount"] == int(df["gpa"].isna().sum())
    assert gpa["distinctValuesCount"] == s.nunique()
    assert gpa["uniqueValuesCount"] == int((s.value_counts() == 1).sum())
    assert gpa["zerosCount"] == int((s == 0).sum())
    for key, want in [("min", s.min()), ("max", s.max()), ("mean", s.mean()), ("sum", s.sum()),
                      ("standardDeviation", s.std(ddof=1)), ("variance", s.var(ddof=1)), ("median", s.median()),
                      ("range", s.max() - s.min()), ("skewness", stats.skew(s, bias=True)),
                      ("kurtosis", stats.kurtosis(s, fisher=True, bias=True)),
                      ("medianAbsoluteDeviation", np.median(np.abs(s - s.median())))]:
        assert close(gpa[key], float(want), 1e-7), (key, gpa[key], want)
    for p in (5, 25, 75, 95):
        assert close(gpa[f"percentile{p}"], float(np.percentile(s, p)), 1e-9)
    assert close(gpa["interquartileRange"], float(np.percentile(s, 75) - np.percentile(s, 25)))
    counts = s.value_counts()
    assert close(gpa["entropy"], float(stats.entropy(counts, base=2)), 1e-9)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:50]
    assert [(m["value"], m["count"]) for m in gpa["mostCommonValues"]] == [(float(v), int(c)) for v, c in top]
    assert gpa["mode"] == top[0][0]
    assert gpa["minimumValues"] == sorted(s.unique())[:5] and gpa["maximumValues"] == sorted(s.unique())[::-1][:5]
    assert len(gpa["valueDistribution"]) == 20 and gpa["valueDistribution"][-1]["bucket"][1] == "inf"
    assert sum(b["count"] for b in gpa["valueDistribution"]) == len(s)
    hist, _ = np.histogram(s, bins=20, range=(s.min(), s.max()))
    assert [b["count"] for b in gpa["valueDistribution"]] == hist.tolist()
    z = (s - s.mean()) / s.std(ddof=1)
    assert gpa["zScoreOutliersCount"] == int((z.abs() > 3).sum()) >= 1
    assert gpa["zScoreOutliersSample"][0]["value"] == 9.9
    assert sum(b["count"] for b in gpa["zScoreDistribution"]) == len(s)


def test_string_columns_are_described_by_their_lengths(brew):
    table = frame()
    doc = profile_of(brew, table, JobSample={"Mode": "FULL_DATASET"})
    state = col(doc, "state")
    df = table.to_pandas()
    present = df["state"][df["state"] != ""]
    lengths = present.str.len()
    assert state["type"] == "string"
    assert state["missingValuesCount"] == int((df["state"] == "").sum())
    assert state["distinctValuesCount"] == present.nunique()
    assert state["mostCommonValues"][0] == {"value": "Ohio", "count": int((present == "Ohio").sum())}
    assert close(state["mean"], lengths.mean()) and state["min"] == lengths.min() and state["max"] == lengths.max()
    assert close(state["standardDeviation"], lengths.std(ddof=1), 1e-9)


def test_correlations_are_pearson_over_numbers_and_string_lengths(brew):
    table = frame()
    doc = profile_of(brew, table, JobSample={"Mode": "FULL_DATASET"})
    df = table.to_pandas()
    df["state"] = df["state"].where(df["state"] != "", None).str.len()
    want = df[["student_id", "gpa", "state", "credits", "hours"]].astype(float).corr()
    for a in want.columns:
        for b in want.columns:
            if a != b:
                assert close(col(doc, a)["correlations"][b], want.loc[a, b], 1e-9), (a, b)
    assert col(doc, "credits")["correlations"]["hours"] > 0.95


def test_default_job_sample_is_the_first_20000_rows(brew):
    table = frame(rows=25000, seed=3)
    doc = profile_of(brew, table)
    assert doc["sampleSize"] == 20000
    first = table.slice(0, 20000).to_pandas()
    assert close(col(doc, "gpa")["mean"], first["gpa"].mean())
    assert brew("databrew").describe_job(Name="students-profile")["JobSample"] == {"Mode": "CUSTOM_ROWS",
                                                                                      "Size": 20000}


def test_custom_rows_profile_columns_and_included_statistics(brew):
    doc = profile_of(brew, frame(), JobSample={"Mode": "CUSTOM_ROWS", "Size": 100},
                     Configuration={"ProfileColumns": [{"Regex": "g.*"}, {"Name": "credits"}],
                                    "DatasetStatisticsConfiguration": {"IncludedStatistics": ["DUPLICATE_ROWS_COUNT"]},
                                    "ColumnStatisticsConfigurations": [{"Statistics": {
                                        "IncludedStatistics": ["MIN", "MAX", "MISSING_VALUES_COUNT"]}}]})
    assert doc["sampleSize"] == 100
    assert [c["name"] for c in doc["columns"]] == ["gpa", "credits"]
    assert set(col(doc, "gpa")) == {"name", "type", "min", "max", "missingValuesCount"}
    assert "duplicateRowsCount" in doc


def test_ruleset_validation_writes_a_report_that_matches_pandas(brew):
    table = frame()
    df = table.to_pandas()
    db = brew("databrew")
    put_dataset(brew, "students", table)
    arn = db.create_ruleset(Name="students-dq", TargetArn="arn:aws:databrew:us-east-1:123456789012:dataset/students",
                            Rules=[
        {"Name": "few-missing-gpa", "CheckExpression": "AGG(MISSING_VALUES_PERCENTAGE) < :val1",
         "SubstitutionMap": {":val1": "5"}, "ColumnSelectors": [{"Name": "gpa"}]},
        {"Name": "unique-ids", "CheckExpression": "AGG(DUPLICATE_ROWS_COUNT) == :val1", "SubstitutionMap": {":val1": "0"}},
        {"Name": "gpa-range", "CheckExpression": ":col1 <= :val1", "SubstitutionMap": {":col1": "`gpa`", ":val1": "4"},
         "Threshold": {"Value": 95, "Type": "GREATER_THAN_OR_EQUAL", "Unit": "PERCENTAGE"}},
        {"Name": "credits-between", "CheckExpression": ":col is_between :lo and :hi",
         "SubstitutionMap": {":lo": "0", ":hi": "150"}, "ColumnSelectors": [{"Name": "credits"}]},
        {"Name": "known-states", "CheckExpression": ":col1 in :list1",
         "SubstitutionMap": {":col1": "`state`", ":list1": '["Ohio", "Texas"]'}}])["Name"]
    assert arn == "students-dq"
    ruleset_arn = "arn:aws:databrew:us-east-1:123456789012:ruleset/students-dq"
    db.create_profile_job(Name="students-profile", DatasetName="students", RoleArn=ROLE_ARN,
                          OutputLocation={"Bucket": BUCKET, "Key": "profiles/"}, JobSample={"Mode": "FULL_DATASET"},
                          ValidationConfigurations=[{"RulesetArn": ruleset_arn}])
    run = run_job(db, "students-profile")
    assert run["State"] == "SUCCEEDED" and run["ValidationConfigurations"][0]["RulesetArn"] == ruleset_arn
    s3 = brew("s3")
    key = next(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="profiles/")["Contents"]
               if o["Key"].endswith("_dq-validation-report.json"))
    report = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    status = {r["name"]: r["status"] for r in report["ruleResults"]}
    gpa = df["gpa"]
    assert status["few-missing-gpa"] == ("SUCCEEDED" if gpa.isna().mean() * 100 < 5 else "FAILED")
    assert status["unique-ids"] == "FAILED"                   # four duplicate rows
    assert status["gpa-range"] == ("SUCCEEDED" if (gpa <= 4).mean() * 100 >= 95 else "FAILED")
    passed = next(r for r in report["ruleResults"] if r["name"] == "gpa-range")["columnResults"][0]["passedCount"]
    assert passed == int((gpa <= 4).sum())
    assert status["credits-between"] == "SUCCEEDED"
    assert status["known-states"] == "FAILED" and report["status"] == "FAILED"


@pytest.mark.parametrize("bad", ["AGG(NO_SUCH_STATISTIC) > 1"])
def test_a_rule_the_engine_cannot_evaluate_is_reported_as_an_error(brew, bad):
    put_dataset(brew, "students", frame(rows=50))
    db = brew("databrew")
    db.create_ruleset(Name="r", TargetArn="arn:aws:databrew:us-east-1:123456789012:dataset/students",
                      Rules=[{"Name": "odd", "CheckExpression": bad, "ColumnSelectors": [{"Name": "gpa"}]}])
    db.create_profile_job(Name="p", DatasetName="students", RoleArn=ROLE_ARN,
                          OutputLocation={"Bucket": BUCKET, "Key": "out/"},
                          ValidationConfigurations=[{"RulesetArn": "arn:aws:databrew:us-east-1:123456789012:ruleset/r"}])
    assert run_job(db, "p")["State"] == "SUCCEEDED"
    s3 = brew("s3")
    key = next(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="out/")["Contents"]
               if "dq-validation" in o["Key"])
    result = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())["ruleResults"][0]
    assert result["status"] == "ERROR" and "NO_SUCH_STATISTIC" in result["failureReason"]


def test_dates_are_not_profiled_and_correlations_follow_the_column_selectors(brew):
    table = frame(rows=200).append_column("admitted_on", pa.array([None] * 204, pa.date32()))
    doc = profile_of(brew, table, Configuration={
        "DatasetStatisticsConfiguration": {"Overrides": [{"Statistic": "CORRELATION", "Parameters": {
            "columnSelectors": json.dumps([{"name": "gpa"}, {"regex": "cred.*"}])}}]},
        "ColumnStatisticsConfigurations": [{"Selectors": [{"Name": "gpa"}], "Statistics": {
            "Overrides": [{"Statistic": "VALUE_DISTRIBUTION", "Parameters": {"binNumber": "5"}}]}}]})
    assert "admitted_on" not in [c["name"] for c in doc["columns"]]
    assert set(col(doc, "gpa")["correlations"]) == {"credits"} and "correlations" not in col(doc, "hours")
    assert len(col(doc, "gpa")["valueDistribution"]) == 5 and len(col(doc, "hours")["valueDistribution"]) == 20
