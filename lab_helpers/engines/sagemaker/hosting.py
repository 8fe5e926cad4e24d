"""hosting: models, endpoint configurations and real-time endpoints that serve, and InvokeEndpoint.

moto stores models, endpoint configurations and endpoints (and marks an endpoint InService at once).
Here an endpoint is Creating until each production variant's model is fetched as the model's role
and loaded in a serving process, then InService (or Failed with SageMaker's reason). UpdateEndpoint
loads the new configuration before it swaps (a failed update rolls back and keeps serving);
DeleteEndpoint ends the processes. ``sagemaker-runtime`` InvokeEndpoint answers as the container does,
within SageMaker's limits (6 MB payload, 60 s), with ModelError for what the container refuses.
Model server output goes to ``/aws/sagemaker/Endpoints/<name>``, stream ``<variant>/i-<id>``.
"""
from __future__ import annotations

import os
import random
import threading
import time
import uuid
from dataclasses import dataclass, field

from ...endpoint.registry import EngineError, EngineResponse
from ..platform.jobs import Job
from . import images
from .api import check_role, moto_json
from .models import ModelSpec, ModelUnavailable, ServingProcess, fetch, spec_from_description
from .state import engine_state
from .streamlog import StreamLog

MAX_PAYLOAD = 6 * 1024 * 1024
HOSTING_WORKERS = 2


@dataclass
class Variant:
    name: str
    model_name: str
    weight: float
    instance_count: int
    image: str
    server: ServingProcess
    log: StreamLog


@dataclass
class Endpoint:
    name: str
    region: str
    config_name: str
    status: str = "Creating"
    failure_reason: str = ""
    created: float = field(default_factory=time.time)
    modified: float = field(default_factory=time.time)
    variants: list[Variant] = field(default_factory=list)
    job: Job | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def pick(self, target: str | None) -> Variant | None:
        live = self.variants
        if target:
            return next((v for v in live if v.name == target), None)
        total = sum(v.weight for v in live)
        if not live or total <= 0:
            return live[0] if live else None
        point, acc = random.uniform(0, total), 0.0
        for variant in live:
            acc += variant.weight
            if point <= acc:
                return variant
        return live[-1]

    def close(self) -> None:
        if self.job is not None:
            self.job.request_cancel()
        for variant in self.variants:
            variant.server.close()
            variant.log.flush()

    def view(self, moto_view: dict) -> dict:
        out = dict(moto_view)
        out.update({"EndpointStatus": self.status, "EndpointConfigName": self.config_name,
                    "LastModifiedTime": self.modified, "CreationTime": self.created})
        out.pop("FailureReason", None)
        if self.failure_reason:
            out["FailureReason"] = self.failure_reason
        if self.variants:
            out["ProductionVariants"] = [{
                "VariantName": v.name, "DeployedImages": [{"SpecifiedImage": v.image, "ResolvedImage": v.image,
                                                           "ResolutionTime": self.modified}],
                "CurrentWeight": v.weight, "DesiredWeight": v.weight,
                "CurrentInstanceCount": v.instance_count, "DesiredInstanceCount": v.instance_count}
                for v in self.variants]
        return out


