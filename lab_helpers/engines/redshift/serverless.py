"""redshift-serverless: namespaces and workgroups (moto has no such service).

Create/Get/List/Update/Delete for both, with AWS's status transitions (a workgroup is CREATING for a
moment, then AVAILABLE; MODIFYING after an update; DELETING while it goes), an endpoint address and
port (the kit's PostgreSQL wire port for that workgroup, on loopback), the admin user and password or
a Secrets Manager secret (``manageAdminPassword``), IAM roles and the default role, and
GetCredentials (temporary database credentials the wire port accepts).
"""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import time
import uuid

from ...endpoint.registry import EngineError, EngineResponse
from .state import CREATING_S, MODIFYING_S, new_password, state

_NAME = re.compile(r"^[a-z0-9-]{3,64}$")
DEFAULT_CONFIG = [{"parameterKey": k, "parameterValue": v} for k, v in (
    ("auto_mv", "true"), ("datestyle", "ISO, MDY"), ("enable_case_sensitive_identifier", "false"),
    ("enable_user_activity_logging", "true"), ("query_group", "default"), ("search_path", "$user, public"),
    ("max_query_execution_time", "14400"), ("require_ssl", "false"), ("use_fips_ssl", "false"))]


def _now() -> float:
    return time.time()


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat()


def _check_name(kind: str, name: str) -> None:
    if not _NAME.match(name or ""):
        raise EngineError("ValidationException", f"{kind} name must be 3-64 characters: lowercase letters, numbers "
                                                 f"and hyphens (got {name!r}).")


# --- namespaces ----------------------------------------------------------------------------------

def _namespace_view(ns: dict) -> dict:
    return {k: v for k, v in ns.items() if not k.startswith("_") and k != "region"}


def _need_namespace(st, name: str) -> dict:
    ns = st.control.namespaces.get(name)
    if ns is None:
        raise EngineError("ResourceNotFoundException", f"Namespace {name} not found.", 404)
    return ns


def create_namespace(request, ctx):
    p = request.json()
    st = state(ctx)
    name = p.get("namespaceName", "")
    _check_name("Namespace", name)
    with st.control.lock:
        if name in st.control.namespaces:
            raise EngineError("ConflictException", f"Namespace {name} already exists.", 409)
        if p.get("manageAdminPassword") and p.get("adminUserPassword"):
            raise EngineError("ValidationException", "You can't use adminUserPassword if manageAdminPassword is true.")
        ns_id = str(uuid.uuid4())
        admin = p.get("adminUsername") or "admin"
        ns = {"namespaceName": name, "namespaceId": ns_id,
              "namespaceArn": f"arn:aws:redshift-serverless:{request.region}:{ctx.account_id}:namespace/{ns_id}",
              "adminUsername": admin, "dbName": (p.get("dbName") or "dev").lower(),
              "defaultIamRoleArn": p.get("defaultIamRoleArn"), "iamRoles": list(p.get("iamRoles") or []),
              "kmsKeyId": p.get("kmsKeyId") or "AWS_OWNED_KMS_KEY", "logExports": list(p.get("logExports") or []),
              "status": "AVAILABLE", "creationDate": _iso(_now()), "region": request.region,
              "_tags": _tag_dict(p.get("tags"))}
        if ns["defaultIamRoleArn"] and ns["defaultIamRoleArn"] not in ns["iamRoles"]:
            ns["iamRoles"].append(ns["defaultIamRoleArn"])
        password = p.get("adminUserPassword")
        if p.get("manageAdminPassword"):
            password = new_password()
            ns["adminPasswordSecretArn"] = _admin_secret(ctx, request.region, name, admin, password, None)
            ns["adminPasswordSecretKmsKeyId"] = p.get("adminPasswordSecretKmsKeyId") or "AWS_OWNED_KMS_KEY"
        st.control.namespaces[name] = ns
        st.control.secrets[name] = password or new_password()
        st.control.save()
    return EngineResponse.json({"namespace": _namespace_view(ns)})


def _admin_secret(ctx, region: str, namespace: str, user: str, password: str, existing: str | None) -> str:
    sm = ctx.client("secretsmanager", region)
    secret = json.dumps({"username": user, "password": password, "engine": "redshift", "dbname": "dev"})
    if existing:
        sm.put_secret_value(SecretId=existing, SecretString=secret)
        return existing
    name = f"redshift!{namespace}-{user}"
    try:
        return sm.create_secret(Name=name, SecretString=secret,
                                Tags=[{"Key": "aws:redshift-serverless:namespace", "Value": namespace}])["ARN"]
    except sm.exceptions.ResourceExistsException:
        sm.put_secret_value(SecretId=name, SecretString=secret)
        return sm.describe_secret(SecretId=name)["ARN"]


