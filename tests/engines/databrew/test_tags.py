"""DataBrew tags: what labkit teardown reads to prove a workspace owns a dataset, job or project."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

ARN = "arn:aws:databrew:us-east-1:123456789012"


def test_tags_given_at_creation_are_listed(client):
    brew = client("databrew")
    client("s3").create_bucket(Bucket="brew-in")
    brew.create_dataset(Name="students", Input={"S3InputDefinition": {"Bucket": "brew-in", "Key": "s.csv"}},
                        Tags={"labkit:workspace": "ws-1"})
    brew.create_recipe(Name="r", Steps=[{"Action": {"Operation": "UPPER_CASE", "Parameters": {"sourceColumn": "a"}}}],
                       Tags={"labkit:workspace": "ws-1"})
    brew.create_project(Name="p", DatasetName="students", RecipeName="r",
                        RoleArn="arn:aws:iam::123456789012:role/brew", Tags={"labkit:workspace": "ws-1"})
    for kind, name in (("dataset", "students"), ("recipe", "r"), ("project", "p")):
        assert brew.list_tags_for_resource(ResourceArn=f"{ARN}:{kind}/{name}")["Tags"] == {"labkit:workspace": "ws-1"}
    brew.tag_resource(ResourceArn=f"{ARN}:project/p", Tags={"team": "data"})
    brew.untag_resource(ResourceArn=f"{ARN}:project/p", TagKeys=["labkit:workspace"])
    assert brew.list_tags_for_resource(ResourceArn=f"{ARN}:project/p")["Tags"] == {"team": "data"}


def test_unknown_resources_and_bad_arns_are_aws_shaped_errors(client):
    brew = client("databrew")
    with pytest.raises(ClientError) as err:
        brew.list_tags_for_resource(ResourceArn=f"{ARN}:dataset/none")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        brew.list_tags_for_resource(ResourceArn="arn:aws:databrew:us-east-1:123456789012:widget/x")
    assert err.value.response["Error"]["Code"] == "ValidationException"
