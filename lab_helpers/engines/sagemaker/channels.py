"""channels: a training job's input channels, downloaded from S3 as its role and checked as the container does.

SageMaker copies each channel's S3 objects to ``/opt/ml/input/data/<channel>/`` before the
algorithm starts (File mode), reading them as the job's execution role. Here the objects are read
through the role's ``ObjectStore`` (iam_lite applies: a role that may not use the bucket's KMS key
fails the download with S3's AccessDenied) into the job's own directory.

The built-in XGBoost container then checks the channels and the first line of every file:
``ContentType`` picks the parser (none given means LIBSVM), a CSV must have no header and the label
first, a LIBSVM file must look like ``<label> <index>:<value> ...``. The messages are the container's.

LIMITATIONS: S3Prefix and ManifestFile data sources (no AugmentedManifestFile, file systems or
Gzip/RecordIO compression); Pipe and FastFile modes are served like File mode; Parquet and
RecordIO-protobuf content types are refused as not emulated.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from email.message import Message

from ..ports import NoSuchBucket, NoSuchKey, StoreAccessDenied, StoreError


class ChannelError(Exception):
    """A channel cannot be used; ``reason`` is the FailureReason text (``ClientError: ...``)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Channel:
    name: str
    s3_uri: str
    directory: str
    content_type: str | None = None
    input_mode: str = "File"
    files: list[str] = field(default_factory=list)
    size: int = 0


ACCEPTED = ("csv", "libsvm", "parquet", "recordio-protobuf", "text/csv", "text/libsvm", "text/x-libsvm",
            "application/x-parquet", "application/x-recordio-protobuf")


def split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ChannelError(f"ClientError: Invalid S3 URI '{uri}': expected s3://bucket/prefix")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def _no_objects(uri: str, region: str, role_arn: str) -> ChannelError:
    bucket = split_s3(uri)[0]
    return ChannelError(
        f'ClientError: Data download failed:No S3 objects found under S3 URL "{uri}" given in input data source. '
        f"Please ensure that the bucket exists in the selected region ({region}), that objects exist under that S3 "
        f'prefix, and that the role "{role_arn}" has "s3:ListBucket" permissions on bucket "{bucket}".')


def _denied(exc: StoreError) -> ChannelError:
    return ChannelError(f"ClientError: Data download failed:Failed to download data. {exc.code} "
                        f"({exc.status}): {exc.message}")


def objects(store, uri: str, data_type: str, region: str, role_arn: str) -> list[tuple[str, str, str]]:
    """(bucket, key, relative path) of every object the data source names."""
    bucket, prefix = split_s3(uri)
    try:
        if data_type == "ManifestFile":
            manifest = json.loads(store.get_object(bucket, prefix))
            base = manifest[0]["prefix"]
            base_bucket, base_key = split_s3(base)
            return [(base_bucket, base_key + rel, rel) for rel in manifest[1:]]
        found = [o.key for o in store.list_objects(bucket, prefix) if not o.key.endswith("/")]
    except (NoSuchBucket, NoSuchKey):
        raise _no_objects(uri, region, role_arn) from None
    except StoreAccessDenied as exc:
        raise _denied(exc) from None
    except (ValueError, KeyError, IndexError, TypeError):
        raise ChannelError(f"ClientError: Data download failed:The manifest file {uri} is not a JSON list "
                           "of a prefix object and relative keys.") from None
    if not found:
        raise _no_objects(uri, region, role_arn)
    cut = prefix if prefix.endswith("/") or not prefix else prefix.rpartition("/")[0] + "/"
    return [(bucket, key, key[len(cut):] if key.startswith(cut) else os.path.basename(key)) for key in found]