def get_namespace(request, ctx):
    st = state(ctx)
    return EngineResponse.json({"namespace": _namespace_view(_need_namespace(st, request.json()["namespaceName"]))})


def list_namespaces(request, ctx):
    p = request.json()
    items = [_namespace_view(ns) for ns in state(ctx).control.namespaces.values()
             if ns.get("region", request.region) == request.region]
    page, token = _page(items, p)
    return EngineResponse.json({"namespaces": page, **({"nextToken": token} if token else {})})


def update_namespace(request, ctx):
    p = request.json()
    st = state(ctx)
    with st.control.lock:
        ns = _need_namespace(st, p["namespaceName"])
        if "iamRoles" in p:
            ns["iamRoles"] = list(p["iamRoles"] or [])
        if "defaultIamRoleArn" in p:
            ns["defaultIamRoleArn"] = p["defaultIamRoleArn"]
            if p["defaultIamRoleArn"] and p["defaultIamRoleArn"] not in ns["iamRoles"]:
                # AWS refuses a default role that is not associated; association in the same call is fine.
                raise EngineError("ValidationException", f"The default IAM role {p['defaultIamRoleArn']} must be one "
                                                         "of the namespace's iamRoles.")
        for key in ("kmsKeyId", "logExports"):
            if key in p:
                ns[key] = p[key]
        if "adminUsername" in p and not ("adminUserPassword" in p or p.get("manageAdminPassword")):
            raise EngineError("ValidationException", "adminUsername and adminUserPassword must be updated together.")
        if "adminUsername" in p:
            ns["adminUsername"] = p["adminUsername"]
        if p.get("adminUserPassword"):
            st.control.secrets[ns["namespaceName"]] = p["adminUserPassword"]
        if p.get("manageAdminPassword"):
            password = new_password()
            st.control.secrets[ns["namespaceName"]] = password
            ns["adminPasswordSecretArn"] = _admin_secret(ctx, request.region, ns["namespaceName"], ns["adminUsername"],
                                                         password, ns.get("adminPasswordSecretArn"))
        st.control.save()
    return EngineResponse.json({"namespace": _namespace_view(ns)})


def delete_namespace(request, ctx):
    p = request.json()
    st = state(ctx)
    with st.control.lock:
        ns = _need_namespace(st, p["namespaceName"])
        using = [w for w, wg in st.control.workgroups.items() if wg["namespaceName"] == ns["namespaceName"]]
        if using:
            raise EngineError("ConflictException", f"There are workgroups associated with namespace "
                                                   f"{ns['namespaceName']}: delete {', '.join(using)} first.", 409)
        del st.control.namespaces[ns["namespaceName"]]
        st.control.secrets.pop(ns["namespaceName"], None)
        st.control.save()
    out = dict(_namespace_view(ns), status="DELETING")
    return EngineResponse.json({"namespace": out})


# --- workgroups ----------------------------------------------------------------------------------

def _status(wg: dict) -> str:
    now = _now()
    if wg.get("_deleting"):
        return "DELETING"
    if now < wg.get("_available_at", 0):
        return "CREATING" if wg.get("_phase") == "create" else "MODIFYING"
    return "AVAILABLE"


def _workgroup_view(ctx, wg: dict) -> dict:
    out = {k: v for k, v in wg.items() if not k.startswith("_") and k != "region"}
    out["status"] = _status(wg)
    port = wire_port(ctx, wg) if out["status"] != "CREATING" else wg["port"]
    out["port"] = port
    out["endpoint"] = {"address": "127.0.0.1", "port": port, "vpcEndpoints": []}
    return out


def wire_port(ctx, wg: dict) -> int:
    """The workgroup's PostgreSQL port (the listener starts with the workgroup)."""
    try:
        from .pgwire import ensure_server
    except ImportError:   # the wire port is optional: the Data API works without it
        return wg.get("port") or 5439
    server = ensure_server(ctx, f"workgroup-{wg['workgroupName']}", wg["workgroupName"], wg.get("port") or 5439)
    return server.port if server is not None else wg.get("port") or 5439


