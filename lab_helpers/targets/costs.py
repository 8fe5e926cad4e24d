"""costs: what each lab creates on a real account and what it costs, from costs.yml (never fetched)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

COSTS_FILE = Path(__file__).with_name("costs.yml")


@dataclass(frozen=True)
class Line:
    item: str
    quantity: float
    unit: str
    price: float
    why: str
    source: str

    @property
    def cost(self) -> float:
        return self.quantity * self.price


@dataclass(frozen=True)
class LabCost:
    lab: str
    creates: tuple[str, ...]
    lines: tuple[Line, ...]
    ongoing: tuple[str, ...]
    recorded: str
    region: str

    @property
    def total(self) -> float:
        return sum(line.cost for line in self.lines)


class UnknownCosts(KeyError):
    def __str__(self) -> str:
        return f"no cost estimate for {self.args[0]!r}; costs.yml has: {', '.join(sorted(_data()['labs']))}"


@functools.lru_cache(maxsize=1)
def _data() -> dict:
    return yaml.safe_load(COSTS_FILE.read_text())


def prices() -> dict:
    return _data()["prices"]


def labs() -> list[str]:
    return list(_data()["labs"])


def for_lab(lab_id: str) -> LabCost:
    data = _data()
    if lab_id not in data["labs"]:
        raise UnknownCosts(lab_id)
    entry, items = data["labs"][lab_id], data["prices"]["items"]
    lines = tuple(Line(u["item"], float(u["quantity"]), items[u["item"]]["unit"], float(items[u["item"]]["price"]),
                       u["why"], items[u["item"]]["source"]) for u in entry.get("usage") or [])
    return LabCost(lab_id, tuple(entry.get("creates") or []), lines, tuple(entry.get("ongoing") or []),
                   str(data["prices"]["recorded"]), data["prices"]["region"])


def money(value: float) -> str:
    """A total: cents, or 'under $0.01'."""
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else "under $0.01"


def about(value: float) -> str:
    text = money(value)
    return text if text.startswith("under") else f"about {text}"


def unit_price(value: float) -> str:
    """A unit price as AWS lists it ($0.0000166667, $0.375, $5)."""
    return "$" + f"{value:.10f}".rstrip("0").rstrip(".")


def describe(line: Line) -> str:
    return f"{line.quantity:g} {line.unit} x {unit_price(line.price)} = {money(line.cost)}  ({line.why})"


def banner(lab_id: str) -> list[str]:
    """The lines a notebook's first cell prints on target aws, before the lab creates anything."""
    try:
        c = for_lab(lab_id)
    except UnknownCosts:
        return [f"  cost       no estimate for {lab_id}; check what it creates before running it"]
    out = [f"  cost       {about(c.total)} for this lab on AWS (list prices {c.region}, recorded {c.recorded})"]
    out += [f"    creates  {what}" for what in c.creates]
    out += [f"    {describe(line)}" for line in c.lines]
    out += [f"    keeps billing while it exists: {what}" for what in c.ongoing]
    out.append("    when done: `labkit teardown` lists what this workspace owns; `labkit teardown --yes` deletes it")
    return out