def _arn(region: str, account: str, kind: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:{kind}/{name}"


# -- models and endpoint configurations: moto stores them; AWS's checks come first ----------------

def create_model(request, ctx):
    params = request.json()
    name = params.get("ModelName", "")
    if ctx.call_moto(request, "DescribeModel", {"ModelName": name}).ok:
        raise EngineError("ValidationException", "Cannot create already existing model "
                          f'"{_arn(request.region, request.account_id, "model", name)}".', 400)
    containers = ([params["PrimaryContainer"]] if params.get("PrimaryContainer") else []) + \
        list(params.get("Containers") or [])
    for container in containers:
        try:
            images.parse(container.get("Image", ""))
        except images.UnsupportedImage as exc:
            raise EngineError("ValidationException", str(exc), 400) from None
    check_role(ctx, params.get("ExecutionRoleArn", ""), request.region)
    return EngineResponse.json(moto_json(ctx, request))


def create_endpoint_config(request, ctx):
    name = request.json().get("EndpointConfigName", "")
    if ctx.call_moto(request, "DescribeEndpointConfig", {"EndpointConfigName": name}).ok:
        raise EngineError("ValidationException", "Cannot create already existing endpoint configuration "
                          f'"{_arn(request.region, request.account_id, "endpoint-config", name)}".', 400)
    return EngineResponse.json(moto_json(ctx, request))


# -- endpoints ------------------------------------------------------------------------------------

def _load_variants(ctx, request, endpoint: Endpoint, config: dict, job: Job) -> list[Variant]:
    """Every production variant of ``config`` loaded and serving; ModelUnavailable otherwise."""
    loaded: list[Variant] = []
    group = f"/aws/sagemaker/Endpoints/{endpoint.name}"
    try:
        for pv in config.get("ProductionVariants") or []:
            job.check_cancelled()
            if pv.get("ServerlessConfig") is None and not pv.get("InitialInstanceCount"):
                raise ModelUnavailable(f"Production variant {pv.get('VariantName')} has no InitialInstanceCount.")
            desc = moto_json(ctx, request, "DescribeModel", {"ModelName": pv.get("ModelName", "")})
            spec: ModelSpec = spec_from_description(desc)
            log = StreamLog(ctx.logs(endpoint.region), group, f"{pv['VariantName']}/i-{uuid.uuid4().hex[:17]}")
            model_dir = os.path.join(ctx.home, "sagemaker", "endpoints", endpoint.name,
                                     f"{pv['VariantName']}-{uuid.uuid4().hex[:8]}")
            fetch(ctx, spec, endpoint.region, model_dir)
            server = ServingProcess(spec, model_dir, log.line)
            remove = job.on_cancel(server.close)
            try:
                server.start()
            except ModelUnavailable:
                log.flush()
                raise ModelUnavailable(f"The primary container for production variant {pv['VariantName']} did not "
                                       "pass the ping health check. Please check CloudWatch logs for this endpoint.")
            finally:
                remove()
            log.flush()
            loaded.append(Variant(pv["VariantName"], spec.name, float(pv.get("InitialVariantWeight", 1.0)),
                                  int(pv.get("InitialInstanceCount") or 1), spec.image.uri, server, log))
    except BaseException:
        for variant in loaded:
            variant.server.close()
        raise
    return loaded


def _deploy(ctx, request, endpoint: Endpoint, config: dict, job: Job) -> None:
    updating = endpoint.status == "Updating"
    try:
        variants = _load_variants(ctx, request, endpoint, config, job)
    except (ModelUnavailable, EngineError) as exc:
        reason = exc.reason if isinstance(exc, ModelUnavailable) else exc.message
        with endpoint.lock:
            if updating:   # SageMaker rolls a failed update back: the old variants keep serving
                endpoint.status, endpoint.failure_reason = "InService", f"Failed to update endpoint: {reason}"
            else:
                endpoint.status, endpoint.failure_reason = "Failed", reason
            endpoint.modified = time.time()
        return
    if job.cancelled:
        for variant in variants:
            variant.server.close()
        return
    with endpoint.lock:
        old, endpoint.variants = endpoint.variants, variants
        endpoint.config_name = config.get("EndpointConfigName", endpoint.config_name)
        endpoint.status, endpoint.failure_reason, endpoint.modified = "InService", "", time.time()
    for variant in old:
        variant.server.close()


def _submit(ctx, request, endpoint: Endpoint, config: dict) -> None:
    endpoint.job = ctx.jobs("sagemaker-hosting", workers=HOSTING_WORKERS).submit(
        lambda job: _deploy(ctx, request, endpoint, config, job), kind="endpoint",
        job_id=f"endpoint:{endpoint.region}:{endpoint.name}:{uuid.uuid4().hex[:8]}")


def create_endpoint(request, ctx):
    params = request.json()
    name = params.get("EndpointName", "")
    if ctx.call_moto(request, "DescribeEndpoint", {"EndpointName": name}).ok:
        raise EngineError("ValidationException", "Cannot create already existing endpoint "
                          f'"{_arn(request.region, request.account_id, "endpoint", name)}".', 400)
    config = moto_json(ctx, request, "DescribeEndpointConfig", {"EndpointConfigName": params.get("EndpointConfigName", "")})
    created = moto_json(ctx, request)
    endpoint = Endpoint(name, request.region, config["EndpointConfigName"])
    state = engine_state(ctx)
    with state.lock:
        state.endpoints[(request.region, name)] = endpoint
    _submit(ctx, request, endpoint, config)
    return EngineResponse.json(created)


def _endpoint(request, ctx, name: str) -> Endpoint:
    endpoint = engine_state(ctx).endpoints.get((request.region, name))
    if endpoint is None:
        moto_json(ctx, request, "DescribeEndpoint", {"EndpointName": name})   # moto's not-found error
        raise EngineError("ValidationException", f'Could not find endpoint "{name}".', 400)
    return endpoint


def update_endpoint(request, ctx):
    params = request.json()
    endpoint = _endpoint(request, ctx, params.get("EndpointName", ""))
    config = moto_json(ctx, request, "DescribeEndpointConfig", {"EndpointConfigName": params.get("EndpointConfigName", "")})
    with endpoint.lock:
        if endpoint.status != "InService":
            raise EngineError("ValidationException", "Cannot update in-progress endpoint "
                              f'"{_arn(request.region, request.account_id, "endpoint", endpoint.name)}".', 400)
        endpoint.status, endpoint.modified = "Updating", time.time()
    _submit(ctx, request, endpoint, config)
    return EngineResponse.json({"EndpointArn": _arn(request.region, request.account_id, "endpoint", endpoint.name)})


def delete_endpoint(request, ctx):
    name = request.json().get("EndpointName", "")
    moto_json(ctx, request)
    state = engine_state(ctx)
    with state.lock:
        endpoint = state.endpoints.pop((request.region, name), None)
    if endpoint is not None:
        endpoint.close()
    return EngineResponse.json({})


def describe_endpoint(request, ctx):
    body = moto_json(ctx, request)
    endpoint = engine_state(ctx).endpoints.get((request.region, body.get("EndpointName", "")))
    return EngineResponse.json(endpoint.view(body) if endpoint else body)


def list_endpoints(request, ctx):
    params = request.json()
    body = moto_json(ctx, request, "ListEndpoints", {k: v for k, v in params.items() if k != "StatusEquals"})
    endpoints = engine_state(ctx).endpoints
    items = []
    for summary in body.get("Endpoints") or []:
        endpoint = endpoints.get((request.region, summary["EndpointName"]))
        if endpoint is not None:
            summary = {**summary, "EndpointStatus": endpoint.status, "LastModifiedTime": endpoint.modified}
        items.append(summary)
    if params.get("StatusEquals"):
        items = [i for i in items if i["EndpointStatus"] == params["StatusEquals"]]
    body["Endpoints"] = items
    return EngineResponse.json(body)


# -- sagemaker-runtime ---------------------------------------------------------------------------

def _model_error(request, name: str, status: int, message: str, stream: str) -> EngineResponse:
    region, account = request.region, request.account_id
    kind = "client" if 400 <= status < 500 else "server"
    text = (f'Received {kind} error ({status}) from primary with message "{message}". See '
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logEventViewer:"
            f"group=/aws/sagemaker/Endpoints/{name} in account {account} for more information.")
    return EngineResponse.json({
        "__type": "ModelError", "message": text, "Message": text, "OriginalStatusCode": status,
        "OriginalMessage": message,
        "LogStreamArn": f"arn:aws:logs:{region}:{account}:log-group:/aws/sagemaker/Endpoints/{name}:log-stream:{stream}",
    }, status=424)


def invoke_endpoint(request, ctx):
    name = request.path_params.get("EndpointName", "")
    endpoint = engine_state(ctx).endpoints.get((request.region, name))
    if endpoint is None or endpoint.status not in ("InService", "Updating"):
        raise EngineError("ValidationError", f"Endpoint {name} of account {request.account_id} not found.", 400)
    body = request.body or b""
    if len(body) > MAX_PAYLOAD:
        raise EngineError("ValidationError", f"Request payload of {len(body):,} bytes is larger than the "
                          f"{MAX_PAYLOAD:,}-byte (6 MB) limit of a real-time endpoint. Send fewer records per "
                          "request, or score large data with batch transform.", 400)
    target = request.headers.get("x-amzn-sagemaker-target-variant")
    with endpoint.lock:
        variant = endpoint.pick(target)
    if variant is None:
        raise EngineError("ValidationError", f"Endpoint {name} has no production variant "
                          f"{target!r}.", 400)
    status, content_type, answer = variant.server.invoke(body, request.headers.get("content-type"),
                                                         request.headers.get("accept"))
    variant.log.flush()
    if status not in (200, 204):
        return _model_error(request, name, status, answer.decode("utf-8", "replace"), variant.log.stream)
    return EngineResponse(200, answer, {"Content-Type": content_type, "x-Amzn-Invoked-Production-Variant": variant.name})