def _need_workgroup(st, name: str) -> dict:
    wg = st.control.workgroups.get(name)
    if wg is None:
        raise EngineError("ResourceNotFoundException", f"Workgroup {name} not found.", 404)
    return wg


def create_workgroup(request, ctx):
    p = request.json()
    st = state(ctx)
    name = p.get("workgroupName", "")
    _check_name("Workgroup", name)
    with st.control.lock:
        if name in st.control.workgroups:
            raise EngineError("ConflictException", f"Workgroup {name} already exists.", 409)
        ns = st.control.namespaces.get(p.get("namespaceName", ""))
        if ns is None:
            raise EngineError("ResourceNotFoundException", f"Namespace {p.get('namespaceName')} not found.", 404)
        if any(w["namespaceName"] == ns["namespaceName"] for w in st.control.workgroups.values()):
            raise EngineError("ConflictException", f"Namespace {ns['namespaceName']} already has a workgroup: a "
                                                   "namespace serves one workgroup.", 409)
        base = p.get("baseCapacity") or 128
        if base < 4 or base > 1024 or base % 8 and base != 4:
            raise EngineError("ValidationException", "baseCapacity must be 4 to 1024 RPUs, in units of 8 (or 4).")
        port = p.get("port") or 5439
        wg_id = str(uuid.uuid4())
        wg = {"workgroupName": name, "workgroupId": wg_id,
              "workgroupArn": f"arn:aws:redshift-serverless:{request.region}:{ctx.account_id}:workgroup/{wg_id}",
              "namespaceName": ns["namespaceName"], "baseCapacity": base, "enhancedVpcRouting":
                  bool(p.get("enhancedVpcRouting", False)), "publiclyAccessible": bool(p.get("publiclyAccessible", False)),
              "configParameters": _merge_config(DEFAULT_CONFIG, p.get("configParameters")),
              "securityGroupIds": list(p.get("securityGroupIds") or ["sg-local"]),
              "subnetIds": list(p.get("subnetIds") or ["subnet-local-a", "subnet-local-b", "subnet-local-c"]),
              "port": port, "creationDate": _iso(_now()), "workgroupVersion": "1.0.0", "patchVersion": "1.0.0",
              "trackName": p.get("trackName") or "current", "region": request.region,
              "_available_at": _now() + CREATING_S, "_phase": "create", "_tags": _tag_dict(p.get("tags"))}
        if p.get("maxCapacity"):
            wg["maxCapacity"] = p["maxCapacity"]
        st.control.workgroups[name] = wg
        st.control.save()
    return EngineResponse.json({"workgroup": _workgroup_view(ctx, wg)})


def _merge_config(defaults: list[dict], given: list[dict] | None) -> list[dict]:
    values = {d["parameterKey"]: d["parameterValue"] for d in defaults}
    for item in given or []:
        values[item["parameterKey"]] = item["parameterValue"]
    return [{"parameterKey": k, "parameterValue": v} for k, v in values.items()]


def get_workgroup(request, ctx):
    st = state(ctx)
    name = request.json()["workgroupName"]
    wg = _need_workgroup(st, name)
    if wg.get("_deleting") and _now() >= wg["_gone_at"]:
        _forget_workgroup(ctx, st, name)
        raise EngineError("ResourceNotFoundException", f"Workgroup {name} not found.", 404)
    return EngineResponse.json({"workgroup": _workgroup_view(ctx, wg)})


def list_workgroups(request, ctx):
    p = request.json()
    st = state(ctx)
    for name, wg in list(st.control.workgroups.items()):
        if wg.get("_deleting") and _now() >= wg["_gone_at"]:
            _forget_workgroup(ctx, st, name)
    items = [_workgroup_view(ctx, wg) for wg in st.control.workgroups.values()
             if wg.get("region", request.region) == request.region]
    page, token = _page(items, p)
    return EngineResponse.json({"workgroups": page, **({"nextToken": token} if token else {})})


def update_workgroup(request, ctx):
    p = request.json()
    st = state(ctx)
    with st.control.lock:
        wg = _need_workgroup(st, p["workgroupName"])
        if _status(wg) != "AVAILABLE":
            raise EngineError("ConflictException", f"Workgroup {wg['workgroupName']} is {_status(wg)}; wait until it is "
                                                   "AVAILABLE.", 409)
        for key in ("baseCapacity", "maxCapacity", "enhancedVpcRouting", "publiclyAccessible", "securityGroupIds",
                    "subnetIds", "port", "trackName"):
            if key in p:
                wg[key] = p[key]
        if "configParameters" in p:
            wg["configParameters"] = _merge_config(wg["configParameters"], p["configParameters"])
        wg["_available_at"], wg["_phase"] = _now() + MODIFYING_S, "modify"
        st.control.save()
    if "port" in p:
        st.drop_target(f"workgroup-{wg['workgroupName']}")   # the wire port moves
    return EngineResponse.json({"workgroup": _workgroup_view(ctx, wg)})


