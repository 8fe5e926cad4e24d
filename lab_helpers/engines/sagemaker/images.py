"""images: which SageMaker container image a training job or model names, and whether the kit runs it.

The local target runs no containers. It recognises the image URIs ``sagemaker.image_uris.retrieve``
returns for the built-in XGBoost algorithm (every version the SageMaker Python SDK 2.x lists, in
every region and partition) and for the scikit-learn and XGBoost framework containers (script
mode: an entry-point script passed as ``sagemaker_program``), and emulates those. Any other image
is refused with a message that says so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>:<tag> (or @sha256:...)
_ECR = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|c2s\.ic\.gov|"
                  r"sc2s\.sgov\.gov)/(?P<repo>[a-z0-9._/-]+)(?::(?P<tag>[A-Za-z0-9._-]+)|@sha256:[0-9a-f]{64})?$")
_VERSION = re.compile(r"^(?P<version>\d+\.\d+(?:\.\d+)?(?:-\d+)?)")
XGBOOST_REPOSITORIES = ("sagemaker-xgboost", "xgboost")
SKLEARN_REPOSITORY = "sagemaker-scikit-learn"
RUN_ON_AWS = "To run it, use a real AWS account: set LABKIT_TARGET=aws and restart the kernel."


@dataclass(frozen=True)
class Image:
    uri: str
    framework: str        # "xgboost" | "sklearn"
    version: str          # "1.7-1", "1" (the legacy xgboost:1 image), "" when the tag names none


class UnsupportedImage(ValueError):
    """The local target cannot run this image (no containers, no Docker)."""


def parse(uri: str) -> Image:
    """The image as the kit understands it; UnsupportedImage for anything it does not emulate."""
    m = _ECR.match(uri or "")
    repo = m.group("repo").rsplit("/", 1)[-1] if m else ""
    tag = (m.group("tag") or "") if m else ""
    if repo in XGBOOST_REPOSITORIES:
        version = "1" if repo == "xgboost" else (_VERSION.match(tag).group("version") if _VERSION.match(tag) else "")
        return Image(uri, "xgboost", version)
    if repo == SKLEARN_REPOSITORY:
        return Image(uri, "sklearn", _VERSION.match(tag).group("version") if _VERSION.match(tag) else "")
    raise UnsupportedImage(
        f"The local target has no container runtime: it emulates the built-in XGBoost algorithm "
        f"(images from sagemaker.image_uris.retrieve('xgboost', region, version)) and scikit-learn / XGBoost "
        f"script mode, not the image '{uri}'. {RUN_ON_AWS}")
