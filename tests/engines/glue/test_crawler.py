"""glue_crawler: a crawl groups S3 objects into tables and partitions and writes them like Glue."""
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lab_helpers.datasets import LMS_COLUMNS, SIS_SCHEMAS, generate, glue_type
from lab_helpers.engines.glue.crawler import crawl
from lab_helpers.engines.ports import MemoryCatalog, MemoryStore, StoreAccessDenied

DB = "db_raw_lmsdemo"
DAYS = ["2020-08-17", "2020-08-24", "2020-08-31"]


def crawler(*paths, **overrides):
    spec = {
        "Name": "dataedu-lmsdemo-crawler", "Role": "dataedu-glue-crawler-role", "DatabaseName": DB,
        "Targets": {"S3Targets": [{"Path": p, "Exclusions": []} for p in paths or ["s3://lake/lmsapi/"]]},
        "SchemaChangePolicy": {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "DEPRECATE_IN_DATABASE"},
        "RecrawlPolicy": {"RecrawlBehavior": "CRAWL_EVERYTHING"}, "Classifiers": [],
    }
    spec.update(overrides)
    return spec


def csv_bytes(header: str, *rows: str) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def lake(objects: dict[str, bytes], bucket: str = "lake") -> MemoryStore:
    store = MemoryStore()
    store.create_bucket(bucket)
    for key, body in objects.items():
        store.put_object(bucket, key, body)
    return store


REQ_HEADER = "id,timestamp,timestamp_year,user_id,course_id,url"


def requests_file(day: str, n: int) -> bytes:
    rows = [f"r{day}-{n}-{i},{day} 10:0{i}:00,2020,{100010 + i},{200 + i},/courses/{200 + i}" for i in range(5)]
    return csv_bytes(REQ_HEADER, *rows)


def lms_objects(days=DAYS) -> dict[str, bytes]:
    objects = {}
    for day in days:
        objects[f"lmsapi/requests/process_date={day}/general.csv"] = requests_file(day, 1)
        objects[f"lmsapi/requests/process_date={day}/submissions.csv"] = requests_file(day, 2)
    for day in days[:2]:
        objects[f"lmsapi/course_dim/process_date={day}/course_dim.csv"] = csv_bytes(
            "id,name,code,enrollment_term_id", "1,Intro,COMP-0100,41", "2,Algebra,MATH-0200,41")
    objects["lmsapi/user_dim/process_date=2020-08-17/faculty.csv"] = csv_bytes(
        "id,name,graduation_year", "1,Prof A,", "2,Prof B,")
    objects["lmsapi/user_dim/process_date=2020-08-17/students.csv"] = csv_bytes(
        "id,name,graduation_year", "100010,Jane,2023", "100011,John,2024")
    return objects


def table(catalog, name, db=DB):
    return catalog.get_table(db, name)


def columns(t):
    return [(c["Name"], c["Type"]) for c in t["StorageDescriptor"]["Columns"]]


# --- the workshop's layouts ---------------------------------------------------------------------

