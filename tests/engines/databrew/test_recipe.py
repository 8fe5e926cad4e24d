"""Recipe actions through boto3 (SendProjectSessionAction previews on the whole sample), each
compared with the same transformation written in pandas on the same data."""
import numpy as np
import pandas as pd
import pytest

from .support import BUCKET, depts, open_project, people, preview, put_dataset, step


@pytest.fixture
def proj(brew):
    put_dataset(brew, "people", people())
    put_dataset(brew, "depts", depts())
    open_project(brew)
    return brew


def base() -> pd.DataFrame:
    return people().to_pandas()


def cells(frame: pd.DataFrame) -> list[list]:
    """Rows with comparable cells: NA -> None, every number -> float."""
    def cell(v):
        if v is None or (not isinstance(v, (list, str)) and pd.isna(v)):
            return None
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, float, np.integer, np.floating)):
            return float(v)
        return v
    return [[cell(v) for v in row] for row in frame.astype(object).values.tolist()]


def same(got: pd.DataFrame, want: pd.DataFrame):
    assert list(got.columns) == list(want.columns)
    assert cells(got) == cells(want)


def test_rename_and_delete_one_or_several_columns(proj):
    got = preview(proj, [step("RENAME", sourceColumn="name", targetColumn="full_name"),
                         step("DELETE", sourceColumn="city"),
                         step("DELETE", sourceColumns=["amount", "joined"])])
    same(got, base().rename(columns={"name": "full_name"}).drop(columns=["city", "amount", "joined"]))


def test_change_data_type_turns_values_that_do_not_convert_into_null(proj):
    got = preview(proj, [step("CHANGE_DATA_TYPE", sourceColumn="amount", columnDataType="double"),
                         step("CHANGE_DATA_TYPE", sourceColumn="age", columnDataType="string")])
    want = base()
    want["amount"] = pd.to_numeric(want["amount"], errors="coerce")
    want["age"] = want["age"].map(lambda v: None if pd.isna(v) else str(int(v)))
    same(got, want)
    dates = preview(proj, [step("CHANGE_DATA_TYPE", sourceColumn="joined", columnDataType="date")])
    want = [None if pd.isna(v) else v.date().isoformat() for v in pd.to_datetime(base()["joined"], errors="coerce")]
    assert cells(dates[["joined"]]) == [[v] for v in want]


@pytest.mark.parametrize("operation,fill", [
    ("FILL_WITH_AVERAGE", lambda s: s.mean()),
    ("FILL_WITH_MEDIAN", lambda s: s.median()),
    ("FILL_WITH_MOST_FREQUENT", lambda s: s.value_counts().sort_index().sort_values(ascending=False,
                                                                                  kind="stable").index[0]),
])
def test_fill_numeric_missing_values_like_pandas(proj, operation, fill):
    got = preview(proj, [step(operation, sourceColumn="score")])
    want = base()
    want["score"] = want["score"].fillna(fill(want["score"].dropna()))
    same(got, want)


def test_fill_with_custom_empty_and_null_treat_empty_text_as_missing(proj):
    got = preview(proj, [step("FILL_WITH_CUSTOM", sourceColumn="name", columnDataType="string", value="unknown")])
    want = base()
    want["name"] = want["name"].replace("", None).fillna("unknown")
    same(got, want)
    got = preview(proj, [step("FILL_WITH_NULL", sourceColumn="joined")])
    assert got["joined"].tolist() == base()["joined"].replace("", None).tolist()
    got = preview(proj, [step("FILL_WITH_EMPTY", sourceColumn="city")])
    assert got["city"].tolist() == base()["city"].fillna("").tolist()


def test_fill_with_custom_only_where_the_condition_holds(proj):
    got = preview(proj, [step("FILL_WITH_CUSTOM", sourceColumn="score", columnDataType="number", value="9",
                              conditions=[{"Condition": "IS", "Value": '["Boston-MA"]', "TargetColumn": "city"}])])
    want = base()
    mask = want["score"].isna() & (want["city"] == "Boston-MA")
    want.loc[mask, "score"] = 9.0
    same(got, want)


def test_remove_missing_and_remove_duplicates_keep_the_first_row(proj):
    got = preview(proj, [step("REMOVE_MISSING", sourceColumn="name")])
    same(got, base()[base()["name"].fillna("") != ""])
    got = preview(proj, [step("REMOVE_DUPLICATES", sourceColumn="name")])
    same(got, base().drop_duplicates(subset=["name"], keep="first"))


