"""images: every image URI the SageMaker Python SDK 2.x gives for XGBoost and scikit-learn is recognised."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import sagemaker
from lab_helpers.engines.sagemaker import images

CONFIG = Path(sagemaker.__file__).parent / "image_uri_config"


def _versions(framework: str, scope: str) -> list[str]:
    return sorted(json.loads((CONFIG / f"{framework}.json").read_text())[scope]["versions"])


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1"])
def test_every_sdk_xgboost_version_is_the_built_in_algorithm(region):
    versions = _versions("xgboost", "training")
    assert {"1", "1.0-1", "1.7-1", "3.0-5"} <= set(versions)
    for version in versions:
        uri = sagemaker.image_uris.retrieve("xgboost", region, version)
        image = images.parse(uri)
        assert (image.framework, image.version) == ("xgboost", version), uri


def test_every_sdk_sklearn_version_is_script_mode():
    for version in _versions("sklearn", "training"):
        uri = sagemaker.image_uris.retrieve("sklearn", "us-east-1", version, py_version="py3",
                                            instance_type="ml.m5.large")
        assert images.parse(uri).framework == "sklearn", uri


@pytest.mark.parametrize("uri", [
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-algorithm:latest",
    "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3-cpu-py311",
    "xgboost:1.7-1", ""])
def test_other_images_are_refused_with_the_way_out(uri):
    with pytest.raises(images.UnsupportedImage, match="LABKIT_TARGET=aws"):
        images.parse(uri)
