"""Process engine for dossiers (quy trình giải quyết hồ sơ): a thin layer over SpiffWorkflow.

Each procedure in ``catalogue/`` points at a BPMN file. Lanes carry the officer's role, user
tasks are the hand-offs between officers, exclusive gateways branch on task data, and service
tasks call platform services registered here by topic.

Conventions of the catalogue BPMN files:

* lane names are roles: ``clerk``, ``specialist``, ``head``, ``leader``;
* a user task's ``documentation`` starts with ``fields: decision=approve|refuse, note?``: the
  values the officer gives (``name=a|b`` allows only those values, ``name?`` is optional);
* a service task names its platform service with ``camunda:topic`` (with
  ``camunda:type="external"``, as Camunda Modeler writes external tasks);
* end events are ``approve`` (the result is issued) and ``refuse`` (refused with a reason).
"""

from __future__ import annotations

import builtins
import copy
import functools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser import BpmnParser, BpmnValidator, TaskParser
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import DEFAULT_CONFIG, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, ServiceTask, UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

__all__ = [
    "CATALOGUE_DIR",
    "ROLES",
    "EngineError",
    "FormField",
    "Instance",
    "ReadyTask",
    "ServiceFn",
    "load_spec",
    "loads",
    "register_service",
    "start",
]

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"
ROLES = frozenset({"clerk", "specialist", "head", "leader"})
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"

# Keys the applicant and the one-stop shop own: an officer's task cannot overwrite them.
PROTECTED_KEYS = frozenset({"form", "dossier"})

ServiceFn = Callable[[dict[str, Any]], dict[str, Any] | None]


class EngineError(Exception):
    """A process file, a task id or the data given to a task is not acceptable."""


# --- platform services -------------------------------------------------------------------

_SERVICES: dict[str, ServiceFn] = {}


def register_service(topic: str, fn: ServiceFn) -> None:
    """Register (or replace) the callable a service task with this topic runs."""
    _SERVICES[topic] = fn


def _no_op(data: dict[str, Any]) -> dict[str, Any] | None:
    return {}


# Defaults keep the processes runnable on their own; the procedures module registers the real
# fee calculation and result rendering over them.
register_service("fee.compute", _no_op)
register_service("result.prepare", _no_op)