def test_remove_duplicates_without_a_column_drops_identical_rows(proj):
    got = preview(proj, [step("REMOVE_DUPLICATES")])
    same(got, base().drop_duplicates(keep="first"))


def test_replace_with_custom_replaces_invalid_values_or_those_a_condition_picks(proj):
    got = preview(proj, [step("REPLACE_WITH_CUSTOM", sourceColumn="amount", columnDataType="number", value="0")])
    want = base()
    bad = want["amount"].notna() & (want["amount"] != "") & pd.to_numeric(want["amount"], errors="coerce").isna()
    want.loc[bad, "amount"] = "0"
    same(got, want)
    got = preview(proj, [step("REPLACE_WITH_CUSTOM", sourceColumns=["score"], columnDataType="number", value="-1",
                              conditions=[{"Condition": "IS", "Value": "[\"0\"]", "TargetColumn": "score"}])])
    want = base()
    want.loc[want["score"] == 0, "score"] = -1.0
    same(got, want)


def test_replace_text_upper_and_lower_case(proj):
    got = preview(proj, [step("REPLACE_TEXT", sourceColumn="city", pattern="-", value=", "),
                         step("UPPER_CASE", sourceColumn="name"),
                         step("LOWER_CASE", sourceColumn="city",
                              conditions=[{"Condition": "STARTS_WITH", "Value": "Boston", "TargetColumn": "city"}])])
    want = base()
    want["city"] = want["city"].str.replace("-", ", ", regex=False)
    want["name"] = want["name"].str.upper()
    boston = want["city"].fillna("").str.startswith("Boston")
    want.loc[boston, "city"] = want.loc[boston, "city"].str.lower()
    same(got, want)


@pytest.mark.parametrize("limit,keep", [(1, False), (2, True)])
def test_split_column_single_delimiter(proj, limit, keep):
    got = preview(proj, [step("SPLIT_COLUMN_SINGLE_DELIMITER", sourceColumn="city", pattern="-", limit=str(limit),
                              includeInSplit="true" if keep else "false")])
    want = base()
    parts = want["city"].str.split("-", n=limit, expand=True).reindex(columns=range(limit + 1))
    if keep:
        for i in range(limit):
            parts[i] = parts[i].where(parts[i + 1].isna(), parts[i] + "-")
    position = list(want.columns).index("city")
    want = want.drop(columns=["city"])
    for i in range(limit + 1):
        want.insert(position + i, f"city_{i + 1}", parts[i])
    same(got, want)


def test_merge_and_date_format(proj):
    got = preview(proj, [step("MERGE", sourceColumns=["name", "city"], delimiter=" / ", targetColumn="label"),
                         step("DATE_FORMAT", sourceColumn="joined", dateTimeFormat="dd.mm.yyyy",
                              targetColumn="joined_de")])
    want = base()
    want.insert(list(want.columns).index("joined") + 1, "joined_de",
                pd.to_datetime(want["joined"], errors="coerce").dt.strftime("%d.%m.%Y"))
    want["label"] = [" / ".join(x for x in (n, c) if pd.notna(x)) for n, c in zip(base()["name"], base()["city"])]
    same(got, want)


def test_group_by_new_frame_and_per_row_aggregates(proj):
    options = [{"sourceColumnName": "score", "targetColumnName": "avg_score", "functionName": "MEAN"},
               {"sourceColumnName": "id", "targetColumnName": "people", "functionName": "COUNT"},
               {"sourceColumnName": "age", "targetColumnName": "oldest", "functionName": "MAX"}]
    got = preview(proj, [step("GROUP_BY", sourceColumns=["dept_id"], groupByAggFunctionOptions=options,
                              useNewDataFrame="true")])
    frame = base()
    want = (frame.groupby("dept_id", dropna=False, sort=False)
            .agg(avg_score=("score", "mean"), people=("id", "count"), oldest=("age", "max")).reset_index())
    got = got.sort_values("dept_id", na_position="last").reset_index(drop=True)
    want = want.sort_values("dept_id", na_position="last").reset_index(drop=True)
    assert got["dept_id"].tolist()[:-1] == want["dept_id"].tolist()[:-1] and pd.isna(got["dept_id"].iloc[-1])
    assert np.allclose(got["avg_score"].astype(float), want["avg_score"], equal_nan=True)
    assert got["people"].tolist() == want["people"].tolist()
    assert got["oldest"].tolist() == want["oldest"].tolist()
    rows = preview(proj, [step("GROUP_BY", sourceColumns=["city"], useNewDataFrame="false",
                               groupByAggFunctionOptions=[{"sourceColumnName": "id", "targetColumnName": "n",
                                                           "functionName": "COUNT_DISTINCT"}])])
    assert rows["n"].tolist() == frame.groupby("city", dropna=False)["id"].transform("nunique").tolist()


