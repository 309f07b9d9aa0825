"""Parametrized small Python repos: a package (or flat layout) of modules built from recipes, unittest tests,
caller modules, a README and config files, rendered to the `files` mapping a `Task` holds.

Everything is drawn from the builder's seeded `random.Random` through a `Namer`, so the same seed gives the
same repo. Tests run with `python -m unittest -q` from the repo root (stdlib only).
Non-goals: git history (builders add `setup` steps), prompts, gold trajectories.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

from entropi.synth.names import Namer
from entropi.synth.recipes import Func, draw_funcs


@dataclass
class Module:
    """One module of the repo; `buggy` names the function rendered with its bug."""

    path: str
    import_name: str
    stem: str
    funcs: list[Func]
    buggy: str | None = None
    tested: list[str] | None = None  # functions the test file covers (None: all; []: no test file)

    def func(self, name: str) -> Func:
        return next(f for f in self.funcs if f.name == name)

    def source(self, domain: str, *, fixed: bool = False) -> str:
        parts = [f'"""{domain.capitalize()} {self.stem.replace("_", " ")} helpers."""\n']
        parts += [f.source(buggy=f.name == self.buggy and not fixed) for f in self.funcs]
        return "\n\n".join(parts)

    def import_line(self) -> str:
        return f"from {self.import_name} import {', '.join(f.name for f in self.funcs)}"


@dataclass
class Project:
    """A generated repo: its modules, where its tests live, and extra files."""

    domain: str
    nouns: list[str]
    package: str | None
    modules: list[Module]
    tests_dir: str  # "" (tests beside the code) or "tests"
    extra: dict[str, str] = field(default_factory=dict)

    def test_path(self, module: Module) -> str:
        name = f"test_{module.stem}.py"
        return f"{self.tests_dir}/{name}" if self.tests_dir else name

    def test_module(self, module: Module) -> str:
        """The dotted name `python -m unittest` takes for the module's tests."""
        return self.test_path(module).removesuffix(".py").replace("/", ".")

    def files(self) -> dict[str, str]:
        out = dict(self.extra)
        if self.package:
            out[f"{self.package}/__init__.py"] = f'"""{self.domain.capitalize()} helpers."""\n'
        if self.tests_dir:
            out[f"{self.tests_dir}/__init__.py"] = ""
        for module in self.modules:
            out[module.path] = module.source(self.domain)
            tested = [f for f in module.funcs if module.tested is None or f.name in module.tested]
            if tested:
                out[self.test_path(module)] = test_source(module, tested)
        return out


def test_source(module: Module, funcs: list[Func] | None = None) -> str:
    """unittest cases for `funcs` (default: all of the module's), one test method per function."""
    funcs = module.funcs if funcs is None else funcs
    names = ", ".join(f.name for f in funcs)
    lines = ["import unittest", "", f"from {module.import_name} import {names}", "", ""]
    lines.append(f"class {module.stem.title().replace('_', '')}Test(unittest.TestCase):")
    for index, func in enumerate(funcs):
        if index:
            lines.append("")
        cases = ", ".join(f"(({args},), {expected})" for args, expected in func.cases)
        lines += [
            f"    def test_{func.recipe}(self):",
            f"        for args, expected in [{cases}]:",
            f"            self.assertEqual({func.name}(*args), expected)",
        ]
    return "\n".join(lines) + "\n"


def make_project(
    rng: random.Random,
    namer: Namer,
    *,
    modules: int = 1,
    funcs: int = 2,
    package: bool | None = None,
    tests_dir: bool | None = None,
) -> Project:
    """A repo with `modules` modules of `funcs` functions each (distinct recipes within a module)."""
    domain, nouns = namer.domain()
    use_package = rng.random() < 0.7 if package is None else package
    pkg = namer.package(domain) if use_package else None
    use_tests_dir = (rng.random() < 0.5) if tests_dir is None else tests_dir
    out = []
    names: set[str] = set()
    for index in range(modules):
        stem = namer.module()
        path = f"{pkg}/{stem}.py" if pkg else f"{stem}.py"
        drawn = draw_funcs(rng, nouns[index:] + nouns[:index], funcs, names)
        out.append(Module(path, f"{pkg}.{stem}" if pkg else stem, stem, drawn))
    project = Project(domain, nouns, pkg, out, "tests" if use_tests_dir else "")
    project.extra["README.md"] = readme(project)
    return project


def readme(project: Project) -> str:
    title = project.package or f"{project.domain}-helpers"
    listed = "\n".join(f"- `{m.path}`: {', '.join(f.name for f in m.funcs)}" for m in project.modules)
    return (
        f"# {title}\n\nSmall {project.domain} helpers.\n\n{listed}\n\nRun the tests: `python -m unittest`.\n"
    )


def caller_source(namer: Namer, rng: random.Random, module: Module, func: Func, noun: str) -> tuple[str, str]:
    """A caller module that imports and calls `func` once: (stem, source)."""
    stem = namer.caller()
    verb = rng.choice(("run", "handle", "show", "report", "process"))
    args = func.cases[0][0]
    source = (
        f'"""{stem.replace("_", " ").capitalize()} entry points."""\n\n'
        f"from {module.import_name} import {func.name}\n\n\n"
        f"def {verb}_{noun}():\n    return {func.name}({args})\n"
    )
    return stem, source


def config_file(fmt: str, section: str, values: dict[str, int | str]) -> str:
    """A small config file in `fmt` (toml, ini or json) with one section."""
    if fmt == "json":
        return json.dumps({section: values}, indent=2) + "\n"
    quote = fmt == "toml"
    lines = [f"[{section}]"]
    for key, value in values.items():
        shown = f'"{value}"' if quote and isinstance(value, str) else str(value)
        lines.append(f"{key} = {shown}")
    return "\n".join(lines) + "\n"


def config_line(fmt: str, key: str, value: int) -> str:
    """The exact text of one integer setting as `config_file` writes it."""
    return f'"{key}": {value}' if fmt == "json" else f"{key} = {value}"


def config_loader(fmt: str, path: str, section: str, key: str) -> str:
    """Python code that evaluates to the setting's value (for checker commands)."""
    if fmt == "toml":
        return f"__import__('tomllib').load(open({path!r}, 'rb'))[{section!r}][{key!r}]"
    if fmt == "json":
        return f"__import__('json').load(open({path!r}))[{section!r}][{key!r}]"
    return (
        f"(lambda c: (c.read({path!r}), c.getint({section!r}, {key!r}))[1])"
        "(__import__('configparser').ConfigParser())"
    )
