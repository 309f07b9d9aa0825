"""Synthetic training tasks from a written taxonomy (docs/taxonomy.md): `generate(tier, n, seed)`."""

from entropi.synth.exclusion import Exclusion, load_exclusion
from entropi.synth.generate import GenerationError, generate
from entropi.synth.output import read_tasks, router_row, write_router_rows, write_tasks

__all__ = [
    "Exclusion",
    "GenerationError",
    "generate",
    "load_exclusion",
    "read_tasks",
    "router_row",
    "write_router_rows",
    "write_tasks",
]