JOINS = {"INNER_JOIN": "inner", "LEFT_JOIN": "left", "RIGHT_JOIN": "right", "OUTER_JOIN": "outer"}


@pytest.mark.parametrize("join_type", ["INNER_JOIN", "LEFT_JOIN", "RIGHT_JOIN", "OUTER_JOIN", "LEFT_EXCLUDING_JOIN",
                                       "RIGHT_EXCLUDING_JOIN", "OUTER_EXCLUDING_JOIN"])
def test_join_types_match_pandas_merge(proj, join_type):
    got = preview(proj, [step("JOIN", joinType=join_type, joinKeys=[{"key": "dept_id", "value": "dept_id"}],
                              leftColumns=["id", "name", "dept_id"], rightColumns=["dept_id", "dept_name"],
                              secondaryDatasetName="depts")])
    left = base()[["id", "name", "dept_id"]]
    right = depts().to_pandas().rename(columns={"dept_id": "dept_id_1"})
    how = JOINS.get(join_type, "outer")
    want = left.merge(right, how=how, left_on="dept_id", right_on="dept_id_1", indicator=True)
    if join_type == "LEFT_EXCLUDING_JOIN":
        want = want[want["_merge"] == "left_only"]
    elif join_type == "RIGHT_EXCLUDING_JOIN":
        want = want[want["_merge"] == "right_only"]
    elif join_type == "OUTER_EXCLUDING_JOIN":
        want = want[want["_merge"] != "both"]
    want = want.drop(columns=["_merge"])
    assert list(got.columns) == ["id", "name", "dept_id", "dept_id_1", "dept_name"]
    key = ["id", "dept_id_1"]
    norm = lambda f: sorted(map(repr, cells(f[key + ["dept_name"]])))
    assert norm(got) == norm(want)
    assert len(got) == len(want)


def test_join_by_s3_location_and_by_catalog_input(proj):
    s3, glue = proj("s3"), proj("glue")
    s3.put_object(Bucket=BUCKET, Key="csv/depts.csv", Body=b"dept_id,dept_name\n10,CS\n20,Math\n")
    by_location = preview(proj, [step("JOIN", joinType="INNER_JOIN", joinKeys=[{"key": "dept_id", "value": "dept_id"}],
                                      leftColumns=["id"], rightColumns=["dept_name"],
                                      secondInputLocation=f"s3://{BUCKET}/csv/depts.csv")])
    want = base().merge(pd.DataFrame({"dept_id": [10, 20], "dept_name": ["CS", "Math"]}), on="dept_id")
    assert sorted(by_location.itertuples(index=False)) == sorted(want[["id", "dept_name"]].itertuples(index=False))
    glue.create_database(DatabaseInput={"Name": "hr"})
    glue.create_table(DatabaseName="hr", TableInput={
        "Name": "depts", "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
        "StorageDescriptor": {"Columns": [{"Name": "dept_id", "Type": "int"}, {"Name": "dept_name", "Type": "string"}],
                              "Location": f"s3://{BUCKET}/csv/",
                              "SerdeInfo": {"SerializationLibrary":
                                            "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                                            "Parameters": {"field.delim": ","}}}})
    by_catalog = preview(proj, [step("JOIN", joinType="INNER_JOIN", joinKeys=[{"key": "dept_id", "value": "dept_id"}],
                                     leftColumns=["id"], rightColumns=["dept_name"],
                                     secondInput={"DataCatalogInputDefinition": {"DatabaseName": "hr",
                                                                                 "TableName": "depts"}})])
    assert by_catalog.values.tolist() == by_location.values.tolist()


def test_union_aligns_columns_by_position_and_fills_missing_ones(proj):
    got = preview(proj, [step("UNION", datasetsColumns=[["id", "name"], ["dept_id", None]],
                              secondaryDatasetNames=["depts"], targetColumnNames=["key", "label"])])
    want = pd.concat([base()[["id", "name"]].set_axis(["key", "label"], axis=1),
                      depts().to_pandas()[["dept_id"]].set_axis(["key"], axis=1).assign(label=None)],
                     ignore_index=True)
    same(got, want)
