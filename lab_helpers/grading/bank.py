"""Question banks: load quizzes/*.yml, validate them against the schema in quizzes/README.md."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..config import REPO_ROOT

QUIZ_DIR = REPO_ROOT / "quizzes"
TYPES = ("single", "multiple", "ordering", "matching")
EXAMS = {
    "DEA-C01": {1: ("Data Ingestion and Transformation", 0.34), 2: ("Data Store Management", 0.26),
                3: ("Data Operations and Support", 0.22), 4: ("Data Security and Governance", 0.18)},
    "MLA-C01": {1: ("Data Preparation for ML", 0.28), 2: ("ML Model Development", 0.26),
                3: ("Deployment and Orchestration of ML Workflows", 0.22),
                4: ("ML Solution Monitoring, Maintenance, and Security", 0.24)},
}
TOPICS = (
    "s3-storage-classes s3-lifecycle glacier fsx-lustre efs ebs lake-formation glue-data-catalog glue-crawlers "
    "glue-classifiers glue-etl glue-job-bookmarks glue-findmatches entity-resolution databrew dms kinesis-data-streams data-firehose "
    "managed-flink kinesis-video-streams api-gateway data-exchange appflow open-data emr-spark athena redshift "
    "redshift-spectrum rds-aurora dynamodb opensearch elasticache quicksight data-pipeline aws-batch step-functions "
    "sagemaker rekognition comprehend ec2-ml kms-sse iam-bucket-policies vpc-endpoints lambda data-lake-zones "
    "partitions file-formats cloudwatch iceberg"
).split()
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,80}$")


class BankError(ValueError):
    """A bank file breaks the schema; the message names the file, the question and the problem."""


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    prompt: str
    choices: dict[str, str]
    answer: object
    explanation: dict
    exam: str
    domain: int
    topics: tuple[str, ...]
    source: str
    references: tuple[str, ...]
    bank: str
    pairs: dict[str, str] = field(default_factory=dict)

    @property
    def domain_name(self) -> str:
        return EXAMS[self.exam][self.domain][0]

    def choose_count(self) -> int:
        return len(self.answer) if self.type == "multiple" else 1


def validate_question(raw: dict, bank: str, where: str = "") -> Question:
    qid = raw.get("id", "?")
    loc = f"{where}: question {qid!r}"

    def fail(msg):
        raise BankError(f"{loc}: {msg}")

    for key in ("id", "type", "prompt", "choices", "answer", "explanation", "exam", "domain", "topics", "source",
                "references"):
        if key not in raw:
            fail(f"missing field {key!r}")
    if not isinstance(qid, str) or not _ID.match(qid):
        fail("id must be lowercase letters, digits and dashes")
    qtype = raw["type"]
    if qtype not in TYPES:
        fail(f"type {qtype!r} is not one of {', '.join(TYPES)}")
    choices = raw["choices"]
    if not isinstance(choices, dict) or len(choices) < 2:
        fail("choices must be a mapping of at least two keys")
    choices = {str(k): str(v).strip() for k, v in choices.items()}
    answer = raw["answer"]
    pairs = {str(k): str(v).strip() for k, v in (raw.get("pairs") or {}).items()}
    if qtype == "single":
        if not isinstance(answer, str) or answer not in choices:
            fail(f"answer {answer!r} must be one choice key of {sorted(choices)}")
    elif qtype == "multiple":
        if not isinstance(answer, list) or len(answer) < 2 or len(set(answer)) != len(answer):
            fail("answer must be a list of two or more distinct choice keys")
        if any(a not in choices for a in answer):
            fail(f"answer {answer} names keys not in choices {sorted(choices)}")
        if len(choices) <= len(answer):
            fail("a multiple-response question needs more choices than answers")
        answer = sorted(str(a) for a in answer)
    elif qtype == "ordering":
        if not isinstance(answer, list) or sorted(map(str, answer)) != sorted(choices):
            fail(f"answer must list every choice key exactly once, in order (keys: {sorted(choices)})")
        answer = [str(a) for a in answer]
    else:  # matching
        if not pairs or len(pairs) < 2:
            fail("matching questions need a 'pairs' mapping of prompt keys to texts")
        if not isinstance(answer, dict) or sorted(map(str, answer)) != sorted(pairs):
            fail(f"answer must map every pair key {sorted(pairs)} to a choice key")
        answer = {str(k): str(v) for k, v in answer.items()}
        if any(v not in choices for v in answer.values()):
            fail(f"answer uses choice keys not in {sorted(choices)}")
    expl = raw["explanation"]
    if isinstance(expl, str):
        expl = {"overall": expl}
    if not isinstance(expl, dict) or not str(expl.get("overall", "")).strip():
        fail("explanation.overall is required")
    if qtype in ("single", "multiple"):
        per = expl.get("choices") or {}
        missing = [k for k in choices if not str(per.get(k, "")).strip()]
        if missing:
            fail(f"explanation.choices must explain every choice; missing {missing}")
    exam = raw["exam"]
    if exam not in EXAMS:
        fail(f"exam {exam!r} is not one of {', '.join(EXAMS)}")
    try:
        domain = int(raw["domain"])
    except (TypeError, ValueError):
        fail("domain must be the exam's domain number")
    if domain not in EXAMS[exam]:
        fail(f"domain {domain} is not a domain of {exam} ({sorted(EXAMS[exam])})")
    topics = raw["topics"]
    if isinstance(topics, str):
        topics = [topics]
    unknown = [t for t in topics if t not in TOPICS]
    if not topics or unknown:
        fail(f"topics must be slugs from quizzes/README.md; unknown: {unknown or '(none given)'}")
    refs = raw["references"]
    if isinstance(refs, str):
        refs = [refs]
    if not refs or not all(str(r).startswith("https://") for r in refs):
        fail("references must list at least one https:// documentation URL")
    source = str(raw["source"]).strip()
    if not source:
        fail("source is required")
    return Question(qid, qtype, str(raw["prompt"]).strip(), choices, answer, expl, exam, domain, tuple(topics),
                    source, tuple(map(str, refs)), bank, pairs)


def load_file(path: Path) -> list[Question]:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except yaml.YAMLError as exc:
        raise BankError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or "questions" not in data:
        raise BankError(f"{path}: expected a mapping with 'bank' and 'questions'")
    bank = str(data.get("bank") or Path(path).stem)
    return [validate_question(q, bank, str(path)) for q in data["questions"] or []]


@functools.lru_cache(maxsize=4)
def load_all(quiz_dir: Path = QUIZ_DIR) -> dict[str, Question]:
    """Every question of every bank, by id (ids are unique across banks)."""
    out: dict[str, Question] = {}
    for path in sorted(Path(quiz_dir).rglob("*.yml")):
        for q in load_file(path):
            if q.id in out:
                raise BankError(f"{path}: question id {q.id!r} is also used in bank {out[q.id].bank!r}")
            out[q.id] = q
    return out


def bank(name: str, quiz_dir: Path = QUIZ_DIR) -> list[Question]:
    return [q for q in load_all(quiz_dir).values() if q.bank == name]
