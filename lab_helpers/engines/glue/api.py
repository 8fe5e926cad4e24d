"""api: the Glue crawler operations the engine answers (runs, state, metrics, crawl history)."""
from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

from ...endpoint.moto import glue as moto_glue
from ...endpoint.registry import EngineError, EngineResponse
from .crawler import CrawlOutcome, crawl
from ..platform.acting import RoleNotAssumable
from ..platform.jobs import Job

log = logging.getLogger("labkit.glue")
LOG_GROUP = "/aws-glue/crawlers"
CRAWL_WORKERS = 4     # crawls run at once; more wait QUEUED on the job table (the crawler shows RUNNING)


@dataclass
class Run:
    crawl_id: str
    start: float
    end: float | None = None
    state: str = "RUNNING"            # ListCrawls CrawlState: RUNNING | COMPLETED | CANCELLED | FAILED
    outcome: CrawlOutcome | None = None
    error: str = ""


@dataclass
class CrawlerState:
    state: str = "READY"
    runs: list[Run] = field(default_factory=list)
    job: Job | None = None            # the current run on the Glue job table


class _Crawlers:
    """Per-crawler run history; the runs themselves are jobs on ``ctx.jobs("glue")``, which the
    endpoint reset cancels and waits for."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_name: dict[str, CrawlerState] = {}

    def get(self, name: str) -> CrawlerState:
        with self.lock:
            return self.by_name.setdefault(name, CrawlerState())


def _crawlers(ctx) -> _Crawlers:
    return ctx.state("glue_crawlers", _Crawlers)


def _moto_error(answer, name: str) -> EngineError:
    """moto's error answer as an EngineError; a missing crawler reads the same from every operation."""
    if answer.error_code == "EntityNotFoundException":
        return EngineError("EntityNotFoundException", f"Crawler with name {name} has not been found", 400)
    return EngineError(answer.error_code or "InternalFailure", answer.error_message, answer.status)


def _definition(request, ctx, name: str) -> dict:
    """The crawler as moto's GetCrawler answers it (in-process, whatever operation ``request`` is)."""
    answer = ctx.call_moto(request, "GetCrawler", {"Name": name})
    if not answer.ok:
        raise _moto_error(answer, name)
    return answer.json()["Crawler"]


def _crawler_names(request, ctx) -> list[str]:
    """Every crawler's name, from moto's ListCrawlers pages."""
    names, token = [], None
    while True:
        page = ctx.call_moto(request, "ListCrawlers", {"NextToken": token} if token else {}).json()
        names.extend(page.get("CrawlerNames") or [])
        token = page.get("NextToken")
        if not token:
            return sorted(names)


def _ts(epoch: float) -> float:
    return epoch


def _view(crawler: dict, st: CrawlerState) -> dict:
    """moto's Crawler (GetCrawler, GetCrawlers) patched with the run state this engine owns."""
    out = dict(crawler)
    out["State"] = st.state
    out.pop("LastCrawl", None)
    finished = [r for r in st.runs if r.end is not None]
    if st.runs:
        current = st.runs[-1]
        out["CrawlElapsedTime"] = int(((current.end or time.time()) - current.start) * 1000) if current.end is None else 0
    if finished:
        last = finished[-1]
        out["LastCrawl"] = {
            "Status": {"COMPLETED": "SUCCEEDED"}.get(last.state, last.state),
            "LogGroup": LOG_GROUP, "LogStream": crawler["Name"], "MessagePrefix": last.crawl_id,
            "StartTime": _ts(last.start),
        }
        if last.error:
            out["LastCrawl"]["ErrorMessage"] = last.error
    return {k: v for k, v in out.items() if v is not None}


def _execute(ctx, region: str, crawler: dict, st: CrawlerState, run: Run, job: Job) -> None:
    name = crawler["Name"]
    if run.end is not None:   # stopped while queued
        return
    try:
        targets = crawler.get("Targets") or {}
        other = [k for k, v in targets.items() if v and k != "S3Targets"]
        if other:
            outcome = CrawlOutcome(status="FAILED", error_message=(
                f"The local crawler crawls S3 targets only; {', '.join(other)} are not emulated."))
        else:
            # The crawler reads S3 as its role: a role that is not a key user is denied SSE-KMS data.
            store = ctx.acting_as(crawler.get("Role", ""), region, "AWS-Crawler").store()
            outcome = crawl(crawler, store, ctx.catalog(region), crawl_id=run.crawl_id,
                            stopped=lambda: job.cancelled)
    except RoleNotAssumable as exc:
        outcome = CrawlOutcome(status="FAILED", error_message=(
            f"Service is unable to assume provided role. {exc}"))
    except Exception as exc:  # the crawler must end in a state, never leave RUNNING behind
        log.exception("crawl %s of %s crashed", run.crawl_id, name)
        outcome = CrawlOutcome(status="FAILED", error_message=f"Internal error in the local crawler: {exc}")
    run.outcome = outcome
    run.error = outcome.error_message
    st.state = "STOPPING"
    ctx.logs(region).write_quietly(LOG_GROUP, name,
                                   outcome.log_lines or [f"[{run.crawl_id}] BENCHMARK : Crawler finished"])
    if not job.cancelled:
        job.cancel_event.wait(0.2)  # STOPPING is observable, as on AWS, before READY
    run.state = ("CANCELLED" if job.cancelled or outcome.status == "CANCELLED"
                 else "COMPLETED" if outcome.status == "SUCCEEDED" else "FAILED")
    run.end = time.time()
    st.state = "READY"


