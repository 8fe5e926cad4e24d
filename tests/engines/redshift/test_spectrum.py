"""Spectrum through boto3: external schemas over Glue, read through the Athena scan layer as the schema's
role — a role that is not a key user of the lake's KMS key fails as on AWS, and works once it is."""
import io
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .conftest import NAMESPACE

ACCOUNT = "123456789012"
ROLE = "SpectrumRole"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
LAKE = "spectrum-lake"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
TEXT_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"

STUDENTS = pd.DataFrame({"student_id": [1, 2, 3, 4], "first_name": ["Ada", "Bo", "Cy", "Di"],
                         "gpa": [3.5, 0.0, 2.75, 3.9]})
SUBMISSIONS = pd.DataFrame({"id": [10, 11, 12, 13, 14], "user_id": [1, 1, 2, 4, 9],
                            "submitted_at": ["2020-09-01 10:00:00", "2020-09-03 12:30:00", "2020-09-02 08:00:00",
                                             "2020-09-10 23:59:00", "2020-09-05 01:00:00"]})


def _key_policy(extra=()):
    return json.dumps({"Version": "2012-10-17", "Id": "key-consolepolicy-3", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"}, *extra]})


KEY_USER = {"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": [ROLE_ARN]},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": "*"}


@pytest.fixture
def lake(client, workgroup, rs):
    """An SSE-KMS bucket (root-only key policy), a Parquet table and a partitioned CSV table in Glue,
    and a role with S3 rights (no KMS rights) associated with the namespace."""
    kms, s3, glue, iam = client("kms"), client("s3"), client("glue"), client("iam")
    key = kms.create_key(Policy=_key_policy())["KeyMetadata"]["Arn"]
    s3.create_bucket(Bucket=LAKE)
    s3.put_bucket_encryption(Bucket=LAKE, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]})
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(STUDENTS, preserve_index=False), buf)
    s3.put_object(Bucket=LAKE, Key="sis/student/LOAD00000001.parquet", Body=buf.getvalue())
    for day, part in (("2020-08-31", SUBMISSIONS.iloc[:3]), ("2020-09-07", SUBMISSIONS.iloc[3:])):
        s3.put_object(Bucket=LAKE, Key=f"lms/submission_dim/process_date={day}/x.csv",
                      Body=part.to_csv(index=False).encode())
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "redshift.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName=ROLE, PolicyName="s3", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*", "glue:*"], "Resource": "*"}]}))
    rs.update_namespace(namespaceName=NAMESPACE, iamRoles=[ROLE_ARN])
    glue.create_database(DatabaseInput={"Name": "db_sis"})
    glue.create_database(DatabaseInput={"Name": "db_lms"})
    glue.create_table(DatabaseName="db_sis", TableInput={"Name": "student", "StorageDescriptor": {
        "Columns": [{"Name": "student_id", "Type": "bigint"}, {"Name": "first_name", "Type": "string"},
                    {"Name": "gpa", "Type": "double"}], "Location": f"s3://{LAKE}/sis/student/",
        "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE}}, "Parameters": {"classification": "parquet"}})
    csv_sd = {"Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "user_id", "Type": "bigint"},
                          {"Name": "submitted_at", "Type": "string"}],
              "SerdeInfo": {"SerializationLibrary": TEXT_SERDE, "Parameters": {"field.delim": ","}}}
    glue.create_table(DatabaseName="db_lms", TableInput={
        "Name": "submission_dim", "StorageDescriptor": {**csv_sd, "Location": f"s3://{LAKE}/lms/submission_dim/"},
        "PartitionKeys": [{"Name": "process_date", "Type": "string"}],
        "Parameters": {"classification": "csv", "skip.header.line.count": "1"}})
    glue.batch_create_partition(DatabaseName="db_lms", TableName="submission_dim", PartitionInputList=[
        {"Values": [day], "StorageDescriptor": {**csv_sd, "Location": f"s3://{LAKE}/lms/submission_dim/process_date={day}/"}}
        for day in ("2020-08-31", "2020-09-07")])
    return {"key": key}


def _schemas(api):
    for name, db in (("sisraw", "db_sis"), ("lmsraw", "db_lms")):
        api.run(f"CREATE EXTERNAL SCHEMA IF NOT EXISTS {name} FROM DATA CATALOG DATABASE '{db}' IAM_ROLE '{ROLE_ARN}'")


def test_spectrum_fails_until_the_role_is_a_key_user(api, lake, client):
    _schemas(api)
    _, tables = api.rows("SELECT schemaname, tablename FROM svv_external_tables ORDER BY 1, 2")
    assert tables == [("lmsraw", "submission_dim"), ("sisraw", "student")]
    error = api.fail("SELECT count(*) FROM sisraw.student")
    assert error.startswith("ERROR: Spectrum Scan Error") and "403" in error and "AccessDenied" in error
    assert "kms:Decrypt" in error and ROLE in error
    client("kms").put_key_policy(KeyId=lake["key"], PolicyName="default", Policy=_key_policy([KEY_USER]))
    assert api.rows("SELECT count(*) FROM sisraw.student")[1] == [(4,)]


def test_spectrum_join_with_local_table_matches_pandas(api, lake, client):
    client("kms").put_key_policy(KeyId=lake["key"], PolicyName="default", Policy=_key_policy([KEY_USER]))
    _schemas(api)
    api.run("CREATE SCHEMA sis")
    d = api.run("CREATE TABLE sis.student AS SELECT * FROM sisraw.student")
    assert d["ResultRows"] == 4
    got = api.frame("""
        SELECT s.first_name, b.process_date,
               DATEDIFF(day, TO_DATE('2020-09-01', 'YYYY-MM-DD'), TO_DATE(b.submitted_at, 'YYYY-MM-DD')) AS days_late
        FROM lmsraw.submission_dim b JOIN sis.student s ON b.user_id = s.student_id
        ORDER BY b.id""")
    merged = SUBMISSIONS.merge(STUDENTS, left_on="user_id", right_on="student_id").sort_values("id")
    want = (pd.to_datetime(merged.submitted_at.str[:10]) - pd.Timestamp("2020-09-01")).dt.days
    assert got.first_name.tolist() == merged.first_name.tolist()
    assert got.days_late.tolist() == want.tolist()
    assert got.process_date.tolist() == ["2020-08-31", "2020-08-31", "2020-08-31", "2020-09-07"]


def test_external_schema_needs_an_associated_role_and_a_catalog_database(api, lake):
    other = f"arn:aws:iam::{ACCOUNT}:role/NotAssociated"
    api.run(f"CREATE EXTERNAL SCHEMA x FROM DATA CATALOG DATABASE 'db_sis' IAM_ROLE '{other}'")
    assert "is not authorized to assume IAM Role" in api.fail("SELECT * FROM x.student")
    error = api.fail(f"CREATE EXTERNAL SCHEMA y FROM DATA CATALOG DATABASE 'nope' IAM_ROLE '{ROLE_ARN}'")
    assert 'External database "nope" does not exist' in error
    api.run(f"CREATE EXTERNAL SCHEMA y FROM DATA CATALOG DATABASE 'newdb' IAM_ROLE '{ROLE_ARN}' "
            "CREATE EXTERNAL DATABASE IF NOT EXISTS")
    assert 'relation "y.missing" does not exist' in api.fail("SELECT * FROM y.missing")
    api.run("DROP SCHEMA y DROP EXTERNAL DATABASE")
    assert api.rows("SELECT schemaname FROM svv_external_schemas ORDER BY 1")[1] == [("x",)]


def test_iam_role_default_uses_the_namespace_default(api, lake, rs, client):
    client("kms").put_key_policy(KeyId=lake["key"], PolicyName="default", Policy=_key_policy([KEY_USER]))
    assert "Default IAM role is not set" in api.fail(
        "CREATE EXTERNAL SCHEMA d FROM DATA CATALOG DATABASE 'db_sis' IAM_ROLE default")
    rs.update_namespace(namespaceName=NAMESPACE, iamRoles=[ROLE_ARN], defaultIamRoleArn=ROLE_ARN)
    api.run("CREATE EXTERNAL SCHEMA d FROM DATA CATALOG DATABASE 'db_sis' IAM_ROLE default")
    assert api.rows("SELECT max(gpa) FROM d.student")[1] == [(3.9,)]


def test_late_binding_view_over_spectrum_binds_at_query_time(api, lake, client):
    client("kms").put_key_policy(KeyId=lake["key"], PolicyName="default", Policy=_key_policy([KEY_USER]))
    _schemas(api)
    api.run("CREATE SCHEMA sis_lms")
    assert "late-binding" in api.fail(
        "CREATE VIEW sis_lms.plain AS SELECT * FROM lmsraw.submission_dim")
    api.run("""CREATE VIEW sis_lms.submit_view AS
               SELECT s.first_name, b.submitted_at,
                      EXTRACT(dayofweek FROM TO_DATE(LEFT(b.submitted_at, 10), 'YYYY-MM-DD')) AS dow
               FROM lmsraw.submission_dim b JOIN sis.student s ON b.user_id = s.student_id
               WITH NO SCHEMA BINDING""")
    assert api.fail("SELECT * FROM sis_lms.submit_view") == 'ERROR: schema "sis" does not exist'   # not yet
    api.run("CREATE SCHEMA sis")
    api.run("CREATE TABLE sis.student AS SELECT * FROM sisraw.student")
    _, rows = api.rows("SELECT first_name, dow FROM sis_lms.submit_view ORDER BY submitted_at")
    want = [(n, (pd.Timestamp(t[:10]).dayofweek + 1) % 7) for n, t in
            SUBMISSIONS.merge(STUDENTS, left_on="user_id", right_on="student_id").sort_values("submitted_at")
            [["first_name", "submitted_at"]].itertuples(index=False)]
    assert rows == want
    api.run("DROP TABLE sis.student")                     # the view survives the table
    api.run("CREATE TABLE sis.student AS SELECT * FROM sisraw.student WHERE gpa > 3")
    assert len(api.rows("SELECT * FROM sis_lms.submit_view")[1]) == 3   # Ada twice, Di once
    _, views = api.rows("SELECT table_schema, table_name FROM information_schema.views")
    assert ("sis_lms", "submit_view") in views


def test_where_on_partition_columns_reads_only_the_matching_partitions(api, lake, client):
    """A third partition's object is encrypted with a key the role may not use: a query that reads it
    fails as on AWS (403), so a query on the other partitions succeeds only if it was pruned away."""
    kms, s3, glue = client("kms"), client("s3"), client("glue")
    kms.put_key_policy(KeyId=lake["key"], PolicyName="default", Policy=_key_policy([KEY_USER]))
    locked = kms.create_key(Policy=_key_policy())["KeyMetadata"]["Arn"]
    s3.put_object(Bucket=LAKE, Key="lms/submission_dim/process_date=2020-09-14/x.csv",
                  Body=SUBMISSIONS.iloc[:1].to_csv(index=False).encode(), ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=locked)
    sd = glue.get_partition(DatabaseName="db_lms", TableName="submission_dim",
                            PartitionValues=["2020-08-31"])["Partition"]["StorageDescriptor"]
    glue.batch_create_partition(DatabaseName="db_lms", TableName="submission_dim", PartitionInputList=[
        {"Values": ["2020-09-14"], "StorageDescriptor": {
            **sd, "Location": f"s3://{LAKE}/lms/submission_dim/process_date=2020-09-14/"}}])
    _schemas(api)
    error = api.fail("SELECT count(*) FROM lmsraw.submission_dim")
    assert "AccessDenied" in error and "kms:Decrypt" in error
    d = api.run("SELECT count(*) FROM lmsraw.submission_dim WHERE process_date = '2020-08-31'")
    assert api.rd.get_statement_result(Id=d["Id"])["Records"] == [[{"longValue": 3}]]
    _, rows = api.rows(f"SELECT total_partitions, qualified_partitions, scanned_files, file_format, file_location "
                       f"FROM sys_external_query_detail WHERE query_id = {d['RedshiftQueryId']}")
    assert rows == [(3, 1, 1, "Text", f"s3://{LAKE}/lms/submission_dim/")]
    # an alias, a range and a join: still pruned by the WHERE, and the same rows as without pruning
    api.run("CREATE TABLE student AS SELECT * FROM sisraw.student")
    _, rows = api.rows("""SELECT s.first_name, b.process_date FROM lmsraw.submission_dim b
                          JOIN student s ON b.user_id = s.student_id
                          WHERE b.process_date < '2020-09-10' AND s.gpa > 1 ORDER BY b.id""")
    assert rows == [("Ada", "2020-08-31"), ("Ada", "2020-08-31"), ("Di", "2020-09-07")]
    # a predicate mixing partition and data columns cannot prune: every partition is read
    assert "AccessDenied" in api.fail(
        "SELECT count(*) FROM lmsraw.submission_dim WHERE process_date = '2020-08-31' OR user_id = 1")