class TopicServiceTask(ServiceTask):
    """Service task that calls the platform service registered for its topic.

    SpiffWorkflow's plain BPMN service task does nothing, and its Spiff flavour expects a
    ``spiffworkflow:serviceTaskOperator`` extension that Camunda Modeler cannot edit; a topic
    attribute is what the modeler already offers for external tasks.
    """

    def __init__(self, wf_spec: Any, bpmn_id: str, topic: str, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.topic = topic

    def _run_hook(self, task: Any) -> bool:
        fn = _SERVICES.get(self.topic)
        if fn is None:
            raise EngineError(f"No service is registered for topic {self.topic!r}")
        # The service gets a copy: what it wants in the process it returns.
        result = fn(copy.deepcopy(task.data))
        if result:
            task.data.update(result)
        return True


class TopicServiceTaskParser(TaskParser):
    def create_task(self) -> TopicServiceTask:
        topic = self.node.get(f"{{{CAMUNDA_NS}}}topic")
        if not topic:
            self.raise_validation_exception("A service task needs a camunda:topic")
        return TopicServiceTask(self.spec, self.bpmn_id, topic=topic, **self.bpmn_attributes)


class TopicServiceTaskConverter(BpmnTaskSpecConverter):
    def to_dict(self, spec: TopicServiceTask) -> dict[str, Any]:
        dct: dict[str, Any] = self.get_default_attributes(spec)
        dct["topic"] = spec.topic
        return dct


class _Parser(BpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        full_tag("serviceTask"): (TopicServiceTaskParser, TopicServiceTask),
    }


# Conditions come from catalogue files reviewed like code; a small set of builtins is still
# all they need, and it keeps a careless expression away from the interpreter's internals.
_SAFE_BUILTINS = {
    name: getattr(builtins, name)
    for name in ("abs", "all", "any", "bool", "float", "int", "len", "max", "min", "str")
}
_SCRIPT_ENGINE = PythonScriptEngine(
    environment=TaskDataEnvironment({"__builtins__": _SAFE_BUILTINS})
)
_SERIALIZER = BpmnWorkflowSerializer(
    BpmnWorkflowSerializer.configure(
        {**DEFAULT_CONFIG, TopicServiceTask: TopicServiceTaskConverter}
    )
)


# --- process specifications ---------------------------------------------------------------


class FormField(NamedTuple):
    """A value an officer gives when completing a task.

    A named tuple, so that a list of fields stores as JSON (``[name, choices, required]``).
    """

    name: str
    choices: tuple[str, ...] = ()
    required: bool = True


def parse_fields(documentation: str | None) -> tuple[tuple[FormField, ...], str]:
    """Split a user task's documentation into its declared fields and the remaining text."""
    if not documentation:
        return (), ""
    first, _, rest = documentation.strip().partition("\n")
    if not first.startswith("fields:"):
        return (), documentation.strip()
    fields = []
    for item in first.removeprefix("fields:").split(","):
        item = item.strip()
        if not item:
            continue
        required = not item.endswith("?")
        name, _, choices = item.rstrip("?").partition("=")
        fields.append(
            FormField(
                name=name.strip(),
                choices=tuple(c.strip() for c in choices.split("|") if c.strip()),
                required=required,
            )
        )
    return tuple(fields), rest.strip()


def _process_path(process_file: str) -> Path:
    path = (CATALOGUE_DIR / process_file).resolve()
    if path.parent != CATALOGUE_DIR.resolve() or path.suffix != ".bpmn":
        raise EngineError(f"Not a catalogue process file: {process_file!r}")
    if not path.is_file():
        raise EngineError(f"Process file not found: {process_file!r}")
    return path


def _check_spec(spec: BpmnProcessSpec, process_file: str) -> None:
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, UserTask):
            if task_spec.lane not in ROLES:
                raise EngineError(
                    f"{process_file}: user task {task_spec.bpmn_id!r} is in lane "
                    f"{task_spec.lane!r}, not one of {sorted(ROLES)}"
                )
            fields, _ = parse_fields(task_spec.documentation)
            if not fields:
                raise EngineError(
                    f"{process_file}: user task {task_spec.bpmn_id!r} declares no fields"
                )
        elif isinstance(task_spec, EndEvent) and task_spec.bpmn_id not in ("approve", "refuse"):
            raise EngineError(
                f"{process_file}: end event {task_spec.bpmn_id!r} is neither approve nor refuse"
            )


@functools.cache
def load_spec(process_file: str) -> BpmnProcessSpec:
    """Parse, validate and check a catalogue process file (once per process)."""
    path = _process_path(process_file)
    parser = _Parser(validator=BpmnValidator())
    try:
        parser.add_bpmn_file(str(path))
        process_ids = parser.get_process_ids()
        if len(process_ids) != 1:
            raise EngineError(f"{process_file}: expected one executable process, {process_ids}")
        spec = parser.get_spec(process_ids[0])
    except ValidationException as exc:
        raise EngineError(f"{process_file}: {exc}") from exc
    _check_spec(spec, process_file)
    return spec


# --- running instances --------------------------------------------------------------------


@dataclass(frozen=True)
class ReadyTask:
    """A user task waiting for an officer."""

    id: str
    spec: str
    name: str
    role: str
    form_fields: tuple[FormField, ...] = ()
    hint: str = ""


