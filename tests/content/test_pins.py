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


def test_ministack_has_exact_pins_of_its_own():
    """MiniStack (tests/targets/test_ministack.py) installs into its own venv from
    .ci/ministack-requirements.txt (`make ministack`): its botocore pin is not the kit's."""
    lines = (REPO_ROOT / ".ci" / "ministack-requirements.txt").read_text().splitlines()
    pins = _pins([s.strip() for s in lines if s.strip() and not s.lstrip().startswith("#")])
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    kit = _pins(project["dependencies"] + project["optional-dependencies"]["dev"])
    assert pins["ministack"] == "1.5.33" and "ministack" not in kit
    assert pins["botocore"] != kit["botocore"]   # why it has a venv of its own; drop the venv when they agree
