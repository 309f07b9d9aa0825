"""Builders for the simple tier: direct answers, trivial look-ups and computations, small talk, and the
hand-off when a request needs the repo (simple has no tool but `entropi.handoff`).

Direct answers carry no call; the checker looks for the fact in the answer. A hand-off names the tier that
can do the job (normal to read, code to edit) and the gold goes on there; its router label is that tier.
Non-goals: the edge cases shared by all tiers (`edges.py`).
"""

from __future__ import annotations

from entropi.synth import facts
from entropi.synth.draft import Ctx, Draft, answer_has, call
from entropi.synth.phrasing import Forms
from entropi.synth.repos import make_project


def _readme(ctx: Ctx) -> dict[str, str]:
    domain, nouns = ctx.namer.domain()
    return {"README.md": f"# {domain} notes\n\nScratch space for {nouns[0]} experiments.\n"}


def direct_answer(ctx: Ctx) -> Draft:
    kind = ctx.pick("acronym", "acronym", "port", "http", "concept")
    if kind == "acronym":
        short = ctx.pick(*sorted(facts.ACRONYMS))
        long = facts.ACRONYMS[short]
        forms = Forms(
            [f"Tell me what {short} stands for", f"Expand the abbreviation {short}"],
            [f"What does {short} stand for?", f"What is {short} short for?"],
            [f"{short} = ?", f"{short} meaning?"],
            short=[f"{short}?"],
        )
        answer, checker = f"{short} stands for {long}.", answer_has(long)
    elif kind == "port":
        service = ctx.pick(*sorted(facts.PORTS))
        port = facts.PORTS[service]
        forms = Forms(
            [f"Tell me the default port of {service}", f"Name the standard port {service} uses"],
            [f"Which port does {service} use by default?", f"What's the default {service} port?"],
            [f"{service} port?", f"default port {service}"],
            short=[f"{service} port?"],
        )
        answer, checker = f"{service} uses port {port} by default.", answer_has(str(port))
    elif kind == "http":
        code = ctx.pick(*sorted(facts.HTTP))
        name = facts.HTTP[code]
        forms = Forms(
            [f"Explain what HTTP status {code} means", f"Tell me the name of HTTP status code {code}"],
            [f"What does HTTP status {code} mean?", f"What is a {code} response in HTTP?"],
            [f"http {code}?", f"status {code} meaning"],
            short=[f"{code}?"],
        )
        answer, checker = f"HTTP {code} is {name}.", answer_has(name)
    else:
        question, answer, must = ctx.pick(*facts.CONCEPTS)
        lowered = question[0].lower() + question[1:]
        forms = Forms(
            [f"Tell me: {lowered}", f"Answer briefly: {lowered}"],
            [f"{question}?"],
            [f"{lowered}?", f"quick q: {lowered}?"],
        )
        checker = answer_has(must)
    return Draft(forms, _readme(ctx), [], answer, [checker], "answer", difficulty="easy")


def lookup(ctx: Ctx) -> Draft:
    imperative, question, terse, value = facts.computation(ctx.rng)
    forms = Forms([imperative], [question], [terse], short=[terse])
    difficulty = "easy"
    if ctx.difficulty != "easy" and "binary" not in imperative:  # a second step on the result
        extra = ctx.rng.randint(2, 9)
        forms = Forms(
            [f"{imperative}, then multiply the result by {extra}"],
            [f"{question[:-1]}, multiplied by {extra}?"],
            [f"({terse.rstrip('?= ')}) * {extra}"],
        )
        value = str((float(value) if "." in value else int(value)) * extra)
        difficulty = "medium"
    return Draft(forms, _readme(ctx), [], f"{value}.", [answer_has(value)], "answer", difficulty=difficulty)


def chat(ctx: Ctx) -> Draft:
    said, reply, must = ctx.pick(*facts.CHAT)
    name = ctx.pick("", "", " entropi", " buddy", " friend", " assistant")
    mark = ctx.pick("!", ".", "", " :)", "!!")
    asks = said.startswith(("How", "What", "Who", "Are"))
    forms = Forms(
        [f"{said}{name}"], [f"{said}{name}{'?' if asks else mark}"], [f"{said.lower()}{name}{mark}"]
    )
    # Small talk has no request to make polite, verbose or non-native: those draws become plain forms.
    style = ctx.phrasing if ctx.phrasing in ("imperative", "question", "terse", "typos") else None
    style = style or ctx.pick("imperative", "question", "terse", "typos")
    checker = [answer_has(*must)]
    return Draft(
        forms, _readme(ctx), [], reply, checker, "answer", difficulty="easy", path="no_path", phrasing=style
    )


def handoff(ctx: Ctx) -> Draft:
    p = make_project(ctx.rng, ctx.namer, funcs=2)
    m, f = p.modules[0], p.modules[0].funcs[0]
    files = p.files()
    if ctx.pick("read", "edit") == "read":
        calls = [call("entropi.handoff", tier="normal", reason=f"Answering needs reading {m.path}")]
        calls.append(call("filesystem.read_file", path=m.path))
        answer = f"`{f.name}` in {m.path} {f.spec}."
        checker = [answer_has(*[list(e) for e in f.explain])]
        forms = Forms(
            [f"Explain what `{f.name}` in {m.path} returns"],
            [f"What does `{f.name}` in {m.path} return?"],
            [f"{f.name} in {m.path}?"],
        )
        target = "normal"
    else:
        new = f"{f.doc.rstrip('.')} (see README.md)."
        calls = [
            call("entropi.handoff", tier="code", reason=f"The request needs a file edit in {m.path}"),
            call("filesystem.read_file", path=m.path),
            call("filesystem.edit_file", path=m.path, old_string=f.doc, new_string=new),
        ]
        answer = f"The docstring of `{f.name}` in {m.path} now points to README.md."
        checker = [{"file_contains": {"path": m.path, "text": new}}]
        forms = Forms(
            [f"Add '(see README.md)' to the docstring of `{f.name}` in {m.path}"],
            [f"Can you make the docstring of `{f.name}` in {m.path} point to README.md?"],
            [f"docstring {f.name} ({m.path}): add see README.md"],
        )
        target = "code"
    return Draft(
        forms,
        files,
        calls,
        answer,
        checker,
        "handoff",
        path="with_path",
        edge_note=f"the simple tier cannot use files and must hand off to {target}",
    )


BUILDERS = {"direct_answer": direct_answer, "lookup": lookup, "chat": chat, "handoff": handoff}
EDGES: dict[str, set[str]] = {
    "direct_answer": {"short_input"},
    "lookup": {"short_input"},
    "chat": set(),
    "handoff": set(),
}
