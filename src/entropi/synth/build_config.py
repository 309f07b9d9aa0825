"""Builders for the code tier's repo-state tasks: edit a config file or create a project file (Makefile,
Dockerfile, pyproject.toml, GitHub Actions workflow, tox.ini; a third of the ordinary config_edit draws),
commit some or all changes.

Same rules as `build_code.py` (read before edit, unique old strings); configs are TOML, INI or JSON,
checked by loading them with the standard library; commits by their message and the files they hold.
Non-goals: code changes (`build_code.py`), the edge cases shared by all tiers (`edges.py`).
"""

from __future__ import annotations

from entropi.synth.draft import TEST_COMMAND, Ctx, Draft, call, contains, lacks
from entropi.synth.names import SPACED_PATHS
from entropi.synth.phrasing import Forms
from entropi.synth.repos import Project, config_file, config_line, config_loader, make_project

SECTIONS = ("server", "cache", "worker", "limits", "http", "queue", "sync", "storage")
KEYS = ("timeout", "retries", "port", "max_items", "workers", "interval_s", "batch_size", "max_connections")


def config_edit(ctx: Ctx) -> Draft:
    if ctx.edge == "none" and ctx.pick("setting", "setting", "project_file") == "project_file":
        return project_file(ctx)
    stem, fmt = ctx.namer.config()
    domain, _ = ctx.namer.domain()
    folder = ctx.namer.odd_dir() if ctx.edge == "odd_path" else ctx.pick("", "config", "conf", "etc")
    if ctx.edge == "odd_path":
        stem = stem.replace("_", " " if SPACED_PATHS else "-")
    path = f"{folder}/{stem}.{fmt}" if folder else f"{stem}.{fmt}"
    section, keys = ctx.pick(*SECTIONS), ctx.rng.sample(KEYS, 3)
    values = {k: ctx.rng.randint(2, 90) for k in keys}
    values["name"] = domain
    key = keys[0]
    old, new = values[key], values[key] + ctx.rng.randint(1, 40)
    files = {
        path: config_file(fmt, section, values),
        "README.md": f"# {domain} service\n\nConfig: `{path}`.\n",
    }
    calls = [] if ctx.mention else [call("filesystem.glob", pattern=f"**/*.{fmt}")]
    old_line, new_line = config_line(fmt, key, old), config_line(fmt, key, new)
    calls += [
        call("filesystem.read_file", path=path),
        call("filesystem.edit_file", path=path, old_string=old_line, new_string=new_line),
    ]
    value = config_loader(fmt, path, section, key)
    if ctx.difficulty != "easy":
        calls.append(call("bash.execute", command=f'python -c "print({value})"'))
    after = "," if fmt == "json" else "\n"  # the old line's end: a new value may start with the old digits
    checker = [
        lacks(path, old_line + after),
        {"command_succeeds": ["python", "-c", f"assert {value} == {new}"]},
    ]
    mod = f"{domain}_defaults.py"
    if ctx.difficulty == "hard":
        const = f"DEFAULT_{key.upper()} = {old}"
        files[mod] = f'"""Defaults used when {path} lacks a setting."""\n\n{const}\n'
        calls += [
            call("filesystem.grep", pattern=f"DEFAULT_{key.upper()}"),
            call("filesystem.read_file", path=mod),
            call(
                "filesystem.edit_file",
                path=mod,
                old_string=const,
                new_string=f"DEFAULT_{key.upper()} = {new}",
            ),
        ]
        checker.append(contains(mod, f"DEFAULT_{key.upper()} = {new}"))
    where = f" in {path}" if ctx.mention else f" in the {fmt.upper()} config"
    also = " and keep the default in the code in sync" if ctx.difficulty == "hard" else ""
    forms = Forms(
        [
            f"Set {key} to {new}{where}{also}",
            f"Change the {section} {key} from {old} to {new}{where}{also}",
            f"Update {key} to {new}{where}{also}",
            f"Increase {key} from {old} to {new}{where}{also}",
            f"Bump the {section} {key} up to {new}{where}{also}",
            f"Configure {key} = {new} in the [{section}] section{where}{also}",
        ],
        [
            f"Can you bump {key} in the [{section}] section to {new}{where}{also}?",
            f"Could you raise {key} to {new}{where}{also}?",
            f"Would you change {key} from {old} to {new}{where}{also}?",
        ],
        [f"{key}={new}{where}", f"{section}.{key} -> {new}", f"bump {key} to {new}{where}"],
        f"the {domain} service",
        [f"{key} {new}"],
    )
    answer = f"Set {key} in the [{section}] section of {path} from {old} to {new}." + (
        f" {mod} now has the same default." if ctx.difficulty == "hard" else ""
    )
    return Draft(forms, files, calls, answer, checker, "edit", edge_note=_note(ctx))


