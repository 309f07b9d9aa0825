"""Builders for the simple tier: direct answers, trivial look-ups and computations, small talk, and the
hand-off when a request needs the repo (simple has no tool but `entropi.handoff`).

Direct answers carry no call; the checker looks for the fact in the answer. Small talk includes praise,
thanks and acknowledgements after a turn (`MORE_CHAT`, `PRAISE`), not only greetings. A hand-off names the
tier that can do the job (normal to read, code to edit) and the gold goes on there; its router label is that
tier.
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
            [
                f"Tell me what {short} stands for",
                f"Expand the abbreviation {short}",
                f"Spell out the acronym {short}",
            ],
            [
                f"What does {short} stand for?",
                f"What is {short} short for?",
                f"{short} stands for what?",
                f"Do you know what the letters {short} mean?",
            ],
            [f"{short} = ?", f"{short} meaning?", f"{short} stands for?"],
            short=[f"{short}?"],
        )
        answer, checker = f"{short} stands for {long}.", answer_has(long)
    elif kind == "port":
        service = ctx.pick(*sorted(facts.PORTS))
        port = facts.PORTS[service]
        forms = Forms(
            [f"Tell me the default port of {service}", f"Name the standard port {service} uses"],
            [
                f"Which port does {service} use by default?",
                f"What's the default {service} port?",
                f"What port does {service} listen on out of the box?",
                f"{service} runs on which port by default?",
            ],
            [f"{service} port?", f"default port {service}", f"{service} default port number"],
            short=[f"{service} port?"],
        )
        answer, checker = f"{service} uses port {port} by default.", answer_has(str(port))
    elif kind == "http":
        code = ctx.pick(*sorted(facts.HTTP))
        name = facts.HTTP[code]
        forms = Forms(
            [
                f"Explain what HTTP status {code} means",
                f"Tell me the name of HTTP status code {code}",
                f"Give me the standard name of the {code} status code",
            ],
            [
                f"What does HTTP status {code} mean?",
                f"What is a {code} response in HTTP?",
                f"What's the name of the HTTP {code} status?",
            ],
            [f"http {code}?", f"status {code} meaning", f"{code} status code = ?"],
            short=[f"{code}?"],
        )
        answer, checker = f"HTTP {code} is {name}.", answer_has(name)
    else:
        question, answer, must = ctx.pick(*facts.CONCEPTS)
        lowered = question[0].lower() + question[1:]
        forms = Forms(
            [f"Tell me: {lowered}", f"Answer briefly: {lowered}", f"Answer in one line: {lowered}"],
            [f"{question}?", f"Quick question: {lowered}?", f"Random question, {lowered}?"],
            [f"{lowered}?", f"quick q: {lowered}?"],
        )
        checker = answer_has(must)
    return Draft(forms, _readme(ctx), [], answer, [checker], "answer", difficulty="easy")


def lookup(ctx: Ctx) -> Draft:
    imperative, question, terse, value = facts.computation(ctx.rng)
    forms = Forms(
        [imperative, f"Quickly {imperative[0].lower()}{imperative[1:]}"],
        [question, f"Quick one: {question[0].lower()}{question[1:]}", f"{question[:-1]}? Just the answer."],
        [terse],
        short=[terse],
    )
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


# Small talk beyond `facts.CHAT`: praise, thanks and acknowledgements after a turn, greetings, goodbyes.
# (what is said, the reply, words the reply must contain)
MORE_CHAT = (
    ("Great job", "Thanks! Anything else?", ["thanks"]),
    ("Nice work, thank you", "You're welcome!", ["welcome"]),
    ("Perfect", "Glad it's what you needed!", ["glad"]),
    ("Awesome, that did it", "Great to hear! Anything else?", ["great"]),
    ("Cheers", "Cheers! Happy to help.", ["happy"]),
    ("Well done", "Thank you! What's next?", ["thank"]),
    ("Works like a charm now", "Great! Tell me if you want any changes.", ["great"]),
    ("That's exactly what I needed", "Glad it helped!", ["glad"]),
    ("Nice one", "Thanks! Anything else?", ["thanks"]),
    ("Thanks a lot", "You're welcome!", ["welcome"]),
    ("Got it, thanks", "You're welcome. Anything else?", ["welcome"]),
    ("Sounds like a plan", "Great, let me know when you want to continue.", ["let me know"]),
    ("Appreciate it", "Any time!", ["any time"]),
    ("You're a lifesaver", "Happy to help! Anything else?", ["happy"]),
    ("Thx", "No problem!", ["no problem"]),
    ("Ok", "Okay! Anything else?", ["anything else"]),
    ("Lol nice", "Glad you like it!", ["glad"]),
    ("Hello", "Hello! What can I do for you?", ["hello"]),
    ("Howdy", "Hey! What are we working on?", ["hey"]),
    ("Good afternoon", "Good afternoon! How can I help?", ["afternoon"]),
    ("Hiya", "Hi! What do you need?", ["hi"]),
    ("See you tomorrow", "See you tomorrow!", ["tomorrow"]),
    ("Have a nice day", "You too! Come back any time.", ["you too"]),
    ("I'm done for the day", "Alright, see you next time!", ["next time"]),
    ("What's up", "Not much, I'm ready to help. What are you working on?", ["help"]),
)
PRAISE = ("Great work", "Nice job", "Good job", "Excellent work", "Solid work", "Amazing work")
PRAISED = ("the fix", "the tests", "the refactor", "the docs", "this one", "the cleanup", "the new feature")


def chat(ctx: Ctx) -> Draft:
    source = ctx.pick("facts", "more", "more", "praise")
    if source == "facts":
        said, reply, must = ctx.pick(*facts.CHAT)
    elif source == "more":
        said, reply, must = ctx.pick(*MORE_CHAT)
    else:
        said = f"{ctx.pick(*PRAISE)} on {ctx.pick(*PRAISED)}"
        reply, must = "Thank you! Glad it worked out. Anything else?", ["thank"]
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
            [f"Explain what `{f.name}` in {m.path} returns", f"Tell me what `{f.name}` in {m.path} does"],
            [
                f"What does `{f.name}` in {m.path} return?",
                f"How does `{f.name}` in {m.path} work?",
                f"What is `{f.name}` in {m.path} for?",
            ],
            [f"{f.name} in {m.path}?", f"what does {f.name} ({m.path}) do"],
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
            [
                f"Add '(see README.md)' to the docstring of `{f.name}` in {m.path}",
                f"Update the docstring of `{f.name}` in {m.path} so it ends with '(see README.md)'",
            ],
            [
                f"Can you make the docstring of `{f.name}` in {m.path} point to README.md?",
                f"Could you add a '(see README.md)' pointer to the `{f.name}` docstring in {m.path}?",
            ],
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
