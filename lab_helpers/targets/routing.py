"""routing: which endpoint serves each AWS service on the localstack target — LocalStack, or the kit's own.

botocore sends every client to ``AWS_ENDPOINT_URL`` (LocalStack) unless a service-specific
``AWS_ENDPOINT_URL_<SERVICE_ID>`` names another endpoint (botocore ≥ 1.31, AWS CLI ≥ 1.29 / 2.13).
The kit sets one of those for each service it must serve itself:

- the services whose *execution* is the kit's (Athena SQL, Glue crawlers, DataBrew jobs, Redshift
  SQL and Serverless, SageMaker training and endpoints): LocalStack's free edition never executed
  them, and since March 2026 every LocalStack image needs an auth token;
- the services those engines read and write (S3, KMS, IAM, STS, Lambda, CloudWatch Logs, Secrets
  Manager, Redshift): a crawler on the kit's endpoint can only crawl the kit's S3 as a role of the
  kit's IAM, with keys of the kit's KMS — splitting them across two emulators would split the lake;
- any other service the labs or the kit use that this LocalStack does not report as available in
  ``/_localstack/health``.

Everything else (SQS, SNS, DynamoDB, Kinesis, ... when LocalStack serves them) stays on LocalStack.
MiniStack (a LocalStack-compatible emulator from PyPI, no Docker) answers the same health route, naming
a few services by endpoint prefix (HEALTH_ALIASES); tests/targets/test_ministack.py runs the labs on it.
So with today's labs, the data-lake flow runs on the kit's endpoint and LocalStack serves the rest.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

# What the kit's engines execute (engines/), as boto3 names the clients.
ENGINE_SERVICES = ("athena", "glue", "databrew", "redshift-data", "redshift-serverless", "sagemaker",
                   "sagemaker-runtime")
# What those engines read and write: it must live on the same endpoint as the engines.
ENGINE_STATE = ("s3", "kms", "iam", "sts", "lambda", "logs", "secretsmanager", "redshift")
# Other services the labs, the stack or the CLI use (routed to the kit when LocalStack lacks them).
OTHER_KNOWN = ("budgets", "organizations", "cloudwatch", "events", "sns", "sqs", "dynamodb", "kinesis", "firehose",
               "stepfunctions", "cloudformation", "resourcegroupstaggingapi")
SERVED_STATES = ("available", "running")
# LocalStack's health names services as boto3 names clients; MiniStack's names some by their endpoint
# prefix instead (botocore's ``endpointPrefix``): the names either may report for a known service.
HEALTH_ALIASES = {"cloudwatch": ("monitoring",), "stepfunctions": ("states",), "resourcegroupstaggingapi": ("tagging",)}


@functools.lru_cache(maxsize=None)
def env_var(service: str) -> str:
    """The AWS_ENDPOINT_URL_<SERVICE_ID> variable botocore reads for a boto3 client name (e.g. logs ->
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS), computed the way botocore does."""
    from botocore.configprovider import ConfiguredEndpointProvider

    provider = ConfiguredEndpointProvider(full_config={}, scoped_config={}, client_name=service, environ={})
    return provider._get_service_env_var_name()


def served_by(health: dict | None) -> set[str]:
    """The services a LocalStack reports as available or running (its /_localstack/health), by boto3
    client name (an alias such as MiniStack's "monitoring" counts for "cloudwatch")."""
    services = (health or {}).get("services") or {}
    served = {name for name, state in services.items() if str(state).lower() in SERVED_STATES}
    return served | {service for service, aliases in HEALTH_ALIASES.items() if served & set(aliases)}


@dataclass
class Routing:
    kit_url: str
    localstack_url: str
    kit: dict[str, str] = field(default_factory=dict)          # service -> why it goes to the kit
    localstack: list[str] = field(default_factory=list)        # known services LocalStack keeps

    def endpoint_for(self, service: str) -> str:
        return self.kit_url if service in self.kit else self.localstack_url

    def env(self) -> dict[str, str]:
        out = {"AWS_ENDPOINT_URL": self.localstack_url}
        out.update({env_var(service): self.kit_url for service in sorted(self.kit)})
        return out

    def as_dict(self) -> dict:
        return {"kit_url": self.kit_url, "localstack_url": self.localstack_url, "kit": dict(sorted(self.kit.items())),
                "localstack": sorted(self.localstack)}


def plan(health: dict | None, kit_url: str, localstack_url: str) -> Routing:
    """Route each known service; ``health`` is LocalStack's /_localstack/health answer (None: unknown)."""
    served = served_by(health)
    routing = Routing(kit_url, localstack_url)
    for service in ENGINE_SERVICES:
        routing.kit[service] = "executed by the kit's engines"
    for service in ENGINE_STATE:
        routing.kit[service] = "state the kit's engines read and write"
    for service in OTHER_KNOWN:
        if service in served:
            routing.localstack.append(service)
        else:
            routing.kit[service] = "not available on this LocalStack"
    return routing