COMMIT_VERBS = ("Clarify", "Document", "Reword", "Explain", "Tidy")


def commit(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, funcs=2)
    m, f = p.modules[0], p.modules[0].funcs[0]
    files = p.files()
    doc = f'    """{f.doc}"""'
    new_doc = f'    """{f.doc} Used by the {p.domain} reports."""'
    readme_text = files["README.md"] + "\nWork in progress: more helpers soon.\n"
    setup = [
        {"write": {"path": m.path, "content": files[m.path].replace(doc, new_doc, 1)}},
        {"write": {"path": "README.md", "content": readme_text}},
    ]
    message = f"{ctx.pick(*COMMIT_VERBS)} the {f.name} docstring"
    partial = ctx.difficulty != "easy"
    calls = [call("git.status")] if partial else []
    if ctx.difficulty == "hard":
        calls += [call("git.diff", path=m.path), call("git.diff", path="README.md")]
    calls += [
        call("git.add", paths=[m.path] if partial else [m.path, "README.md"]),
        call("git.commit", message=message),
    ]
    checker: list[dict] = [{"git_last_commit_matches": f"^{message}"}]
    committed = [m.path] if partial else sorted([m.path, "README.md"])
    checker.append({"command_succeeds": ["python", "-c", _COMMITTED.format(paths=committed)]})
    where = m.path if ctx.mention else f"the `{f.name}` docstring change"
    if partial:
        forms = Forms(
            [
                f'Commit only {where} with the message "{message}" and leave README.md uncommitted',
                f'Make a commit of just {where}, message "{message}"; keep my README edit out of it',
                f'Create a commit with only {where} in it ("{message}"); README.md stays uncommitted',
                f'Stage {where} alone and commit it as "{message}", without the README change',
            ],
            [f'Can you commit only {where} as "{message}"? The README change should stay uncommitted.'],
            [f'commit {where} only: "{message}"'],
            p.package or m.stem,
        )
        answer = f'Committed only {m.path} as "{message}"; README.md is still modified and uncommitted.'
    else:
        forms = Forms(
            [
                f'Commit all my changes with the message "{message}"',
                f'Stage everything and commit it as "{message}"',
                f'Create a commit of everything I changed, message "{message}"',
                f'Add all the changes and commit them with "{message}" as the message',
            ],
            [f'Could you commit everything I changed with the message "{message}"?'],
            [f'commit all: "{message}"'],
            p.package or m.stem,
        )
        answer = f'Committed {m.path} and README.md as "{message}".'
    path = "with_path" if partial and ctx.mention else "no_path"
    return Draft(forms, files, calls, answer, checker, "commit", setup=setup, path=path)


