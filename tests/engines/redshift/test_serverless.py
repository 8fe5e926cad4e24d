"""redshift-serverless through boto3: namespaces, workgroups, status transitions, secrets, credentials."""
import json
import time

import pytest
from botocore.exceptions import ClientError

from .conftest import ADMIN, NAMESPACE, PASSWORD, WORKGROUP, wait_available


def test_create_namespace_and_workgroup_move_to_available(rs, monkeypatch):
    monkeypatch.setenv("LABKIT_REDSHIFT_PORT", "0")
    ns = rs.create_namespace(namespaceName="dataedu-ns", adminUsername="awsuser", adminUserPassword="Awsuser123",
                             iamRoles=["arn:aws:iam::123456789012:role/R"])["namespace"]
    assert ns["status"] == "AVAILABLE" and ns["dbName"] == "dev" and ns["namespaceArn"].endswith(ns["namespaceId"])
    assert "adminUserPassword" not in ns and ns["iamRoles"] == ["arn:aws:iam::123456789012:role/R"]
    wg = rs.create_workgroup(workgroupName="dataedu-wg", namespaceName="dataedu-ns", baseCapacity=8)["workgroup"]
    assert wg["status"] == "CREATING" and wg["baseCapacity"] == 8
    wg = wait_available(rs, "dataedu-wg")
    assert wg["endpoint"]["address"] == "127.0.0.1" and wg["endpoint"]["port"] == wg["port"] > 0
    assert [w["workgroupName"] for w in rs.list_workgroups()["workgroups"]] == ["dataedu-wg"]
    assert [n["namespaceName"] for n in rs.list_namespaces()["namespaces"]] == ["dataedu-ns"]


def test_errors_are_aws_shaped(rs, workgroup):
    with pytest.raises(ClientError) as err:
        rs.create_namespace(namespaceName=NAMESPACE)
    assert err.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as err:
        rs.get_workgroup(workgroupName="nope")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        rs.create_namespace(namespaceName="Bad_Name")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as err:
        rs.delete_namespace(namespaceName=NAMESPACE)   # its workgroup still exists
    assert err.value.response["Error"]["Code"] == "ConflictException"


def test_update_then_delete_workgroup_and_namespace(rs, workgroup):
    wg = rs.update_workgroup(workgroupName=WORKGROUP, baseCapacity=32)["workgroup"]
    assert wg["status"] == "MODIFYING" and wg["baseCapacity"] == 32
    wait_available(rs, WORKGROUP)
    role = "arn:aws:iam::123456789012:role/Spectrum"
    ns = rs.update_namespace(namespaceName=NAMESPACE, iamRoles=[role], defaultIamRoleArn=role)["namespace"]
    assert ns["defaultIamRoleArn"] == role
    assert rs.delete_workgroup(workgroupName=WORKGROUP)["workgroup"]["status"] == "DELETING"
    time.sleep(0.6)
    with pytest.raises(ClientError):
        rs.get_workgroup(workgroupName=WORKGROUP)
    assert rs.delete_namespace(namespaceName=NAMESPACE)["namespace"]["status"] == "DELETING"
    assert rs.list_namespaces()["namespaces"] == []


def test_managed_admin_password_is_a_secret_the_data_api_accepts(rs, client, monkeypatch):
    monkeypatch.setenv("LABKIT_REDSHIFT_PORT", "0")
    ns = rs.create_namespace(namespaceName="managed", adminUsername="awsuser", manageAdminPassword=True)["namespace"]
    secret = json.loads(client("secretsmanager").get_secret_value(SecretId=ns["adminPasswordSecretArn"])["SecretString"])
    assert secret["username"] == "awsuser" and len(secret["password"]) >= 8
    rs.create_workgroup(workgroupName="managed-wg", namespaceName="managed")
    wait_available(rs, "managed-wg")
    rd = client("redshift-data")
    sid = rd.execute_statement(WorkgroupName="managed-wg", Database="dev", SecretArn=ns["adminPasswordSecretArn"],
                               Sql="SELECT 1 AS one")["Id"]
    for _ in range(200):
        d = rd.describe_statement(Id=sid)
        if d["Status"] == "FINISHED":
            break
        time.sleep(0.02)
    assert d["Status"] == "FINISHED" and d["DbUser"] == "awsuser"


def test_get_credentials_gives_temporary_database_user(rs, workgroup):
    creds = rs.get_credentials(workgroupName=WORKGROUP, durationSeconds=900)
    assert creds["dbUser"].startswith("IAM:") and len(creds["dbPassword"]) > 20
    with pytest.raises(ClientError):
        rs.get_credentials(workgroupName=WORKGROUP, durationSeconds=60)


