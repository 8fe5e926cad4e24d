"""What notebooks call: start_lab() (preflight) returning a Lab with check(), quiz(), catch_up()."""
from __future__ import annotations

import logging
import sys

from .. import config
from ..targets import get_target
from . import bank as banks
from . import checks as checks_mod
from . import labs as labs_mod
from .progress import ProgressStore
from .quiz import InvalidAnswer, grade, how_to_answer, render_text


class Session:
    """Target + workspace + progress store: shared by notebooks and the CLI."""

    def __init__(self, settings=None, ensure_stack: bool = True):
        from .. import stack
        from ..stack import tagging

        self.settings = settings or config.load()
        self.target = get_target(self.settings)
        self.target.start()
        self.target.apply()
        self.report = stack.ensure(self.target, self.settings) if ensure_stack else None
        self.names = stack.workspace(self.settings)
        # What the notebook creates with plain boto3 carries the workspace tag (labkit teardown finds it).
        tagging.install_default(self.settings, self.names)
        self.store = ProgressStore(self.settings.progress_db)
        self.origin = "catch-up" if self.settings.catchup else "learner"

    def check_context(self):
        return checks_mod.CheckContext(self.target, self.names)

    def run_check(self, lab_id: str, check_id: str, record: bool = True) -> checks_mod.CheckResult:
        lab = labs_mod.get(lab_id)
        by_id = {c.id: c for c in lab.checks}
        if check_id not in by_id:
            raise KeyError(f"lab {lab_id} has no check {check_id!r}; its checks are: {', '.join(by_id)}")
        result = checks_mod.run(by_id[check_id], self.check_context(), lab_id)
        if record:
            self.store.record_check(lab_id, result, target=self.settings.target, workspace=self.names.guid,
                                    origin=self.origin)
            self.submit_to_class()
        return result

    def submit_to_class(self) -> None:
        """In a class (LABKIT_CLASS_STORE set), every result reaches the instructor's report at once."""
        if self.settings.class_store is not None:
            from ..classroom.store import submit_quietly

            submit_quietly(self.settings, self.store, self.names.guid)

    def run_lab_checks(self, lab_id: str, record: bool = True) -> list[checks_mod.CheckResult]:
        return [self.run_check(lab_id, c.id, record) for c in labs_mod.get(lab_id).checks]

    def missing_prerequisites(self, lab_id: str) -> list[tuple[str, checks_mod.CheckResult]]:
        missing = []
        for earlier in labs_mod.before(lab_id):
            for check in earlier.checks:
                result = checks_mod.run(check, self.check_context(), earlier.id)
                if not result.passed:
                    missing.append((earlier.id, result))
        return missing


class Lab:
    def __init__(self, lab_id: str, session: Session):
        self.id = lab_id
        self.session = session

    def name(self, base: str) -> str:
        """Your name for a workshop resource: ``base`` itself (``dataedu-glue-crawler-role``,
        ``db_raw_sisdemo``), or with your scope in front when you share an account with a class
        (``l07-dataedu-glue-crawler-role``, ``l07_db_raw_sisdemo``)."""
        return self.session.names.of(base)

    def check(self, step: str) -> checks_mod.CheckResult:
        return self.session.run_check(self.id, step)

    def check_all(self) -> list[checks_mod.CheckResult]:
        return self.session.run_lab_checks(self.id)

    def questions(self) -> list[str]:
        return [q.id for q in banks.bank(self.id)]

    def quiz(self, question_id: str, answer=None):
        questions = banks.load_all()
        if question_id not in questions:
            mine = ", ".join(self.questions()) or "(none)"
            raise KeyError(f"no question {question_id!r}; this lab's questions are: {mine}")
        q = questions[question_id]
        if answer is None:
            from .widgets import quiz_widget, widgets_available

            if widgets_available():
                return quiz_widget(q, on_result=self._record)
            print(render_text(q))
            print(f"\nTo answer here: lab.quiz({question_id!r}, answer=...) — {how_to_answer(q)}")
            return None
        try:
            result = grade(q, answer)
        except InvalidAnswer as exc:
            print(f"Cannot grade that answer: {exc}")
            return None
        self._record(result)
        return result

    def _record(self, result) -> None:
        if self.session.origin == "learner":
            self.session.store.record_quiz(self.id, result)
            self.session.submit_to_class()

    def catch_up(self, through: bool = False):
        """Replay the earlier labs that are not done yet (their checks fail).

        In JupyterLab a progress bar per lab shows at once; the result (the labs replayed) shows as a table.
        """
        from ..authoring.catchup import catch_up
        from .widgets import widgets_available

        progress = None
        if widgets_available():
            from ..authoring.catchup_view import WidgetProgress

            progress = WidgetProgress()
        return catch_up(self.id, through=through, echo=print, session=self.session, progress=progress)

    def __repr__(self) -> str:
        return f"<Lab {self.id} on {self.session.settings.target}, workspace {self.session.names.guid}>"


def start_lab(lab_id: str) -> Lab:
    """Preflight for a notebook: target, endpoint, workspace, prerequisites — then the Lab handle."""
    lab_meta = labs_mod.get(lab_id)
    # The SageMaker SDK prints an INFO line for every config file it looks for and every value it
    # applies (the kit's telemetry opt-out): noise in a learner's output. It keeps a level set before.
    logging.getLogger("sagemaker.config").setLevel(logging.WARNING)
    session = Session()
    s = session.settings
    status = session.target.status()
    lines = [f"Lab {lab_id}: {lab_meta.title}",
             f"  target     {s.target}" + (f" · endpoint {session.target.endpoint_url} "
                                           f"({'healthy' if status.get('healthy') else 'NOT healthy'})"
                                           if session.target.endpoint_url else ""),
             f"  workspace  {session.names.guid} · raw bucket {session.names.buckets['raw']}"]
    if session.names.scope:   # an account shared with a class: say what lab.name() does
        lines.append(f"  scope      {session.names.scope} · your names: lab.name('dataedu-wg') = "
                     f"{session.names.of('dataedu-wg')!r}, lab.name('db_raw_sisdemo') = "
                     f"{session.names.of('db_raw_sisdemo')!r}")
    if s.target == "aws":
        # A real account: whose, where, and what this lab will cost, before it creates anything.
        from ..targets import costs

        lines.append(f"  account    {status.get('account')} as {status.get('arn')} · region {s.region}")
        lines += costs.banner(lab_id)
    if not s.catchup:
        missing = session.missing_prerequisites(lab_id)
        if missing:
            labs_missing = sorted({lab for lab, _ in missing})
            lines.append(f"  prerequisites MISSING from {', '.join(labs_missing)}:")
            lines += [f"    ✘ {lab}/{r.check_id}: {r.title}" for lab, r in missing[:6]]
            lines.append("  Do those labs first, or run `lab.catch_up()` to replay their solutions for you.")
        else:
            lines.append("  prerequisites ok" + (f" ({', '.join(l.id for l in labs_mod.before(lab_id))})"
                                                  if labs_mod.before(lab_id) else " (none)"))
    print("\n".join(lines), file=sys.stdout)
    return Lab(lab_id, session)


def check(lab_id: str, step: str) -> checks_mod.CheckResult:
    return Session().run_check(lab_id, step)


def quiz(question_id: str, answer=None):
    q = banks.load_all().get(question_id)
    if q is None:
        raise KeyError(f"no question {question_id!r}")
    return Lab(q.bank, Session(ensure_stack=False)).quiz(question_id, answer)