class Instance:
    """One dossier's run through its process."""

    def __init__(self, process_file: str, workflow: BpmnWorkflow) -> None:
        self.process_file = process_file
        self._workflow = workflow

    def ready_tasks(self) -> list[ReadyTask]:
        tasks = []
        for task in self._workflow.get_tasks(state=TaskState.READY, manual=True):
            fields, hint = parse_fields(task.task_spec.documentation)
            tasks.append(
                ReadyTask(
                    id=str(task.id),
                    spec=task.task_spec.bpmn_id,
                    name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                    role=task.task_spec.lane,
                    form_fields=fields,
                    hint=hint,
                )
            )
        return tasks

    def complete(self, task_id: str, data: dict[str, Any]) -> None:
        """Give a ready task its officer's data, run it and run the engine to the next wait."""
        task = self._ready_task(task_id)
        fields, _ = parse_fields(task.task_spec.documentation)
        _check_task_data(task.task_spec.bpmn_id, fields, data)
        task.data.update(copy.deepcopy(data))
        try:
            task.run()
            self._workflow.do_engine_steps()
        except SpiffWorkflowException as exc:
            raise EngineError(f"{self.process_file}: {exc}") from exc

    def is_completed(self) -> bool:
        return bool(self._workflow.is_completed())

    @property
    def outcome(self) -> str | None:
        """The end event reached (``approve`` or ``refuse``), or None while running."""
        if not self.is_completed():
            return None
        for task in self._workflow.get_tasks(state=TaskState.COMPLETED):
            if isinstance(task.task_spec, EndEvent):
                return str(task.task_spec.bpmn_id)
        return None

    @property
    def data(self) -> dict[str, Any]:
        """The process data: at the end if completed, else as the waiting tasks see it."""
        if self.is_completed():
            source = dict(self._workflow.data)
            source.pop("data_objects", None)
            return copy.deepcopy(source)
        waiting = self._workflow.get_tasks(state=TaskState.READY)
        if not waiting:
            waiting = self._workflow.get_tasks(state=TaskState.COMPLETED)[-1:]
        merged: dict[str, Any] = {}
        for task in waiting:
            merged.update(task.data)
        return copy.deepcopy(merged)

    def dumps(self) -> str:
        """Serialise to JSON; the process specification travels with it."""
        return str(_SERIALIZER.serialize_json(self._workflow))

    def _ready_task(self, task_id: str) -> Any:
        try:
            task = self._workflow.get_task_from_id(uuid.UUID(str(task_id)))
        except (ValueError, TypeError, TaskNotFoundException):
            task = None
        if task is None:
            raise EngineError(f"Unknown task {task_id!r}")
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise EngineError(f"Task {task_id!r} ({task.task_spec.bpmn_id}) is not waiting")
        return task


def _check_task_data(spec_id: str, fields: tuple[FormField, ...], data: dict[str, Any]) -> None:
    if not isinstance(data, dict):
        raise EngineError(f"{spec_id}: task data must be an object")
    if clash := PROTECTED_KEYS & data.keys():
        raise EngineError(f"{spec_id}: a task cannot change {sorted(clash)}")
    for field in fields:
        value = data.get(field.name)
        if value is None or value == "":
            if field.required:
                raise EngineError(f"{spec_id}: {field.name} is required")
            continue
        if field.choices and value not in field.choices:
            raise EngineError(
                f"{spec_id}: {field.name} must be one of {list(field.choices)}, not {value!r}"
            )


def start(process_file: str, data: dict[str, Any]) -> Instance:
    """Start a process with the dossier's data and run it to the first officer's task.

    ``data`` is ``{"form": {...}, "dossier": {"code": ..., "channel": "online" | "counter"}}``.
    """
    if not isinstance(data.get("form"), dict) or not isinstance(data.get("dossier"), dict):
        raise EngineError("Start data needs a 'form' and a 'dossier' object")
    spec = load_spec(process_file)
    workflow = BpmnWorkflow(spec, script_engine=_SCRIPT_ENGINE)
    # JSON round trip: the data must survive serialisation, so reject what would not.
    try:
        initial = json.loads(json.dumps(data))
    except (TypeError, ValueError) as exc:
        raise EngineError(f"Start data is not JSON: {exc}") from exc
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(initial)
    instance = Instance(process_file, workflow)
    try:
        workflow.do_engine_steps()
    except SpiffWorkflowException as exc:
        raise EngineError(f"{process_file}: {exc}") from exc
    return instance


def loads(process_file: str, text: str) -> Instance:
    """Restore an instance saved with ``Instance.dumps``.

    The saved specification is used, so a dossier finishes under the process it started with
    even if the catalogue file has changed since.
    """
    try:
        workflow = _SERIALIZER.deserialize_json(text)
    except (ValueError, KeyError, TypeError) as exc:
        raise EngineError(f"Not a saved process instance: {exc}") from exc
    expected = load_spec(process_file).name
    if workflow.spec.name != expected:
        raise EngineError(
            f"Saved instance runs {workflow.spec.name!r}, not {expected!r} ({process_file})"
        )
    workflow.script_engine = _SCRIPT_ENGINE
    return Instance(process_file, workflow)
