"""channels: content types and first-line checks exactly as the built-in XGBoost container words them."""
from __future__ import annotations

import pytest

from lab_helpers.engines.sagemaker import channels as ch


@pytest.mark.parametrize("value, kind", [(None, "libsvm"), ("text/csv", "csv"), ("csv", "csv"),
                                         ("text/csv;label_size=1", "csv"), ("TEXT/CSV", "csv"),
                                         ("text/libsvm", "libsvm"), ("text/x-libsvm", "libsvm")])
def test_content_types(value, kind):
    assert ch.content_type(value) == kind


@pytest.mark.parametrize("value, message", [
    ("text/csv;label_size=2", "ClientError: text/csv;label_size=2 is not an accepted csv ContentType."),
    ("application/json", "ClientError: application/json is not an accepted ContentType: csv, libsvm, parquet"),
    ("application/x-parquet", "ClientError: ContentType application/x-parquet is not emulated by the local target"),
])
def test_refused_content_types(value, message):
    with pytest.raises(ch.ChannelError) as err:
        ch.content_type(value)
    assert err.value.reason.startswith(message)


def _channel(tmp_path, text, content_type="text/csv", name="train.csv"):
    path = tmp_path / name
    path.write_text(text)
    return ch.Channel("train", "s3://b/p/", str(tmp_path), content_type, files=[str(path)])


def test_scientific_notation_is_not_a_header(tmp_path):
    ch.check_files(_channel(tmp_path, "1,2.5e-03,-1E+02\n0,1,2\n"))


@pytest.mark.parametrize("text, content_type, start", [
    ("label,x\n1,2\n", "text/csv", "ClientError: Non-numeric value 'l' found in the header line 'label,x...'"),
    ("1 1:0.5 2:0.3\n", "text/csv", "ClientError: Blankspace and colon found in firstline '1 1:0.5 2:0.3...'"),
    ("1,0.5,0.3\n", None, "ClientError: Blankspace and colon not found in firstline '1,0.5,0.3...' of file 'train.csv'"),
])
def test_first_line_checks(tmp_path, text, content_type, start):
    with pytest.raises(ch.ChannelError) as err:
        ch.check_files(_channel(tmp_path, text, content_type))
    assert err.value.reason.startswith(start)


def test_channel_names():
    train = ch.Channel("train", "", "", "text/csv")
    with pytest.raises(ch.ChannelError, match="Missing required channel: train"):
        ch.check_channels({"validation": train})
    with pytest.raises(ch.ChannelError, match="Extraneous channel found: test"):
        ch.check_channels({"train": train, "test": train})
