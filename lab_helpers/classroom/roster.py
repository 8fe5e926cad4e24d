"""roster: the class directory, its roster of learners and each learner's connection settings."""
from __future__ import annotations

import json
import os
import re
import shlex
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class ClassError(ValueError):
    """A class cannot be created or read as asked; the message says what to do."""


@dataclass
class Learner:
    name: str                 # learner-01 ...
    account: str              # their own account id
    access_key: str
    secret_key: str
    guid: str                 # their workspace (the stack's resource names)
    home: str                 # their LABKIT_HOME (workspace.json, progress, manifest)
    scope: str = ""           # in a class sharing one account: the scope in every name (l07)
    user: str = ""            # in a class sharing one account: their IAM user there

    def env(self, klass: "ClassInfo") -> dict[str, str]:
        """What a learner's shell (and so their JupyterLab kernels) needs to work in the class."""
        common = {"LABKIT_REGION": klass.region, "LABKIT_HOME": self.home, "LABKIT_LEARNER": self.name,
                  "LABKIT_CLASS_STORE": klass.store}
        if self.scope:
            common["LABKIT_SCOPE"] = self.scope
        if klass.target == "aws":   # the learner's IAM user in the class account: boto3's own variables
            return {**common, "LABKIT_TARGET": "aws", "AWS_ACCESS_KEY_ID": self.access_key,
                    "AWS_SECRET_ACCESS_KEY": self.secret_key, "AWS_DEFAULT_REGION": klass.region}
        return {
            **common, "LABKIT_TARGET": "local", "LABKIT_PORT": str(klass.port), "LABKIT_SHARED_ENDPOINT": "1",
            "LABKIT_ACCESS_KEY_ID": self.access_key, "LABKIT_SECRET_ACCESS_KEY": self.secret_key,
        }


@dataclass
class ClassInfo:
    name: str
    target: str
    port: int
    region: str
    endpoint_url: str
    dir: str
    store: str
    created: float = field(default_factory=time.time)
    learners: list[Learner] = field(default_factory=list)
    shared_account: bool = False    # all learners in the instructor's account, fenced by scope and policy

    def as_dict(self, secrets: bool = True) -> dict:
        out = asdict(self)
        if not secrets:
            for learner in out["learners"]:
                learner["secret_key"] = "***"
        return out


def check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise ClassError(f"class name {name!r} must be 1-40 lower-case letters, digits or dashes, e.g. dataeng-0312")
    return name


def class_dir(home: Path, name: str) -> Path:
    return Path(home) / "classes" / check_name(name)


def learner_name(i: int, width: int = 2) -> str:
    return f"learner-{i:0{width}d}"


def _write(path: Path, text: str, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def save(klass: ClassInfo) -> Path:
    """roster.json (with the learners' keys: readable by the instructor only) and one env file per learner."""
    root = Path(klass.dir)
    _write(root / "roster.json", json.dumps(klass.as_dict(), indent=2, sort_keys=True))
    for learner in klass.learners:
        _write(root / "learners" / f"{learner.name}.env", env_file(klass, learner))
    return root / "roster.json"


def env_file(klass: ClassInfo, learner: Learner) -> str:
    lines = [f"# labkit class {klass.name}: {learner.name} (account {learner.account}, workspace {learner.guid}"
             + (f", scope {learner.scope}, IAM user {learner.user}" if learner.scope else "") + ")",
             "# In a shell:  set -a; . ./" + f"{learner.name}.env; set +a   then: labkit status / jupyter lab"]
    if klass.target == "aws":
        lines.append("# Unset AWS_PROFILE in that shell: a profile would win over these keys.")
    lines += [f"{k}={shlex.quote(v)}" for k, v in sorted(learner.env(klass).items())]
    return "\n".join(lines) + "\n"


def load(home: Path, name: str) -> ClassInfo:
    path = class_dir(home, name) / "roster.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ClassError(f"no class {name!r} in {Path(home) / 'classes'}; create it with "
                         f"`labkit class create {name} --learners N`") from None
    learners = [Learner(**entry) for entry in data.pop("learners", [])]
    return ClassInfo(**data, learners=learners)


def names(home: Path) -> list[str]:
    root = Path(home) / "classes"
    return sorted(p.name for p in root.iterdir() if (p / "roster.json").exists()) if root.exists() else []