def start_crawler(request, ctx):
    name = request.json().get("Name", "")
    crawler = _definition(request, ctx, name)
    st = _crawlers(ctx).get(name)
    with _crawlers(ctx).lock:
        if st.state != "READY":
            raise EngineError("CrawlerRunningException", f"Crawler with name {name} has already started", 400)
        st.state = "RUNNING"
        run = Run(str(uuid.uuid4()), time.time())
        st.runs.append(run)
    st.job = ctx.jobs("glue", workers=CRAWL_WORKERS).submit(
        lambda job: _execute(ctx, request.region, crawler, st, run, job), kind="crawl", job_id=run.crawl_id)
    return EngineResponse.json({})


def stop_crawler(request, ctx):
    name = request.json().get("Name", "")
    _definition(request, ctx, name)
    st = _crawlers(ctx).get(name)
    if st.state != "RUNNING":
        raise EngineError("CrawlerNotRunningException", f"Crawler with name {name} isn't running", 400)
    st.state = "STOPPING"
    job = st.job
    if job is not None:
        job.request_cancel()
        if job.started is None:   # still queued behind other crawls: it never runs
            run = st.runs[-1]
            run.state, run.end = "CANCELLED", time.time()
            st.state = "READY"
    return EngineResponse.json({})


def update_crawler(request, ctx):
    """UpdateCrawler (moto lacks it): change a stopped crawler's definition, as Glue does."""
    body = request.json()
    name = body.get("Name", "")
    _definition(request, ctx, name)
    if _crawlers(ctx).get(name).state != "READY":
        raise EngineError("CrawlerRunningException", f"Crawler with name {name} is running; update it when it is READY",
                          400)
    moto_glue.update_glue_crawler(name, request.region, body)
    return EngineResponse.json({})


def get_crawler(request, ctx):
    """moto's GetCrawler answer with this engine's run state (State, LastCrawl, CrawlElapsedTime)."""
    answer = ctx.call_moto(request)
    if not answer.ok:
        raise _moto_error(answer, request.json().get("Name", ""))
    body = answer.json()
    body["Crawler"] = _view(body["Crawler"], _crawlers(ctx).get(body["Crawler"]["Name"]))
    return EngineResponse.json(body)


def get_crawlers(request, ctx):
    """moto's GetCrawlers answer with each crawler's run state."""
    answer = ctx.call_moto(request)
    if not answer.ok:
        raise _moto_error(answer, "")
    body = answer.json()
    body["Crawlers"] = [_view(c, _crawlers(ctx).get(c["Name"])) for c in body.get("Crawlers") or []]
    return EngineResponse.json(body)


def get_crawler_metrics(request, ctx):
    known = _crawler_names(request, ctx)
    wanted = request.json().get("CrawlerNameList") or known
    metrics = []
    for name in wanted:
        if name not in known:
            raise EngineError("EntityNotFoundException", f"Crawler with name {name} has not been found", 400)
        st = _crawlers(ctx).get(name)
        done = [r for r in st.runs if r.end is not None]
        durations = sorted(r.end - r.start for r in done)
        last = done[-1].outcome if done else None
        metrics.append({
            "CrawlerName": name,
            "TimeLeftSeconds": 0.0,
            "StillEstimating": False,
            "LastRuntimeSeconds": round(durations[-1], 3) if durations else 0.0,
            "MedianRuntimeSeconds": round(durations[len(durations) // 2], 3) if durations else 0.0,
            "TablesCreated": len(last.tables_created) if last else 0,
            "TablesUpdated": len(last.tables_updated) if last else 0,
            "TablesDeleted": len(last.tables_deleted) if last else 0,
        })
    return EngineResponse.json({"CrawlerMetricsList": metrics})


def list_crawls(request, ctx):
    name = request.json().get("CrawlerName", "")
    _definition(request, ctx, name)
    crawls = []
    for run in reversed(_crawlers(ctx).get(name).runs):
        item = {"CrawlId": run.crawl_id, "State": run.state, "StartTime": run.start,
                "LogGroup": LOG_GROUP, "LogStream": name, "MessagePrefix": run.crawl_id}
        if run.end is not None:
            item["EndTime"] = run.end
            item["DPUHour"] = 0.0
        if run.outcome is not None:
            o = run.outcome
            item["Summary"] = json.dumps({"TABLE": {"ADD": {"Count": len(o.tables_created)},
                                                    "UPDATE": {"Count": len(o.tables_updated)},
                                                    "DELETE": {"Count": len(o.tables_deleted)}},
                                          "PARTITION": {"ADD": {"Count": o.partitions_created}}})
        if run.error:
            item["ErrorMessage"] = run.error
        crawls.append(item)
    return EngineResponse.json({"Crawls": crawls})