def test_lms_layout_gives_one_table_per_folder_with_process_date_partitions():
    store, catalog = lake(lms_objects()), MemoryCatalog()
    out = crawl(crawler(), store, catalog, crawl_id="c-1")
    assert out.status == "SUCCEEDED", out.error_message
    assert sorted(out.tables_created) == ["course_dim", "requests", "user_dim"]
    assert out.partitions_created == 3 + 2 + 1
    req = table(catalog, "requests")
    assert req["TableType"] == "EXTERNAL_TABLE"
    assert req["PartitionKeys"] == [{"Name": "process_date", "Type": "string"}]
    assert columns(req) == [("id", "string"), ("timestamp", "string"), ("timestamp_year", "bigint"),
                            ("user_id", "bigint"), ("course_id", "bigint"), ("url", "string")]
    sd = req["StorageDescriptor"]
    assert sd["Location"] == "s3://lake/lmsapi/requests/"
    assert sd["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    assert sd["OutputFormat"] == "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    assert sd["SerdeInfo"] == {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                               "Parameters": {"field.delim": ","}}
    assert sd["Compressed"] is False and sd["NumberOfBuckets"] == -1
    size = sum(len(b) for k, b in lms_objects().items() if "/requests/" in k)
    assert req["Parameters"] == {
        "classification": "csv", "compressionType": "none", "typeOfData": "file", "delimiter": ",",
        "areColumnsQuoted": "false", "columnsOrdered": "true", "skip.header.line.count": "1",
        "recordCount": "30", "averageRecordSize": str(round(size / 30)), "objectCount": "6",
        "sizeKey": str(size), "UPDATED_BY_CRAWLER": "dataedu-lmsdemo-crawler",
        "CrawlerSchemaSerializerVersion": "1.0", "CrawlerSchemaDeserializerVersion": "1.0",
        "CRAWL_RUN_ID": "c-1"}
    assert all(isinstance(v, str) for v in req["Parameters"].values())
    parts = catalog.get_partitions(DB, "requests")
    assert [p["Values"] for p in parts] == [[d] for d in DAYS]
    first = parts[0]["StorageDescriptor"]
    assert first["Location"] == "s3://lake/lmsapi/requests/process_date=2020-08-17/"
    assert first["SerdeInfo"] == sd["SerdeInfo"] and first["Parameters"]["objectCount"] == "2"
    assert first["Parameters"]["recordCount"] == "10"
    # two files, one schema -> one table; an all-empty column in one file does not split it
    assert table(catalog, "user_dim")["Parameters"]["objectCount"] == "2"
    assert columns(table(catalog, "user_dim"))[2] == ("graduation_year", "bigint")


def test_generated_workshop_data_crawls_to_10_lms_and_12_sis_tables_with_the_contract_types():
    store, catalog = MemoryStore(), MemoryCatalog()
    store.create_bucket("dataedu-raw-abc")
    for obj in generate(scale=0.02, seed=2020):
        store.put_object("dataedu-raw-abc", obj.key, obj.body)
    lms = crawl(crawler("s3://dataedu-raw-abc/lmsapi/"), store, catalog)
    sis = crawl(crawler("s3://dataedu-raw-abc/sisdb/sisdemo/", Name="dataedu-sisdemo-crawler",
                        DatabaseName="db_raw_sisdemo"), store, catalog)
    assert (lms.status, sis.status) == ("SUCCEEDED", "SUCCEEDED")
    assert sorted(lms.tables_created) == sorted(LMS_COLUMNS) and sorted(sis.tables_created) == sorted(SIS_SCHEMAS)
    assert len(catalog.get_partitions(DB, "requests")) == 32
    for name, spec in LMS_COLUMNS.items():
        assert columns(table(catalog, name)) == [tuple(c) for c in spec], name
    for name, schema in SIS_SCHEMAS.items():
        t = table(catalog, name, "db_raw_sisdemo")
        assert columns(t) == [(f.name, glue_type(f.type)) for f in schema], name
        assert t["Parameters"]["classification"] == "parquet" and t["PartitionKeys"] == []


def test_sis_parquet_layout_gives_one_table_per_folder():
    objects = {
        "sisdb/sisdemo/student/LOAD00000001.parquet": parquet_bytes(pa.table({
            "student_id": pa.array([1, 2], pa.int32()), "gpa": [3.5, 2.0], "grad": pa.array([1, 0], pa.int16())})),
        "sisdb/sisdemo/course/LOAD00000001.parquet": parquet_bytes(pa.table({
            "course_id": pa.array([7], pa.int32()), "name": ["Intro"]})),
    }
    catalog = MemoryCatalog()
    out = crawl(crawler("s3://lake/sisdb/sisdemo/", DatabaseName="db_raw_sisdemo"), lake(objects), catalog)
    assert sorted(out.tables_created) == ["course", "student"] and out.partitions_created == 0
    t = table(catalog, "student", "db_raw_sisdemo")
    assert columns(t) == [("student_id", "int"), ("gpa", "double"), ("grad", "smallint")]
    assert t["StorageDescriptor"]["Location"] == "s3://lake/sisdb/sisdemo/student/"
    assert t["StorageDescriptor"]["SerdeInfo"] == {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        "Parameters": {"serialization.format": "1"}}
    assert t["StorageDescriptor"]["InputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    assert t["Parameters"]["recordCount"] == "2" and t["Parameters"]["classification"] == "parquet"


def test_nested_hive_partitions_of_json_lines_keep_folder_order():
    objects = {}
    for year, month in [("2019", "01"), ("2019", "02"), ("2020", "01")]:
        records = [{"id": i, "event": {"kind": "view", "ms": i * 10}, "tags": ["a"]} for i in range(3)]
        body = "\n".join(json.dumps(r) for r in records)
        objects[f"sales/year={year}/month={month}/part-0000.json"] = body.encode()
    catalog = MemoryCatalog()
    out = crawl(crawler("s3://lake/sales/"), lake(objects), catalog)
    assert out.tables_created == ["sales"]
    t = table(catalog, "sales")
    assert [k["Name"] for k in t["PartitionKeys"]] == ["year", "month"]
    assert all(k["Type"] == "string" for k in t["PartitionKeys"])   # even for year=2019
    assert columns(t) == [("id", "int"), ("event", "struct<kind:string,ms:int>"), ("tags", "array<string>")]
    assert t["StorageDescriptor"]["SerdeInfo"] == {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
                                                   "Parameters": {"paths": "id,event,tags"}}
    parts = catalog.get_partitions(DB, "sales")
    assert [p["Values"] for p in parts] == [["2019", "01"], ["2019", "02"], ["2020", "01"]]
    assert parts[0]["StorageDescriptor"]["Location"] == "s3://lake/sales/year=2019/month=01/"


def test_folders_without_key_value_become_partition_n_columns():
    objects = {f"logs/{y}/{m}/data.csv": csv_bytes("id,v", "1,2.5", "2,3.5")
               for y in ("2019", "2020") for m in ("01", "02")}
    catalog = MemoryCatalog()
    crawl(crawler("s3://lake/logs/"), lake(objects), catalog)
    t = table(catalog, "logs")
    assert [k["Name"] for k in t["PartitionKeys"]] == ["partition_0", "partition_1"]
    assert ["2019", "01"] in [p["Values"] for p in catalog.get_partitions(DB, "logs")]


# --- re-crawls ----------------------------------------------------------------------------------

def test_recrawl_after_a_new_partition_adds_exactly_it_and_no_duplicate_tables():
    store, catalog = lake(lms_objects()), MemoryCatalog()
    crawl(crawler(), store, catalog)
    store.put_object("lake", "lmsapi/requests/process_date=2020-09-07/general.csv", requests_file("2020-09-07", 1))
    out = crawl(crawler(), store, catalog)
    assert out.status == "SUCCEEDED" and out.tables_created == [] and out.tables_deleted == []
    assert out.partitions_created == 1 and out.tables_updated == ["requests"]   # new statistics
    assert [t["Name"] for t in catalog.list_tables(DB)] == ["course_dim", "requests", "user_dim"]
    assert len(catalog.get_partitions(DB, "requests")) == 4
    assert any("Created partitions with values [[2020-09-07]] for table requests" in line for line in out.log_lines)
    again = crawl(crawler(), store, catalog)
    assert (again.tables_created, again.tables_updated, again.partitions_created) == ([], [], 0)


def changed_schema_store():
    return lake({"lmsapi/course_dim/process_date=2020-08-17/c.csv": csv_bytes("id,name", "1,a", "2,b")})


COURSE_DIM = "s3://lake/lmsapi/course_dim/"
NEW_COURSE_DIM = csv_bytes("id,name,credits", "1,a,3", "2,b,4")


def test_schema_change_policy_update_replaces_columns():
    store, catalog = changed_schema_store(), MemoryCatalog()
    crawl(crawler(COURSE_DIM), store, catalog)
    store.put_object("lake", "lmsapi/course_dim/process_date=2020-08-17/c.csv", NEW_COURSE_DIM)
    out = crawl(crawler(COURSE_DIM), store, catalog)
    assert out.tables_updated == ["course_dim"]
    assert columns(table(catalog, "course_dim"))[-1] == ("credits", "bigint")


def test_schema_change_policy_log_leaves_the_table_and_logs():
    store, catalog = changed_schema_store(), MemoryCatalog()
    policy = {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    crawl(crawler(COURSE_DIM, SchemaChangePolicy=policy), store, catalog)
    store.put_object("lake", "lmsapi/course_dim/process_date=2020-08-17/c.csv", NEW_COURSE_DIM)
    store.put_object("lake", "lmsapi/course_dim/process_date=2020-08-24/c.csv", NEW_COURSE_DIM)
    out = crawl(crawler(COURSE_DIM, SchemaChangePolicy=policy), store, catalog)
    assert out.tables_updated == [] and out.partitions_created == 1   # new partitions are still added
    assert columns(table(catalog, "course_dim")) == [("id", "bigint"), ("name", "string")]
    assert any("UpdateBehavior is LOG" in line for line in out.log_lines)


def test_merge_new_columns_keeps_existing_columns():
    store, catalog = changed_schema_store(), MemoryCatalog()
    config = json.dumps({"Version": 1.0, "CrawlerOutput": {"Tables": {"AddOrUpdateBehavior": "MergeNewColumns"}}})
    crawl(crawler(COURSE_DIM, Configuration=config), store, catalog)
    store.put_object("lake", "lmsapi/course_dim/process_date=2020-08-17/c.csv", csv_bytes("id,credits", "x,3", "y,4"))
    crawl(crawler(COURSE_DIM, Configuration=config), store, catalog)
    assert columns(table(catalog, "course_dim")) == [("id", "bigint"), ("name", "string"), ("credits", "bigint")]


@pytest.mark.parametrize("behavior", ["DELETE_FROM_DATABASE", "DEPRECATE_IN_DATABASE", "LOG"])
def test_tables_whose_data_vanished_follow_delete_behavior(behavior):
    store, catalog = lake(lms_objects()), MemoryCatalog()
    policy = {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": behavior}
    crawl(crawler(SchemaChangePolicy=policy), store, catalog)
    for key in [k for k in lms_objects() if "/user_dim/" in k]:
        store.delete_object("lake", key)
    out = crawl(crawler(SchemaChangePolicy=policy), store, catalog)
    user_dim = table(catalog, "user_dim")
    if behavior == "DELETE_FROM_DATABASE":
        assert user_dim is None and out.tables_deleted == ["user_dim"]
    elif behavior == "DEPRECATE_IN_DATABASE":
        assert user_dim["Parameters"]["DEPRECATED_BY_CRAWLER"].isdigit() and out.tables_deleted == ["user_dim"]
        assert any("Table user_dim is marked deprecated" in line for line in out.log_lines)
    else:
        assert "DEPRECATED_BY_CRAWLER" not in user_dim["Parameters"] and out.tables_deleted == []


def test_crawl_new_folders_only_adds_new_partitions_but_no_new_tables():
    store, catalog = lake(lms_objects()), MemoryCatalog()
    spec = crawler(RecrawlPolicy={"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"},
                   SchemaChangePolicy={"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"})
    first = crawl(spec, store, catalog)
    assert len(first.tables_created) == 3
    store.put_object("lake", "lmsapi/requests/process_date=2020-09-07/general.csv", requests_file("2020-09-07", 1))
    store.put_object("lake", "lmsapi/account_dim/process_date=2020-08-17/a.csv", csv_bytes("id,name", "1,x", "2,y"))
    reads = []
    original = store.get_object
    store.get_object = lambda b, k: reads.append(k) or original(b, k)
    out = crawl(spec, store, catalog)
    assert out.status == "SUCCEEDED" and out.tables_created == [] and out.partitions_created == 1
    assert table(catalog, "account_dim") is None
    assert reads == ["lmsapi/requests/process_date=2020-09-07/general.csv"]   # known folders not re-read
    assert any("no new tables are added after the first crawl" in line for line in out.log_lines)
    assert not any("was not found" in line for line in out.log_lines)   # old partitions are not "gone"


# --- grouping rules -----------------------------------------------------------------------------

def test_partitions_with_dissimilar_schemas_become_tables_named_after_folders():
    objects = {"table1/year=2017/data1.json": b'{"A": 1, "B": 2}\n',
               "table1/year=2018/data2.json": b'{"C": 3, "D": 4}\n'}
    catalog = MemoryCatalog()
    out = crawl(crawler("s3://lake/table1/"), lake(objects), catalog)
    assert sorted(out.tables_created) == ["year_2017", "year_2018"]    # the Glue docs' example


def test_combine_compatible_schemas_makes_one_table():
    objects = {"table1/year=2017/data1.json": b'{"A": 1, "B": 2}\n',
               "table1/year=2018/data2.json": b'{"C": 3, "D": 4}\n'}
    config = json.dumps({"Version": 1.0, "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"}})
    catalog = MemoryCatalog()
    out = crawl(crawler("s3://lake/table1/", Configuration=config), lake(objects), catalog)
    assert out.tables_created == ["table1"]
    t = table(catalog, "table1")
    assert columns(t) == [("a", "int"), ("b", "int"), ("c", "int"), ("d", "int")]
    assert t["PartitionKeys"] == [{"Name": "year", "Type": "string"}]


def test_mixed_schemas_in_one_folder_give_a_table_per_file():
    objects = {"mixed/a.csv": csv_bytes("id,v", "1,2", "3,4"),
               "mixed/b.json": b'{"x": "y"}\n',
               "mixed/c.parquet": parquet_bytes(pa.table({"z": [1.5]}))}
    catalog = MemoryCatalog()
    out = crawl(crawler("s3://lake/mixed/"), lake(objects), catalog)
    assert out.status == "SUCCEEDED" and sorted(out.tables_created) == ["a_csv", "b_json", "c_parquet"]
    assert table(catalog, "b_json")["StorageDescriptor"]["Location"] == "s3://lake/mixed/b.json"


def test_names_are_sanitised_prefixed_and_hash_suffixed_on_clash():
    objects = {"t1/Course-Dim.v2/x.csv": csv_bytes("id,v", "1,2", "3,4"),
               "t1/other/y.csv": csv_bytes("k,name,flag", "1,a,true", "2,b,false"),
               "t2/other/y.csv": csv_bytes("q,w", "1,2.5", "2,3.5"),
               "t2/more/z.json": b'{"doc": true}\n'}
    catalog = MemoryCatalog()
    out = crawl(crawler("s3://lake/t1/", "s3://lake/t2/", TablePrefix="raw_"), lake(objects), catalog)
    names = out.tables_created
    assert names[:2] == ["raw_course_dim_v2", "raw_other"] and names[2] == "raw_more"
    assert names[3].startswith("raw_other_") and len(names[3]) == len("raw_other_") + 32
    assert table(catalog, names[3])["StorageDescriptor"]["Location"] == "s3://lake/t2/other/"


def test_a_single_table_folder_under_the_include_path_becomes_a_partition_of_the_include_path():
    # Glue's rule: one sub-folder is trivially "similar", so the include path is the table root
    objects = {k: v for k, v in lms_objects().items() if "/requests/" in k}
    catalog = MemoryCatalog()
    out = crawl(crawler(), lake(objects), catalog)
    assert out.tables_created == ["lmsapi"]
    assert [k["Name"] for k in table(catalog, "lmsapi")["PartitionKeys"]] == ["partition_0", "process_date"]


def test_include_path_holding_files_of_one_schema_is_one_table_named_after_it():
    objects = {"lmsapi/requests/general.csv": requests_file("d", 1),
               "lmsapi/requests/submissions.csv": requests_file("d", 2)}
    catalog = MemoryCatalog()
    out = crawl(crawler("s3://lake/lmsapi/requests"), lake(objects), catalog)
    assert out.tables_created == ["requests"]
    assert table(catalog, "requests")["Parameters"]["objectCount"] == "2"


def test_exclusions_use_glue_glob_patterns_relative_to_the_include_path():
    objects = lms_objects()
    objects["lmsapi/requests/process_date=2020-08-17/notes.txt"] = b"free text"
    spec = crawler()
    spec["Targets"]["S3Targets"][0]["Exclusions"] = [
        "user_dim/**", "**.txt", "requests/process_date=2020-08-{24,31}/*"]
    catalog = MemoryCatalog()
    out = crawl(spec, lake(objects), catalog)
    assert sorted(out.tables_created) == ["course_dim", "requests"]
    assert [p["Values"] for p in catalog.get_partitions(DB, "requests")] == [["2020-08-17"]]
    assert json.loads(table(catalog, "requests")["Parameters"]["exclusions"])[0] == "s3://lake/lmsapi/user_dim/**"
    assert not any("notes.txt" in line for line in out.log_lines)


# --- failures and bad data ------------------------------------------------------------------------

class DeniedStore(MemoryStore):
    """The crawler's role without kms:Decrypt: it can list but not read."""

    def __init__(self, objects, readable=()):
        super().__init__()
        self.readable = set(readable)
        self.create_bucket("lake")
        for k, v in objects.items():
            self.put_object("lake", k, v)

    def get_object(self, bucket, key):
        if key not in self.readable:
            raise StoreAccessDenied("User: arn:aws:sts::123456789012:assumed-role/dataedu-glue-crawler-role/"
                                    "AWS-Crawler is not authorized to perform: kms:Decrypt")
        return super().get_object(bucket, key)


def test_access_denied_on_every_object_fails_the_crawl_and_creates_no_tables():
    catalog = MemoryCatalog()
    out = crawl(crawler(), DeniedStore(lms_objects()), catalog)
    assert out.status == "FAILED"
    assert "Access Denied" in out.error_message and "key user" in out.error_message
    denied = [line for line in out.log_lines if "ERROR : Not all read errors will be logged." in line]
    assert len(denied) == 1
    assert ("com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service: Amazon S3; "
            "Status Code: 403; Error Code: AccessDenied; Request ID: ") in denied[0]
    assert catalog.get_database(DB) is None and out.tables_created == []
    assert out.log_lines[-1].endswith("BENCHMARK : Crawler has finished running and is in state READY")


def test_access_denied_on_some_objects_crawls_the_readable_ones():
    objects = lms_objects()
    readable = [k for k in objects if "/course_dim/" in k or "/user_dim/" in k]
    catalog = MemoryCatalog()
    out = crawl(crawler(), DeniedStore(objects, readable), catalog)
    assert out.status == "SUCCEEDED" and out.tables_created == ["course_dim", "user_dim"]
    assert sum("Not all read errors will be logged" in line for line in out.log_lines) == 1


def test_unreadable_partitions_are_not_deleted_as_vanished():
    objects = lms_objects()
    policy = {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "DELETE_FROM_DATABASE"}
    catalog = MemoryCatalog()
    crawl(crawler(SchemaChangePolicy=policy), lake(objects), catalog)
    readable = [k for k in objects if "process_date=2020-08-31" not in k]
    out = crawl(crawler(SchemaChangePolicy=policy), DeniedStore(objects, readable), catalog)
    assert out.status == "SUCCEEDED" and out.tables_deleted == []
    assert len(catalog.get_partitions(DB, "requests")) == 3


def test_sample_size_reads_only_that_many_objects_per_folder():
    objects = {f"lmsapi/requests/process_date=2020-08-17/part-{i}.csv": requests_file("2020-08-17", i)
               for i in range(5)}
    store = lake(objects)
    reads = []
    original = store.get_object
    store.get_object = lambda b, k: reads.append(k) or original(b, k)
    spec = crawler("s3://lake/lmsapi/requests/")
    spec["Targets"]["S3Targets"][0]["SampleSize"] = 2
    catalog = MemoryCatalog()
    crawl(spec, store, catalog)
    assert len(reads) == 2
    params = table(catalog, "requests")["Parameters"]
    assert params["objectCount"] == "5" and params["recordCount"] == "25"


def test_custom_classifiers_fail_with_a_clear_message():
    out = crawl(crawler(Classifiers=["my-grok"]), lake(lms_objects()), MemoryCatalog())
    assert out.status == "FAILED" and "Custom classifiers are not emulated" in out.error_message
    assert "my-grok" in out.error_message


def test_empty_prefix_succeeds_with_no_tables_and_says_so():
    catalog = MemoryCatalog()
    out = crawl(crawler("s3://lake/nothing/"), lake({}), catalog)
    assert out.status == "SUCCEEDED" and out.tables_created == []
    assert any("No objects to crawl were found under s3://lake/nothing/" in line for line in out.log_lines)
    assert catalog.get_database(DB) is not None   # the crawler creates its database


def test_zero_byte_objects_folder_markers_and_hidden_files_are_skipped():
    objects = lms_objects()
    objects.update({"lmsapi/requests/": b"", "lmsapi/requests/process_date=2020-08-17/empty.csv": b"",
                    "lmsapi/requests/process_date=2020-08-17/_SUCCESS": b"ok",
                    "lmsapi/requests/process_date=2020-08-17/.general.csv.crc": b"\x01\x02",
                    "lmsapi/requests_$folder$": b"x"})
    catalog = MemoryCatalog()
    out = crawl(crawler(), lake(objects), catalog)
    assert sorted(out.tables_created) == ["course_dim", "requests", "user_dim"]
    assert table(catalog, "requests")["Parameters"]["objectCount"] == "6"


def test_nonexistent_bucket_fails_with_s3_no_such_bucket_text():
    out = crawl(crawler("s3://no-such-bucket/lmsapi/"), lake({}), MemoryCatalog())
    assert out.status == "FAILED"
    assert "The specified bucket does not exist" in out.error_message and "NoSuchBucket" in out.error_message


def test_garbage_objects_are_unknown_and_ignored():
    objects = lms_objects()
    objects["lmsapi/blob/process_date=2020-08-17/x.bin"] = bytes(range(256)) * 64
    catalog = MemoryCatalog()
    out = crawl(crawler(), lake(objects), catalog)
    assert out.status == "SUCCEEDED" and "blob" not in out.tables_created
    assert any("classification UNKNOWN" in line for line in out.log_lines)


def test_an_unexpected_error_ends_failed_and_never_raises():
    class BrokenCatalog(MemoryCatalog):
        def create_table(self, database, table_input):
            raise RuntimeError("disk on fire")
    out = crawl(crawler(), lake(lms_objects()), BrokenCatalog())
    assert out.status == "FAILED" and "disk on fire" in out.error_message


def test_invalid_configuration_and_table_threshold_fail_cleanly():
    bad = crawl(crawler(Configuration="{not json"), lake(lms_objects()), MemoryCatalog())
    assert bad.status == "FAILED" and "not valid JSON" in bad.error_message
    config = json.dumps({"Version": 1.0, "CrawlerOutput": {"Tables": {"TableThreshold": 2}}})
    catalog = MemoryCatalog()
    over = crawl(crawler(Configuration=config), lake(lms_objects()), catalog)
    assert over.status == "FAILED" and "TableThreshold" in over.error_message
    assert catalog.get_database(DB) is None


class RangeStore(MemoryStore):
    """A store with ranged reads that records what the crawler asked for."""

    def __init__(self):
        super().__init__()
        self.ranges = []

    def get_object_range(self, bucket, key, start, end):
        self.ranges.append((key, start, end))
        return self.buckets[bucket][key][start:end]

    def get_object(self, bucket, key):
        raise AssertionError("a ranged store must not be read whole")


def test_a_50_mb_csv_is_classified_from_a_bounded_ranged_read():
    store = RangeStore()
    store.create_bucket("lake")
    row = b"r-000001,2020-08-17 10:00:00,2020,100010,200,/courses/200\n"
    body = (REQ_HEADER + "\n").encode() + row * (50_000_000 // len(row))
    store.put_object("lake", "lmsapi/requests/process_date=2020-08-17/general.csv", body)
    catalog = MemoryCatalog()
    out = crawl(crawler("s3://lake/lmsapi/requests/"), store, catalog)
    assert out.tables_created == ["requests"]
    assert sum(end - start for _, start, end in store.ranges) <= (1 << 20) + 4
    estimate = int(table(catalog, "requests")["Parameters"]["recordCount"])
    assert abs(estimate - body.count(b"\n") + 1) < body.count(b"\n") * 0.01


def test_logs_follow_the_glue_crawler_sequence():
    out = crawl(crawler(), lake(lms_objects()), MemoryCatalog(), crawl_id="0f2f2a30")
    lines = out.log_lines
    assert lines[0] == "[0f2f2a30] BENCHMARK : Running Start Crawl for Crawler dataedu-lmsdemo-crawler"
    assert lines[1] == f"[0f2f2a30] BENCHMARK : Classification complete, writing results to database {DB}"
    assert lines[2].startswith("[0f2f2a30] INFO : Crawler configured with SchemaChangePolicy "
                               '{"UpdateBehavior":"UPDATE_IN_DATABASE","DeleteBehavior":"DEPRECATE_IN_DATABASE"}')
    assert f"[0f2f2a30] INFO : Created table requests in database {DB}" in lines
    assert ("[0f2f2a30] INFO : Created partitions with values [[2020-08-17], [2020-08-24], [2020-08-31]] "
            f"for table requests in database {DB}") in lines
    tail = lines[lines.index("[0f2f2a30] BENCHMARK : Finished writing to Catalog"):]
    assert tail[1:] == ["[0f2f2a30] INFO : Run Summary For PARTITION:", "[0f2f2a30] INFO : ADD: 6",
                        "[0f2f2a30] INFO : Run Summary For TABLE:", "[0f2f2a30] INFO : ADD: 3",
                        "[0f2f2a30] BENCHMARK : Crawler has finished running and is in state READY"]
