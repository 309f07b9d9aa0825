"""How a request is phrased: one request (`Forms`: imperative, question and terse cores) rendered in a style.

Styles (`PHRASINGS` in `entropi.tasks.taxonomy`): imperative, question, terse, verbose (context before and
after), polite, typos (letters swapped, dropped or doubled in plain words, never in code names or paths) and
non_native (learner patterns: dropped articles, "please can you", "it is not working good"). Every choice
comes from the caller's seeded `random.Random`.
Non-goals: what is asked (the builders write the cores), spell-checking, translation.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Forms:
    """The cores of one request, already filled in: imperatives without final punctuation, questions with
    their question mark, terse forms as typed. `short` is the very-short edge case (default: terse)."""

    imperative: list[str]
    question: list[str]
    terse: list[str]
    topic: str = "this project"
    short: list[str] = field(default_factory=list)


_POLITE = (
    "Could you please {l}?",
    "Please {l}. Thanks!",
    "Would you {l}, please?",
    "Hi! Can you {l}? Thank you.",
    "When you have a moment, could you {l}? Much appreciated.",
    "I'd be grateful if you could {l}.",
    "Can you {l}, please?",
    "Hey, could you {l} when you get a chance?",
    "Mind if I ask you to {l}? Thanks a lot.",
    "Pls {l}, thx",
    "If it's not too much trouble, {l}.",
    "I need your help: please {l}.",
)
_OPENERS = (
    "I'm working on {topic} and ran into something.",
    "Some background: {topic} is a small project I maintain on weekends.",
    "We are cleaning up {topic} before a release next week.",
    "I've been going back and forth on this in {topic} for a while now.",
    "Quick context: a colleague handed {topic} over to me yesterday.",
    "So I just cloned {topic} and I'm trying to find my way around it.",
    "This is for {topic}, our internal tool at work.",
    "Context: {topic} runs in production and I'm the only one maintaining it.",
)
_CLOSERS = (
    "Keep it simple and tell me what you found.",
    "Let me know when you're done and what you did.",
    "Please be thorough but keep the answer short.",
    "No rush, but I'd like to understand the result.",
    "Thanks in advance!",
    "A short summary at the end is enough.",
)
_NON_NATIVE = (
    "Please can you {l}?",
    "Kindly {l}, I am not sure how to do it.",
    "I want that you {l}.",
    "Is possible to {l}? Thanks in advance.",
    "Hello, please {l}, for me it is not working good.",
    "Can you help me to {l}? I try but not success.",
    "Please you {l}, thank you very much.",
    "I need to {l}, how can you do it for me?",
)
_ARTICLE = re.compile(r"\b(the|a|an) (?=[a-z])", re.IGNORECASE)
_QUOTED = re.compile(r'"[^"]*"|`[^`]*`')
_PLAIN_WORD = re.compile(r"(?<![`\w./-])[a-z]{4,}(?![`\w./(-])")


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word is a code name (`_`, `.`, backquotes, capitals)."""
    first = text.split(" ", 1)[0]
    if any(c in first for c in "_.`/") or first[1:] != first[1:].lower():
        return text
    return text[:1].lower() + text[1:]


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap" and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def with_typos(text: str, rng: random.Random, count: int = 2) -> str:
    """`text` with typos in up to `count` plain lower-case words (code names, paths and quotes untouched)."""
    quoted = [m.span() for m in _QUOTED.finditer(text)]
    spans = [m.span() for m in _PLAIN_WORD.finditer(text) if not any(a <= m.start() < b for a, b in quoted)]
    for start, end in sorted(rng.sample(spans, min(count, len(spans))), reverse=True):
        text = text[:start] + _typo(text[start:end], rng) + text[end:]
    return text


def _drop_articles(text: str, rng: random.Random) -> str:
    return _ARTICLE.sub(lambda m: "" if rng.random() < 0.7 else m.group(0), text)


def _end(text: str) -> str:
    return text if text[-1:] in ".?!" else text + "."


def render(style: str, forms: Forms, rng: random.Random) -> str:
    """The prompt for `forms` in `style`."""
    imperative = rng.choice(forms.imperative)
    if style == "imperative":
        return _end(imperative)
    if style == "question":
        return rng.choice(forms.question)
    if style == "terse":
        return rng.choice(forms.terse)
    if style == "short":
        return rng.choice(forms.short or forms.terse)
    if style == "polite":
        return rng.choice(_POLITE).format(l=_lower_first(imperative))
    if style == "verbose":
        opener = rng.choice(_OPENERS).format(topic=forms.topic)
        return f"{opener} {_end(imperative)} {rng.choice(_CLOSERS)}"
    if style == "typos":
        return with_typos(_end(rng.choice([imperative, *forms.question])), rng)
    if style == "non_native":
        return rng.choice(_NON_NATIVE).format(l=_drop_articles(_lower_first(imperative), rng))
    raise ValueError(f"unknown phrasing style {style!r}")