def _project_files(ctx: Ctx, p: Project) -> tuple[str, str, str, str, list[dict], str]:
    """A project file to create: (path, content, what it is, what it must do, checker, check command)."""
    kind = ctx.pick("makefile", "dockerfile", "pyproject", "ci", "tox")
    if kind == "makefile":
        target = ctx.pick("test", "check", "tests")
        clean = ctx.pick(True, False)
        content = f".PHONY: {target}{' clean' if clean else ''}\n\n{target}:\n\t{TEST_COMMAND}\n"
        if clean:
            content += "\nclean:\n\tfind . -name __pycache__ -prune -exec rm -rf {} +\n"
        spec = f"with a `{target}` target that runs `{TEST_COMMAND}`" + (
            " and a `clean` target that deletes the __pycache__ folders" if clean else ""
        )
        checker = [contains("Makefile", f"{target}:"), contains("Makefile", f"\t{TEST_COMMAND}")]
        if clean:
            checker.append(contains("Makefile", "clean:"))
        return "Makefile", content, "a Makefile", spec, checker, TEST_COMMAND
    if kind == "dockerfile":
        version = ctx.pick("3.11", "3.12", "3.13")
        content = f"FROM python:{version}-slim\n\nWORKDIR /app\nCOPY . .\n\n"
        content += 'CMD ["python", "-m", "unittest", "-q"]\n'
        spec = f"based on `python:{version}-slim` that copies the project into /app and runs the unit tests"
        checker = [
            contains("Dockerfile", f"FROM python:{version}-slim"),
            contains("Dockerfile", '"unittest"'),
        ]
        return "Dockerfile", content, "a Dockerfile", spec, checker, TEST_COMMAND
    if kind == "pyproject":
        name = p.package or f"{p.domain}-helpers"
        version = ctx.pick("0.1.0", "0.2.0", "1.0.0")
        content = (
            '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "{name}"\nversion = "{version}"\nrequires-python = ">=3.11"\n'
            f'description = "Small {p.domain} helpers."\n'
        )
        spec = f"for `{name}`, version {version}, needing Python 3.11 or newer, built with setuptools"
        load = "__import__('tomllib').load(open('pyproject.toml', 'rb'))['project']"
        test = f"d = {load}\nassert d['name'] == {name!r} and d['version'] == {version!r}, d\n"
        test += "assert d['requires-python'] == '>=3.11'\n"
        checker = [{"command_succeeds": ["python", "-c", test]}]
        return "pyproject.toml", content, "a pyproject.toml", spec, checker, f'python -c "print({load})"'
    if kind == "ci":
        workflow = ctx.pick("tests", "ci", "checks")
        version = ctx.pick("3.11", "3.12")
        path = f".github/workflows/{workflow}.yml"
        content = (
            f"name: {workflow}\n\non: [push, pull_request]\n\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
            "    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/setup-python@v5\n"
            f'        with:\n          python-version: "{version}"\n      - run: {TEST_COMMAND}\n'
        )
        spec = f"that runs `{TEST_COMMAND}` on Python {version} for every push and pull request"
        checker = [contains(path, f"run: {TEST_COMMAND}"), contains(path, f'python-version: "{version}"')]
        return path, content, f"a GitHub Actions workflow {path}", spec, checker, TEST_COMMAND
    envs = ctx.pick(["py311", "py312"], ["py312", "py313"], ["py311", "py312", "py313"])
    content = f"[tox]\nenvlist = {', '.join(envs)}\n\n[testenv]\ncommands = {TEST_COMMAND}\n"
    spec = f"that runs the unit tests in the {', '.join(envs[:-1])} and {envs[-1]} environments"
    load = "(lambda c: (c.read('tox.ini'), c.get('tox', 'envlist'))[1])"
    load += "(__import__('configparser').ConfigParser())"
    test = f"assert {load} == {', '.join(envs)!r}\n"
    checker = [
        {"command_succeeds": ["python", "-c", test]},
        contains("tox.ini", f"commands = {TEST_COMMAND}"),
    ]
    return "tox.ini", content, "a tox.ini", spec, checker, f'python -c "print({load})"'


def project_file(ctx: Ctx) -> Draft:
    """Create a project file (Makefile, Dockerfile, pyproject.toml, CI workflow, tox.ini) for a repo."""
    p = make_project(ctx.rng, ctx.namer, funcs=2)
    files = p.files()
    path, content, thing, spec, checker, check = _project_files(ctx, p)
    calls = []
    if ctx.difficulty != "easy":
        calls.append(call("filesystem.list_directory"))
    if ctx.difficulty == "hard":
        calls.append(call("filesystem.read_file", path="README.md"))
    calls.append(call("filesystem.write_file", path=path, content=content))
    if ctx.difficulty != "easy":
        calls.append(call("bash.execute", command=check))
    short = path.rsplit("/", 1)[-1]
    forms = Forms(
        [
            f"Create {thing} {spec}",
            f"Add {thing} {spec}",
            f"Write {thing} {spec}",
            f"Generate {thing} {spec}",
            f"Scaffold {thing} {spec}",
            f"Set up {thing} {spec}",
            f"Make {thing} {spec}",
        ],
        [
            f"Can you create {thing} {spec}?",
            f"Could you add {thing} {spec}?",
            f"Would you write {thing} {spec}?",
        ],
        [f"{short} {spec}", f"need {thing} {spec}", f"new {short} pls, {spec}"],
        p.package or p.modules[0].stem,
    )
    answer = f"Created {path} {spec}."
    return Draft(forms, files, calls, answer, checker, "edit", path="with_path")


_COMMITTED = (
    "import subprocess\n"
    "out = subprocess.run(['git', 'show', '--name-only', '--format=', 'HEAD'],"
    " capture_output=True, text=True,"
    " check=True).stdout.split()\n"
    "assert sorted(out) == {paths!r}, out\n"
)


def _note(ctx: Ctx) -> str | None:
    return {"odd_path": "the path has spaces, unicode or dashes", "short_input": "a very short request"}.get(
        ctx.edge
    )
