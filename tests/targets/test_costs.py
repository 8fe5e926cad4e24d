"""costs.yml: prices with a date and a source, an estimate for every lab, nothing fetched at run time."""
import ast
import datetime
from pathlib import Path

from lab_helpers.grading import labs
from lab_helpers.targets import costs


def test_prices_carry_a_recorded_date_a_region_and_a_source_page_each():
    p = costs.prices()
    assert datetime.date.fromisoformat(p["recorded"]) <= datetime.date.today()
    assert p["region"] == "us-east-1" and p["currency"] == "USD"
    for name, item in p["items"].items():
        assert item["price"] > 0 and item["unit"] and item["billing"], name
        assert item["source"].startswith("https://aws.amazon.com/") and item["source"].endswith("/pricing/"), name


def test_the_billable_services_the_issue_names_are_priced():
    units = {item["unit"] for item in costs.prices()["items"].values()}
    assert {"RPU-hour", "instance-hour", "TB scanned"} <= units


def test_every_lab_has_an_estimate_and_every_line_names_a_priced_item():
    assert {lab.id for lab in labs.LABS} <= set(costs.labs())
    assert {"05_databrew", "07_sagemaker"} <= set(costs.labs())   # labs in the design, priced up front
    for lab_id in costs.labs():
        c = costs.for_lab(lab_id)
        assert c.creates, lab_id
        assert all(line.quantity > 0 and line.why for line in c.lines), lab_id


def test_estimates_follow_the_prices():
    rs = costs.for_lab("06_redshift")
    rpu = next(line for line in rs.lines if line.item == "redshift_serverless_rpu_hour")
    assert rpu.price == 0.375 and rpu.cost == rpu.quantity * 0.375
    assert rs.total == sum(line.cost for line in rs.lines)
    sm = costs.for_lab("07_sagemaker")
    assert any("every hour it exists" in what for what in sm.ongoing)


def test_banner_names_cost_what_keeps_billing_and_how_to_tear_down():
    text = "\n".join(costs.banner("07_sagemaker"))
    assert "recorded 2026-12-06" in text and "us-east-1" in text
    assert "ml.m5.large" in text and "keeps billing" in text and "labkit teardown --yes" in text
    assert "no estimate" in costs.banner("99_nope")[0]


def test_money_and_unit_prices_read_as_aws_lists_them():
    assert costs.money(1.5) == "$1.50" and costs.money(0.004) == "under $0.01" and costs.money(0) == "$0.00"
    assert costs.about(0.004) == "under $0.01" and costs.about(3) == "about $3.00"
    assert costs.unit_price(0.0000166667) == "$0.0000166667" and costs.unit_price(5.0) == "$5"


def test_costs_module_never_fetches_prices():
    tree = ast.parse(Path(costs.__file__).read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not imported & {"urllib", "http", "requests", "boto3", "botocore", "socket"}
