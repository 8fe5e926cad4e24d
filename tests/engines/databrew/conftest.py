"""DataBrew test fixtures: one endpoint per module (moto is still wiped before every test by the
root conftest, and the engine's state after every test), a bucket, a role, boto3 clients."""
import boto3
import pytest

from lab_helpers.endpoint.server import start_in_thread

from .support import BUCKET, ROLE, ROLE_ARN


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    ep = start_in_thread(tmp_path_factory.mktemp("databrew-home"))
    yield ep
    ep.stop()


@pytest.fixture(scope="module")
def session():
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")


@pytest.fixture(autouse=True)
def _fresh_engines(endpoint):
    yield
    endpoint.app.context.reset()   # runs, projects and worker pools start afresh


@pytest.fixture
def brew(client):
    """A bucket and a role for DataBrew jobs; returns the client factory."""
    client("s3").create_bucket(Bucket=BUCKET)
    client("iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument="{}")
    return client


@pytest.fixture
def databrew(brew):
    return brew("databrew")


__all__ = ["ROLE_ARN"]
