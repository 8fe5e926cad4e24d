"""Models, endpoint configs, endpoints and sagemaker-runtime InvokeEndpoint through boto3: a real model server."""
from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError

from lab_helpers.stack.provision import root_only_key_policy
from tests.conftest import reset_endpoint

from .support import (ACCOUNT, BUCKET, IMAGE, ROLE_ARN, create_job, csv_rows, model_file, put_split, setup_account,
                      signal_data, wait_endpoint, wait_training)

pytestmark = pytest.mark.shared_account   # one account: two models trained once, endpoints named per test
X, Y = signal_data(n=600)


@pytest.fixture(scope="module")
def trained(endpoint_server, session):
    """Two trained models (different data) in a freshly reset account."""
    reset_endpoint(endpoint_server)
    client = lambda service: session.client(service, endpoint_url=endpoint_server.url)  # noqa: E731
    setup_account(client)
    sm = client("sagemaker")
    put_split(client, X[:450], Y[:450], prefix="a")
    put_split(client, X[:450], 1 - Y[:450], prefix="b")        # the opposite labels: opposite predictions
    create_job(sm, "model-a", prefix="a")
    create_job(sm, "model-b", prefix="b")
    uris = {}
    for name in ("model-a", "model-b"):
        desc = wait_training(sm, name)
        assert desc["TrainingJobStatus"] == "Completed", desc.get("FailureReason")
        uris[name] = desc["ModelArtifacts"]["S3ModelArtifacts"]
        sm.create_model(ModelName=name, ExecutionRoleArn=ROLE_ARN,
                        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": uris[name]})
    yield uris
    reset_endpoint(endpoint_server)


def deploy(sm, name: str, model: str = "model-a", wait: bool = True) -> dict:
    sm.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    return wait_endpoint(sm, name) if wait else sm.describe_endpoint(EndpointName=name)


def _servers(endpoint: str) -> int:
    """Live model-server processes of one endpoint (their cwd is the endpoint's model directory)."""
    count = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"xgboost_worker.py" not in f.read():
                        continue
                with open(f"/proc/{pid}/stat", "rb") as f:
                    if f.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X"):
                        continue
                count += f"/endpoints/{endpoint}/" in os.readlink(f"/proc/{pid}/cwd") + "/"
            except OSError:
                pass
    return count


def test_endpoint_is_creating_until_the_model_is_loaded_and_predicts_as_plain_xgboost(trained, client):
    sm, runtime = client("sagemaker"), client("sagemaker-runtime")
    first = deploy(sm, "ep-match", wait=False)
    assert first["EndpointStatus"] == "Creating"          # moto alone says InService at once
    desc = wait_endpoint(sm, "ep-match")
    assert desc["EndpointStatus"] == "InService" and desc["EndpointConfigName"] == "ep-match-config"
    assert desc["ProductionVariants"][0]["CurrentInstanceCount"] == 1
    rows = X[450:470]
    answer = runtime.invoke_endpoint(EndpointName="ep-match", ContentType="text/csv", Body=csv_rows(rows).strip())
    assert answer["ContentType"] == "text/csv" and answer["InvokedProductionVariant"] == "AllTraffic"
    served = [float(v) for v in answer["Body"].read().decode().split(",")]
    booster = xgb.Booster()
    booster.load_model(bytearray(model_file(client, trained["model-a"])))
    plain = booster.predict(xgb.DMatrix(np.round(rows, 6)))
    assert served == [float(v) for v in plain.tolist()]


def test_invoke_speaks_libsvm_and_answers_json(trained, client):
    sm, runtime = client("sagemaker"), client("sagemaker-runtime")
    deploy(sm, "ep-formats")
    libsvm = "\n".join(" ".join(f"{j}:{v:.6f}" for j, v in enumerate(row)) for row in X[450:453])
    by_libsvm = runtime.invoke_endpoint(EndpointName="ep-formats", ContentType="text/libsvm", Body=libsvm)
    by_csv = runtime.invoke_endpoint(EndpointName="ep-formats", ContentType="text/csv",
                                     Body=csv_rows(X[450:453]).strip(), Accept="application/json")
    assert by_csv["ContentType"] == "application/json"
    scores = [p["score"] for p in json.loads(by_csv["Body"].read())["predictions"]]
    assert [float(v) for v in by_libsvm["Body"].read().decode().split(",")] == scores


@pytest.mark.parametrize("content_type, body, status, message", [
    ("text/csv", "0.1,abc,0.3,0.4,0.5", 415, "Loading csv data failed with Exception, please ensure data is in csv "
                                           "format:\n <class 'ValueError'>\n could not convert string to float: 'abc'"),
    ("application/json", '{"instances": [[1, 2]]}', 415, "Content-type application/json not supported."),
    ("text/csv", "1,0.1,0.2,0.3,0.4,0.5,0.6", 400, "Unable to evaluate payload provided: Feature size of csv inference "
                                                  "data 7 is not consistent with feature size of trained model 5"),
])
def test_a_payload_the_container_refuses_is_a_model_error(trained, client, content_type, body, status, message):
    sm, runtime = client("sagemaker"), client("sagemaker-runtime")
    if sm.list_endpoints(NameContains="ep-errors")["Endpoints"] == []:
        deploy(sm, "ep-errors")
    with pytest.raises(ClientError) as err:
        runtime.invoke_endpoint(EndpointName="ep-errors", ContentType=content_type, Body=body)
    response = err.value.response
    assert response["Error"]["Code"] == "ModelError" and response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert response["OriginalStatusCode"] == status and response["OriginalMessage"].startswith(message)
    assert response["Error"]["Message"].startswith(f"Received client error ({status}) from primary with message ")
    assert "/aws/sagemaker/Endpoints/ep-errors" in response["LogStreamArn"]


def test_unknown_endpoints_and_oversized_payloads_are_validation_errors(trained, client):
    runtime = client("sagemaker-runtime")
    with pytest.raises(ClientError) as err:
        runtime.invoke_endpoint(EndpointName="nobody-home", ContentType="text/csv", Body="1,2,3,4,5")
    assert err.value.response["Error"] == {"Code": "ValidationError", "Message":
                                          f"Endpoint nobody-home of account {ACCOUNT} not found."}
    deploy(client("sagemaker"), "ep-big")
    with pytest.raises(ClientError) as err:
        runtime.invoke_endpoint(EndpointName="ep-big", ContentType="text/csv", Body=b"0.1,0.2,0.3,0.4,0.5\n" * 320000)
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert "6 MB" in err.value.response["Error"]["Message"]


def test_update_endpoint_loads_the_new_model_before_it_swaps_and_rolls_back_a_failure(trained, client):
    sm, runtime = client("sagemaker"), client("sagemaker-runtime")
    deploy(sm, "ep-update")
    row = csv_rows(X[460:461]).strip()
    before = float(runtime.invoke_endpoint(EndpointName="ep-update", ContentType="text/csv", Body=row)["Body"].read())
    sm.create_endpoint_config(EndpointConfigName="ep-update-b", ProductionVariants=[{
        "VariantName": "Blue", "ModelName": "model-b", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.update_endpoint(EndpointName="ep-update", EndpointConfigName="ep-update-b")
    assert sm.describe_endpoint(EndpointName="ep-update")["EndpointStatus"] == "Updating"
    desc = wait_endpoint(sm, "ep-update")
    assert (desc["EndpointStatus"], desc["EndpointConfigName"]) == ("InService", "ep-update-b")
    answer = runtime.invoke_endpoint(EndpointName="ep-update", ContentType="text/csv", Body=row)
    assert answer["InvokedProductionVariant"] == "Blue"
    assert (float(answer["Body"].read()) > 0.5) != (before > 0.5)
    # a model whose artifact is gone: the update fails and the endpoint keeps serving model-b
    sm.create_model(ModelName="model-gone", ExecutionRoleArn=ROLE_ARN,
                    PrimaryContainer={"Image": IMAGE, "ModelDataUrl": f"s3://{BUCKET}/no/such/model.tar.gz"})
    sm.create_endpoint_config(EndpointConfigName="ep-update-gone", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "model-gone", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.update_endpoint(EndpointName="ep-update", EndpointConfigName="ep-update-gone")
    desc = wait_endpoint(sm, "ep-update")
    assert (desc["EndpointStatus"], desc["EndpointConfigName"]) == ("InService", "ep-update-b")
    assert "Failed to download model data" in desc["FailureReason"]
    assert runtime.invoke_endpoint(EndpointName="ep-update", ContentType="text/csv", Body=row)["InvokedProductionVariant"] == "Blue"


def test_an_endpoint_whose_role_cannot_read_the_model_fails(trained, client):
    sm, kms, s3 = client("sagemaker"), client("kms"), client("s3")
    key = kms.create_key(Policy=json.dumps(root_only_key_policy(ACCOUNT)))["KeyMetadata"]["Arn"]
    body = s3.get_object(Bucket=BUCKET, Key=trained["model-a"].split(f"{BUCKET}/", 1)[1])["Body"].read()
    s3.put_object(Bucket=BUCKET, Key="locked/model.tar.gz", Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
    sm.create_model(ModelName="model-locked", ExecutionRoleArn=ROLE_ARN,
                    PrimaryContainer={"Image": IMAGE, "ModelDataUrl": f"s3://{BUCKET}/locked/model.tar.gz"})
    desc = deploy(sm, "ep-locked", model="model-locked")
    assert desc["EndpointStatus"] == "Failed"
    assert desc["FailureReason"] == (f"Failed to download model data(bucket: {BUCKET}, key: locked/model.tar.gz). Please "
                                     "ensure that there is an object located at the URL and that the role passed to "
                                     "CreateModel has permissions to download the model.")
    with pytest.raises(ClientError) as err:
        client("sagemaker-runtime").invoke_endpoint(EndpointName="ep-locked", ContentType="text/csv", Body="1,2,3,4,5")
    assert err.value.response["Error"]["Code"] == "ValidationError"


def test_delete_endpoint_stops_its_model_server(trained, client):
    sm = client("sagemaker")
    deploy(sm, "ep-delete")
    assert _servers("ep-delete") > 0                  # the server (and its supervisor)
    assert [e["EndpointStatus"] for e in sm.list_endpoints(NameContains="ep-delete")["Endpoints"]] == ["InService"]
    sm.delete_endpoint(EndpointName="ep-delete")
    deadline = time.monotonic() + 10
    while _servers("ep-delete") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _servers("ep-delete") == 0
    with pytest.raises(ClientError) as err:
        sm.describe_endpoint(EndpointName="ep-delete")
    assert "Could not find endpoint" in err.value.response["Error"]["Message"]


def test_create_model_and_endpoint_refuse_what_aws_refuses(trained, client):
    sm = client("sagemaker")
    with pytest.raises(ClientError) as err:
        sm.create_model(ModelName="model-a", ExecutionRoleArn=ROLE_ARN,
                        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": trained["model-a"]})
    assert err.value.response["Error"]["Message"].startswith("Cannot create already existing model")
    with pytest.raises(ClientError) as err:
        sm.create_model(ModelName="model-torch", ExecutionRoleArn=ROLE_ARN, PrimaryContainer={
            "Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3-cpu-py311"})
    assert "LABKIT_TARGET=aws" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        sm.create_endpoint(EndpointName="ep-no-config", EndpointConfigName="no-such-config")
    assert "Could not find endpoint configuration" in err.value.response["Error"]["Message"]
