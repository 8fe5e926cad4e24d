"""environment.yml carries exactly the pins of pyproject.toml (runtime and dev)."""
import re
import tomllib

import yaml

from lab_helpers.config import REPO_ROOT


def _pins(specs):
    out = {}
    for spec in specs:
        m = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]+\])?==(\S+)$", spec)
        assert m, f"not an exact pin: {spec}"
        out[m.group(1).lower()] = m.group(3)
    return out


def test_environment_yml_has_the_same_pins_as_pyproject():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    wanted = _pins(project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    have = _pins([s for s in pip_section if "==" in s])
    assert have == wanted


def test_no_localstack_and_cpu_only_xgboost():
    text = (REPO_ROOT / "pyproject.toml").read_text()
    assert "localstack" not in text.lower()
    assert '"xgboost-cpu==' in text and '"xgboost==' not in text
    assert re.search(r'"sagemaker==2\.', text)
