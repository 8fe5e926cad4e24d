"""state: what the SageMaker engine knows beyond moto's stored definitions (runs, endpoints), per endpoint."""
from __future__ import annotations

import threading


class EngineState:
    """Training runs, transform runs and live endpoints by (region, name); dropped on reset.

    The runs themselves are jobs on the context's job tables (reset cancels and waits for them);
    ``shutdown`` ends every serving process of the endpoints."""

    def __init__(self, home: str):
        self.home = home
        self.lock = threading.Lock()
        self.training: dict[tuple[str, str], object] = {}
        self.transforms: dict[tuple[str, str], object] = {}
        self.endpoints: dict[tuple[str, str], object] = {}

    def shutdown(self) -> None:
        with self.lock:
            endpoints, self.endpoints = list(self.endpoints.values()), {}
        for endpoint in endpoints:
            endpoint.close()


def engine_state(ctx) -> EngineState:
    return ctx.state("sagemaker", lambda: EngineState(str(ctx.home / "sagemaker")))
