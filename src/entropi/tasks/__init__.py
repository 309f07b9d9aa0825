"""The task suite: small coding tasks in throwaway git repos, with gold solutions and checkers."""

from entropi.tasks.suite import Check, Gold, GoldCall, SetupStep, Tags, Task, load_task, load_tasks, tasks_dir
from entropi.tasks.taxonomy import Coordinates
from entropi.tasks.workspace import CheckResult, TaskError, check, materialize

__all__ = [
    "Check",
    "CheckResult",
    "Coordinates",
    "Gold",
    "GoldCall",
    "SetupStep",
    "Tags",
    "Task",
    "TaskError",
    "check",
    "load_task",
    "load_tasks",
    "materialize",
    "tasks_dir",
]
