"""Benchmark: crawl time of the LMS and SIS crawlers for the default data set and ~10M requests rows.

Run: .venv/bin/python benchmarks/bench_glue.py [--runs 3] [--large-scale 99] [--quick]
Data is written straight into the in-process endpoint's S3; crawls run through boto3.
"""
import argparse
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
logging.getLogger("werkzeug").setLevel(logging.ERROR)

import boto3  # noqa: E402

from lab_helpers import datasets  # noqa: E402
from lab_helpers.endpoint import moto  # noqa: E402
from lab_helpers.endpoint.moto import s3 as moto_s3  # noqa: E402
from lab_helpers.endpoint.server import start_in_thread  # noqa: E402


def crawl_times(scale, runs):
    out = {"sis": [], "lms": []}
    for _ in range(runs):
        moto.reset()
        ep = start_in_thread(Path(tempfile.mkdtemp()))
        s = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
        s3, glue = s.client("s3", endpoint_url=ep.url), s.client("glue", endpoint_url=ep.url)
        s3.create_bucket(Bucket="bench-raw")
        rows = datasets.requests_rows(scale)
        for obj in datasets.generate(scale=scale):  # seeded in-process: the crawl is what is measured
            moto_s3.seed_object("bench-raw", obj.key, obj.body)
        s.client("iam", endpoint_url=ep.url).create_role(RoleName="r", AssumeRolePolicyDocument="{}")
        for name, path in (("sis", "sisdb/sisdemo/"), ("lms", "lmsapi/")):
            glue.create_crawler(Name=name, Role="r", DatabaseName=f"db_{name}",
                                Targets={"S3Targets": [{"Path": f"s3://bench-raw/{path}"}]})
            t0 = time.perf_counter()
            glue.start_crawler(Name=name)
            while glue.get_crawler(Name=name)["Crawler"]["State"] != "READY" or \
                    not glue.get_crawler(Name=name)["Crawler"].get("LastCrawl"):
                time.sleep(0.05)
            out[name].append(time.perf_counter() - t0)
        ep.stop()
    return rows, {k: round(statistics.median(v), 2) for k, v in out.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--large-scale", type=float, default=99)
    parser.add_argument("--quick", action="store_true", help="default scale only")
    args = parser.parse_args()
    result = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count()}}
    rows, med = crawl_times(1.0, args.runs)
    result["default"] = {"requests_rows": rows, "crawl_seconds_median": med}
    if not args.quick:
        rows, med = crawl_times(args.large_scale, 1)
        result["large"] = {"requests_rows": rows, "crawl_seconds": med}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
