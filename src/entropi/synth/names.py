"""Names for generated repos: domains with their nouns, package, module and caller-module names.

`Namer` draws names from a seeded `random.Random` and never hands out a reserved file name (the task suite's
and the evaluation sets' file names, see `exclusion.reserved_file_names`), so the generated repos do not
reuse held-out file names verbatim. Non-goals: function names (`recipes.py` builds them from the nouns).
"""

from __future__ import annotations

import random
from collections.abc import Iterable

DOMAINS: dict[str, tuple[str, ...]] = {
    "fleet": ("speed", "distance", "fuel", "trip", "route"),
    "shop": ("price", "order", "basket", "coupon", "stock"),
    "weather": ("temperature", "rainfall", "wind", "humidity", "forecast"),
    "school": ("grade", "score", "student", "lesson", "exam"),
    "music": ("volume", "tempo", "track", "playlist", "album"),
    "garden": ("plant", "harvest", "seed", "water", "soil"),
    "library": ("book", "loan", "shelf", "reader", "fine"),
    "clinic": ("dose", "visit", "patient", "pulse", "ward"),
    "bank": ("balance", "payment", "fee", "deposit", "rate"),
    "travel": ("fare", "ticket", "hotel", "luggage", "flight"),
    "kitchen": ("recipe", "portion", "oven", "spice", "meal"),
    "arcade": ("level", "health", "coin", "player", "round"),
    "office": ("meeting", "budget", "invoice", "desk", "shift"),
    "stadium": ("lap", "goal", "match", "team", "seat"),
    "energy": ("load", "meter", "panel", "battery", "usage"),
    "farm": ("crop", "field", "herd", "tractor", "milk"),
    "cinema": ("screening", "ticket", "seat", "film", "snack"),
    "hotel": ("room", "guest", "night", "booking", "tariff"),
    "transit": ("stop", "bus", "delay", "rider", "line"),
    "gym": ("workout", "rep", "weight", "member", "session"),
    "bakery": ("loaf", "dough", "flour", "batch", "crust"),
    "harbor": ("vessel", "cargo", "berth", "tide", "crane"),
    "museum": ("exhibit", "visitor", "gallery", "artifact", "tour"),
    "parking": ("space", "permit", "meter", "vehicle", "zone"),
}
PACKAGE_SUFFIXES = ("", "kit", "lib", "_tools", "core", "ops", "hub", "box", "desk", "works")
MODULES = (
    "calc", "numbers", "helpers", "metrics", "pricing", "convert", "ranges", "batching", "textops",
    "cleaning",
    "summary", "rules", "measures", "ledger", "figures", "compute", "scoring", "limits", "units", "tally",
    "sizing", "buckets", "policy", "formulas", "checks", "core_math", "analysis", "quantities", "totals",
    "readings", "estimates", "tables", "records", "logic", "shaping",
)  # fmt: skip
CALLERS = (
    "runner", "service", "jobs", "worker", "api", "commands", "handlers", "pipeline", "daemon", "console",
    "views", "routes", "batch_job", "nightly", "importer", "dashboard", "controller", "entry", "tasks_runner",
    "sync",
)  # fmt: skip
CONFIG_FORMATS = ("toml", "ini", "json")
CONFIG_NAMES = ("settings", "app_config", "service", "defaults", "options", "runtime", "deploy", "limits")
ODD_DIRS = ("Ünïcode-notes", "x-y_z/deep/er", "tools_(old)", "data-tools", "legacy.code", "my_scripts+v2")
SPACED_DIRS = ("my scripts", "data tools", "legacy code", "tools (old)")
# Paths with spaces (a quoted `my scripts/x.toml`) are on: the extractor's coherence rules read a quoted path
# with spaces whole (data/intent_rules.py SPACED_PATH), so gold steps naming one stay coherent.
SPACED_PATHS = True


class Namer:
    """Seeded names; `taken` keeps names unique within one repo, `reserved` are never used as file stems."""

    def __init__(self, rng: random.Random, reserved: Iterable[str] = ()) -> None:
        self.rng = rng
        self.reserved = {name.lower() for name in reserved}
        self.taken: set[str] = set()

    def _fresh(self, options: Iterable[str]) -> str:
        pool = [
            o
            for o in options
            if o not in self.taken and f"{o}.py" not in self.reserved and f"test_{o}.py" not in self.reserved
        ]
        if not pool:
            raise ValueError("name pool exhausted")
        name = self.rng.choice(pool)
        self.taken.add(name)
        return name

    def domain(self) -> tuple[str, list[str]]:
        name = self.rng.choice(sorted(DOMAINS))
        nouns = list(DOMAINS[name])
        self.rng.shuffle(nouns)
        return name, nouns

    def package(self, domain: str) -> str:
        return self._fresh(f"{domain}{suffix}" for suffix in PACKAGE_SUFFIXES)

    def module(self) -> str:
        return self._fresh(MODULES)

    def caller(self) -> str:
        return self._fresh(CALLERS)

    def config(self) -> tuple[str, str]:
        stem = self._fresh(c for c in CONFIG_NAMES if f"{c}.toml" not in self.reserved)
        return stem, self.rng.choice(CONFIG_FORMATS)

    def odd_dir(self) -> str:
        return self.rng.choice(ODD_DIRS + SPACED_DIRS if SPACED_PATHS else ODD_DIRS)
