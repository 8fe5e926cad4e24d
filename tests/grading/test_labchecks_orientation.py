"""Lab 00's checks say exactly what the task asks: Glacier Instant Retrieval, the key by its alias."""


def _lifecycle(client, workspace, raw_class):
    s3 = client("s3")
    s3.put_bucket_lifecycle_configuration(Bucket=workspace.names.buckets["results"], LifecycleConfiguration={"Rules": [
        {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "athena/"}, "Expiration": {"Days": 7}}]})
    s3.put_bucket_lifecycle_configuration(Bucket=workspace.names.buckets["raw"], LifecycleConfiguration={"Rules": [
        {"ID": "archive", "Status": "Enabled", "Filter": {"Prefix": ""},
         "Transitions": [{"Days": 90, "StorageClass": raw_class}]}]})
    return workspace.run_check("00_orientation", "lifecycle_rules", record=False)


def test_lifecycle_rules_refuse_glacier_flexible_retrieval_when_instant_retrieval_is_asked(workspace, client):
    result = _lifecycle(client, workspace, "GLACIER")
    assert not result.passed and result.points == 5
    assert any("GLACIER (Glacier Flexible Retrieval)" in f for f in result.found)
    assert "GLACIER_IR" in result.hint and "Instant Retrieval" in result.hint


def test_lifecycle_rules_pass_with_glacier_instant_retrieval(workspace, client):
    result = _lifecycle(client, workspace, "GLACIER_IR")
    assert result.passed and result.points == 10
    assert any("1 enabled rule(s) moving objects to GLACIER_IR" in f for f in result.found)


def test_encryption_part_names_the_key_by_its_alias(workspace, client):
    client("s3").put_object(Bucket=workspace.names.buckets["results"], Key="orientation/hello.txt", Body=b"hi\n")
    result = workspace.run_check("00_orientation", "hello_lake", record=False)
    key_id = client("kms").describe_key(KeyId="alias/dataedu-key")["KeyMetadata"]["KeyId"]
    line = next(f for f in result.found if "encryption:" in f)
    assert result.passed and f"aws:kms with alias/dataedu-key (key {key_id})" in line, line


def test_another_key_is_named_by_its_own_alias_or_said_to_have_none(workspace, client):
    from lab_helpers.grading.checks import key_label

    kms = client("kms")
    other = kms.create_key(Description="not the lake key")["KeyMetadata"]["KeyId"]
    bare = kms.create_key(Description="no alias")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/someone-elses-key", TargetKeyId=other)
    ctx = workspace.check_context()
    assert key_label(ctx, f"arn:aws:kms:us-east-1:123456789012:key/{other}") == f"alias/someone-elses-key (key {other})"
    assert key_label(ctx, bare) == f"key {bare} (no alias)"