def download(store, config: dict, root: str, region: str, role_arn: str) -> Channel:
    """Copy one InputDataConfig channel into ``root/<channel>/`` as the store's principal."""
    name = config.get("ChannelName", "")
    source = (config.get("DataSource") or {}).get("S3DataSource")
    if not source:
        raise ChannelError(f"ClientError: Channel '{name}': the local target reads S3 data sources only "
                           "(S3DataSource), not file systems.")
    data_type = source.get("S3DataType", "S3Prefix")
    if data_type not in ("S3Prefix", "ManifestFile"):
        raise ChannelError(f"ClientError: Channel '{name}': S3DataType {data_type} is not emulated by the local "
                           "target (S3Prefix and ManifestFile are).")
    if config.get("CompressionType", "None") not in ("None", None):
        raise ChannelError(f"ClientError: Channel '{name}': CompressionType {config['CompressionType']} is not "
                           "emulated by the local target.")
    uri = source.get("S3Uri", "")
    channel = Channel(name, uri, os.path.join(root, name), config.get("ContentType"),
                      config.get("InputMode") or "File")
    os.makedirs(channel.directory, exist_ok=True)
    for bucket, key, relative in objects(store, uri, data_type, region, role_arn):
        target = os.path.join(channel.directory, *[p for p in relative.split("/") if p not in ("", ".", "..")])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            source_path = store.local_path(bucket, key)
        except StoreAccessDenied as exc:
            raise _denied(exc) from None
        except StoreError as exc:
            raise ChannelError(f"ClientError: Data download failed:Failed to download data. {exc.code}: "
                               f"{exc.message}") from None
        shutil.copyfile(source_path, target)
        channel.files.append(target)
        channel.size += os.path.getsize(target)
    return channel


# -- the built-in XGBoost container's checks ------------------------------------------------------

def content_type(value: str | None) -> str:
    """'csv' or 'libsvm', as the container reads a channel's ContentType; ChannelError otherwise."""
    if value is None:
        return "libsvm"
    header = Message()
    header["content-type"] = value.lower()
    media = value.lower().split(";")[0].strip()
    label_size = header.get_param("label_size")
    if media in ("csv", "text/csv"):
        if label_size not in (None, "1"):
            raise ChannelError(f"ClientError: {value} is not an accepted csv ContentType. Optional parameter "
                               "label_size must be equal to 1")
        return "csv"
    if media in ("libsvm", "text/libsvm", "text/x-libsvm"):
        return "libsvm"
    if media in ("parquet", "application/x-parquet", "recordio-protobuf", "application/x-recordio-protobuf"):
        raise ChannelError(f"ClientError: ContentType {value} is not emulated by the local target; write the "
                           "channel as CSV (text/csv) or LIBSVM.")
    raise ChannelError(f"ClientError: {value} is not an accepted ContentType: {', '.join(ACCEPTED)}.")


def check_channels(channels: dict[str, Channel]) -> None:
    """The algorithm's channels: train (required) and validation."""
    if "train" not in channels:
        raise ChannelError("ClientError: Missing required channel: train")
    for name in channels:
        if name not in ("train", "validation"):
            raise ChannelError(f"ClientError: Extraneous channel found: {name}")
    kinds = {content_type(c.content_type) for c in channels.values()}
    if len(kinds) > 1:
        raise ChannelError("ClientError: The train and validation channels must have the same ContentType.")


_LETTER = re.compile(r"[a-df-zA-DF-Z]")   # letters, except e/E of scientific notation


def check_files(channel: Channel) -> None:
    """The container looks at the first line of every data file of a channel."""
    kind = content_type(channel.content_type)
    for path in channel.files:
        name = os.path.basename(path)
        if name.startswith((".", "_")):
            continue
        with open(path, errors="ignore") as f:
            first = f.readline()
        shown = first.rstrip("\r\n")[:50]
        looks_libsvm = " " in first and ":" in first
        if kind == "csv":
            if looks_libsvm:
                raise ChannelError(f"ClientError: Blankspace and colon found in firstline '{shown}...' of file "
                                   f"'{name}'. Please ensure the file is in csv format.")
            letter = _LETTER.search(first)
            if letter:
                raise ChannelError(
                    f"ClientError: Non-numeric value '{letter.group(0)}' found in the header line '{shown}...' of "
                    f"file '{name}'. CSV format require no header line in it. If header line is already removed, "
                    "XGBoost does not accept non-numeric value in the data.")
        elif not looks_libsvm:
            raise ChannelError(f"ClientError: Blankspace and colon not found in firstline '{shown}...' of file "
                               f"'{name}'. ContentType by defaullt is in libsvm. Please ensure the file is in "
                               "libsvm format.")