def test_control_plane_survives_an_endpoint_restart(tmp_path, monkeypatch):
    import boto3

    from lab_helpers.endpoint.server import start_in_thread

    monkeypatch.setenv("LABKIT_REDSHIFT_PORT", "0")
    home = tmp_path / "home"
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    ep = start_in_thread(home)
    try:
        rs = session.client("redshift-serverless", endpoint_url=ep.url)
        rs.create_namespace(namespaceName=NAMESPACE, adminUsername=ADMIN, adminUserPassword=PASSWORD)
        rs.create_workgroup(workgroupName=WORKGROUP, namespaceName=NAMESPACE)
        wait_available(rs, WORKGROUP)
        from .conftest import DataApi

        DataApi(session.client("redshift-data", endpoint_url=ep.url)).run("CREATE TABLE kept AS SELECT 42 AS answer")
    finally:
        ep.stop()
    ep = start_in_thread(home)     # labkit down; labkit up
    try:
        from .conftest import DataApi

        api = DataApi(session.client("redshift-data", endpoint_url=ep.url))
        assert api.rows("SELECT answer FROM kept") == (["answer"], [(42,)])
    finally:
        ep.stop()


def test_tags_on_create_and_through_tag_untag_list(rs):
    ns = rs.create_namespace(namespaceName="tagged", adminUsername=ADMIN, adminUserPassword=PASSWORD,
                             tags=[{"key": "labkit:workspace", "value": "ws-1"}])["namespace"]
    arn = ns["namespaceArn"]
    assert rs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "labkit:workspace", "value": "ws-1"}]
    rs.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "data"}])
    rs.untag_resource(resourceArn=arn, tagKeys=["labkit:workspace"])
    assert rs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "data"}]
    assert "_tags" not in rs.get_namespace(namespaceName="tagged")["namespace"]
    wg = rs.create_workgroup(workgroupName="tagged-wg", namespaceName="tagged",
                             tags=[{"key": "labkit:workspace", "value": "ws-1"}])["workgroup"]
    assert rs.list_tags_for_resource(resourceArn=wg["workgroupArn"])["tags"][0]["value"] == "ws-1"
    with pytest.raises(ClientError) as err:
        rs.list_tags_for_resource(resourceArn=arn.replace("namespace/", "namespace/0"))
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_restart_keeps_every_accounts_tables_and_a_reset_wipes_them(tmp_path, monkeypatch):
    """Tables survive `labkit down`/`up` in every account, whichever account uses Redshift first
    afterwards; POST /_labkit/reset wipes them with the rest of the endpoint."""
    import boto3

    from lab_helpers.endpoint.server import start_in_thread
    from tests.conftest import reset_endpoint

    from .conftest import DataApi

    monkeypatch.setenv("LABKIT_REDSHIFT_PORT", "0")
    home = tmp_path / "home"
    admin = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")

    def learner(url):
        creds = admin.client("sts", endpoint_url=url).assume_role(
            RoleArn="arn:aws:iam::111111111111:role/OrganizationAccountAccessRole",
            RoleSessionName="labkit-class")["Credentials"]
        iam = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                    aws_session_token=creds["SessionToken"], region_name="us-east-1"
                                    ).client("iam", endpoint_url=url)
        iam.create_user(UserName="learner")
        key = iam.create_access_key(UserName="learner")["AccessKey"]
        return boto3.session.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                                     region_name="us-east-1")

    ep = start_in_thread(home)
    try:
        other = learner(ep.url)
        for session, answer in ((admin, 1), (other, 2)):
            rs = session.client("redshift-serverless", endpoint_url=ep.url)
            rs.create_namespace(namespaceName=NAMESPACE, adminUsername=ADMIN, adminUserPassword=PASSWORD)
            rs.create_workgroup(workgroupName=WORKGROUP, namespaceName=NAMESPACE)
            wait_available(rs, WORKGROUP)
            DataApi(session.client("redshift-data", endpoint_url=ep.url)).run(f"CREATE TABLE kept AS SELECT {answer} AS a")
    finally:
        ep.stop()
    ep = start_in_thread(home)     # labkit down; labkit up (moto's accounts live on in this process)
    try:
        for session, answer in ((admin, 1), (other, 2)):
            api = DataApi(session.client("redshift-data", endpoint_url=ep.url))
            assert api.rows("SELECT a FROM kept") == (["a"], [(answer,)])
        reset_endpoint(ep)
        rs = admin.client("redshift-serverless", endpoint_url=ep.url)
        assert rs.list_workgroups()["workgroups"] == [] and rs.list_namespaces()["namespaces"] == []
        rs.create_namespace(namespaceName=NAMESPACE, adminUsername=ADMIN, adminUserPassword=PASSWORD)
        rs.create_workgroup(workgroupName=WORKGROUP, namespaceName=NAMESPACE)
        wait_available(rs, WORKGROUP)
        api = DataApi(admin.client("redshift-data", endpoint_url=ep.url))
        assert 'relation "kept" does not exist' in api.fail("SELECT a FROM kept")
        api.run("CREATE TABLE again AS SELECT 3 AS a")
    finally:
        ep.stop()
    # A reset before any Redshift use in a new process, then down/up: nothing comes back.
    ep = start_in_thread(home)
    try:
        reset_endpoint(ep)
        assert not (home / "redshift").exists() and not list(home.glob("accounts/*/redshift"))
    finally:
        ep.stop()
    ep = start_in_thread(home)
    try:
        rs = admin.client("redshift-serverless", endpoint_url=ep.url)
        assert rs.list_workgroups()["workgroups"] == [] and rs.list_namespaces()["namespaces"] == []
    finally:
        ep.stop()