def delete_workgroup(request, ctx):
    st = state(ctx)
    name = request.json()["workgroupName"]
    with st.control.lock:
        wg = _need_workgroup(st, name)
        if wg.get("_deleting"):
            raise EngineError("ConflictException", f"Workgroup {name} is already being deleted.", 409)
        view = _workgroup_view(ctx, wg)
        wg["_deleting"], wg["_gone_at"] = True, _now() + CREATING_S
        st.control.save()
    st.drop_target(f"workgroup-{name}")
    view["status"] = "DELETING"
    return EngineResponse.json({"workgroup": view})


def _forget_workgroup(ctx, st, name: str) -> None:
    with st.control.lock:
        wg = st.control.workgroups.pop(name, None)
        st.control.save()
    if wg is not None:
        # The data belongs to the namespace on AWS; here it lives with the workgroup's files.
        shutil.rmtree(st.root / f"workgroup-{name}", ignore_errors=True)
        st.control.databases.pop(f"workgroup-{name}", None)
        st.control.save()


def get_credentials(request, ctx):
    p = request.json()
    st = state(ctx)
    name = p.get("workgroupName")
    if not name:
        raise EngineError("ValidationException", "workgroupName is required (custom domain names are not emulated).")
    wg = _need_workgroup(st, name)
    duration = int(p.get("durationSeconds") or 900)
    if duration < 900 or duration > 3600:
        raise EngineError("ValidationException", "durationSeconds must be between 900 and 3600.")
    user = "IAM:" + _caller_name(request)
    password = new_password(40)
    expires = _now() + duration
    st.temp_credentials[user] = (password, expires)
    del wg
    return EngineResponse.json({"dbUser": user, "dbPassword": password, "expiration": expires,
                                "nextRefreshTime": expires - 60})


def _caller_name(request) -> str:
    from ...endpoint.moto import sts as moto_sts

    principal = moto_sts.principal_for_access_key(request.access_key)
    arn = getattr(principal, "arn", "") or "admin"
    return arn.rsplit("/", 1)[-1].split(":")[-1] or "admin"


def _page(items: list, p: dict) -> tuple[list, str | None]:
    start = int(p.get("nextToken") or 0)
    size = int(p.get("maxResults") or 100)
    page = items[start:start + size]
    return page, str(start + size) if start + size < len(items) else None


# --- tags (TagResource, UntagResource, ListTagsForResource) --------------------------------------

MAX_TAGS = 200


def _tag_dict(tags) -> dict[str, str]:
    return {t["key"]: t["value"] for t in tags or []}


def _tagged(st, arn: str) -> dict:
    for record in (*st.control.namespaces.values(), *st.control.workgroups.values()):
        if arn in (record.get("namespaceArn"), record.get("workgroupArn")):
            return record
    raise EngineError("ResourceNotFoundException", f"Resource {arn} not found.", 404)


def tag_resource(request, ctx):
    p = request.json()
    st = state(ctx)
    with st.control.lock:
        record = _tagged(st, p.get("resourceArn", ""))
        tags = {**record.get("_tags", {}), **_tag_dict(p.get("tags"))}
        if len(tags) > MAX_TAGS:
            raise EngineError("TooManyTagsException", f"A resource can have at most {MAX_TAGS} tags.", 400)
        record["_tags"] = tags
        st.control.save()
    return EngineResponse.json({})


def untag_resource(request, ctx):
    p = request.json()
    st = state(ctx)
    with st.control.lock:
        record = _tagged(st, p.get("resourceArn", ""))
        record["_tags"] = {k: v for k, v in record.get("_tags", {}).items() if k not in set(p.get("tagKeys") or [])}
        st.control.save()
    return EngineResponse.json({})


def list_tags_for_resource(request, ctx):
    record = _tagged(state(ctx), request.json().get("resourceArn", ""))
    return EngineResponse.json({"tags": [{"key": k, "value": v} for k, v in record.get("_tags", {}).items()]})
