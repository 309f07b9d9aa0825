"""Small pure Python functions the generated repos are made of: code, one bug each, test cases, wording.

A `Recipe` renders a function under a chosen name with drawn values (`Func`): its source, a buggy variant (one
line differs), cases as `(call, expected)` Python expressions, the words that explain it and a one-line spec
that a feature request can quote. Everything is plain text so the builders can write, edit and assert on it.
Non-goals: repo layout (`repos.py`), prompts (`phrasing.py`), anything that needs third-party packages.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Func:
    """One rendered function: name, source (correct), the buggy line pair, cases and wording."""

    recipe: str
    name: str
    params: str
    doc: str
    body: str  # correct body, 4-space indented lines
    good_line: str  # the line the bug changes (stripped, as it appears in the correct body)
    bad_line: str
    bug: str  # bug kind, e.g. "off_by_one"
    cases: tuple[tuple[str, str], ...]  # (argument list text, expected value text)
    explain: tuple[tuple[str, ...], ...]  # answer_contains entries for an explanation
    spec: str  # "returns the average of values, or 0.0 for an empty list"
    noun: str = ""  # the noun the name was built from

    def rename_target(self) -> str:
        """Another name for this function that neither contains nor is contained in the current one."""
        recipe = next(r for r in RECIPES if r.key == self.recipe)
        for template in recipe.names:
            other = template.format(noun=self.noun)
            if self.name not in other and other not in self.name:
                return other
        return f"get_{self.noun}_result" if "result" not in self.name else f"compute_{self.noun}"

    def evaluate(self, args: str, *, buggy: bool) -> str:
        """repr of calling the (buggy or correct) function on `args` (an exception's name if it raises)."""
        scope: dict[str, object] = {}
        exec(self.source(buggy=buggy), scope)  # our own recipe code, no user input
        try:
            return repr(eval(f"{self.name}({args})", scope))
        except Exception as exc:
            return type(exc).__name__

    def source(self, buggy: bool = False) -> str:
        body = self.body.replace(self.good_line, self.bad_line) if buggy else self.body
        return f'def {self.name}({self.params}):\n    """{self.doc}"""\n{body}'

    def call(self, args: str) -> str:
        return f"{self.name}({args})"

    def failing_case(self) -> tuple[str, str]:
        """The first case the buggy version gets wrong (each recipe's first case does)."""
        return self.cases[0]


@dataclass(frozen=True)
class Recipe:
    key: str
    names: tuple[str, ...]  # name templates with {noun}
    render: Callable[[random.Random, str], Func]


def _ints(rng: random.Random, n: int, low: int, high: int) -> list[int]:
    return [rng.randint(low, high) for _ in range(n)]


def _clamp(rng: random.Random, name: str) -> Func:
    low = rng.randint(0, 9)
    high = low + rng.randint(10, 60)
    mid, below, above = rng.randint(low + 1, high - 1), low - rng.randint(1, 9), high + rng.randint(1, 99)
    good = "return max(low, min(value, high))"
    return Func(
        "clamp", name, "value, low, high", "Limit value to the range [low, high].", f"    {good}\n",
        good, "return min(low, max(value, high))", "swapped_bounds",
        ((f"{mid}, {low}, {high}", str(mid)), (f"{below}, {low}, {high}", str(low)),
         (f"{above}, {low}, {high}", str(high))),
        (("low", "lower"), ("high", "upper"), ("range", "limit", "bound")),
        "returns value limited to the range from low to high (low if below it, high if above it)",
    )  # fmt: skip


def _mean(rng: random.Random, name: str) -> Func:
    values = _ints(rng, 4, 1, 40)
    values[-1] += (-sum(values)) % 4  # a whole-number mean keeps the expected value exact
    good = "return sum(values) / len(values)"
    body = f"    if not values:\n        return 0.0\n    {good}\n"
    return Func(
        "mean", name, "values", "Average of the values; 0.0 for an empty list.", body, good,
        "return sum(values) / (len(values) - 1)", "off_by_one",
        ((str(values), f"{sum(values) / 4}"), ("[]", "0.0"), (f"[{values[0]}]", f"{float(values[0])}")),
        (("average", "mean"), ("empty", "0.0")),
        "returns the average of values, or 0.0 for an empty list",
    )  # fmt: skip


def _percent(rng: random.Random, name: str) -> Func:
    whole = rng.choice([40, 50, 80, 200, 250, 400, 500])
    part = whole * rng.choice([1, 2, 3]) // rng.choice([4, 5, 8])
    good = "return 100.0 * part / whole"
    body = f"    if whole == 0:\n        return 0.0\n    {good}\n"
    return Func(
        "percent", name, "part, whole", "Share of part in whole, in percent; 0.0 when whole is 0.", body,
        good, "return 100.0 * whole / part", "swapped_operands",
        ((f"{part}, {whole}", f"{100.0 * part / whole}"), (f"{part}, 0", "0.0"),
         (f"{whole}, {whole}", "100.0")),
        (("percent", "%"), ("part", "share"), ("0", "zero")),
        "returns part as a percentage of whole, or 0.0 when whole is 0",
    )  # fmt: skip


def _last_items(rng: random.Random, name: str) -> Func:
    items = _ints(rng, 6, 1, 99)
    n = rng.randint(2, 4)
    good = "return items[-n:] if n > 0 else []"
    return Func(
        "last_items", name, "items, n", "The last n items, oldest first; [] when n is 0.", f"    {good}\n",
        good, "return items[-n - 1 :] if n > 0 else []", "off_by_one",
        ((f"{items}, {n}", str(items[-n:])), (f"{items}, 0", "[]"), (f"{items[:2]}, 1", str(items[1:2]))),
        (("last",), ("n",), ("0", "empty", "[]")),
        "returns the last n items of the list (an empty list when n is 0)",
    )  # fmt: skip


def _discount(rng: random.Random, name: str) -> Func:
    price = float(rng.choice([20, 40, 60, 80, 120, 200]))
    rate = rng.choice([0.1, 0.2, 0.25])
    good = "return round(price * (1 - rate), 2)"
    return Func(
        "discount", name, "price, rate", "Price after taking off the share rate (0.2 = 20%).",
        f"    {good}\n",
        good, "return round(price * rate, 2)", "wrong_formula",
        ((f"{price}, {rate}", str(round(price * (1 - rate), 2))), (f"{price}, 0.0", str(price)),
         (f"{price}, 1.0", "0.0")),
        (("price",), ("rate", "discount")),
        "returns price reduced by the fraction rate, rounded to cents",
    )  # fmt: skip


def _word_count(rng: random.Random, name: str) -> Func:
    words = rng.sample(["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "lambda"], 3)
    text = f"{words[0]}  {words[1]} {words[2]}"
    good = "return len(text.split())"
    return Func(
        "word_count", name, "text", "Number of words in text, however they are spaced.", f"    {good}\n",
        good, 'return len(text.split(" "))', "split_on_space",
        ((repr(text), "3"), ('""', "0"), (repr(words[0]), "1")),
        (("words",), ("split", "whitespace", "spaces")),
        "returns the number of whitespace-separated words in text",
    )  # fmt: skip


def _fahrenheit(rng: random.Random, name: str) -> Func:
    c = rng.choice([10, 20, 25, 30, 35, 40, 100])
    good = "return celsius * 9 / 5 + 32"
    return Func(
        "fahrenheit", name, "celsius", "Degrees Celsius converted to Fahrenheit.", f"    {good}\n",
        good, "return celsius * 5 / 9 + 32", "wrong_formula",
        ((str(c), str(c * 9 / 5 + 32)), ("0", "32.0"), ("-40", "-40.0")),
        (("fahrenheit",), ("celsius",), ("32", "9 / 5", "1.8")),
        "converts degrees Celsius to Fahrenheit (times 9/5, plus 32)",
    )  # fmt: skip


def _in_range(rng: random.Random, name: str) -> Func:
    low = rng.randint(1, 20)
    high = low + rng.randint(5, 50)
    good = "return low <= value <= high"
    return Func(
        "in_range", name, "value, low, high", "Whether value lies in [low, high], both ends included.",
        f"    {good}\n", good, "return low < value < high", "boundary",
        ((f"{low}, {low}, {high}", "True"), (f"{high + 1}, {low}, {high}", "False"),
         (f"{high}, {low}, {high}", "True")),
        (("low", "lower"), ("high", "upper"), ("included", "inclusive", "<=")),
        "returns True when low <= value <= high (both ends included)",
    )  # fmt: skip


def _chunks(rng: random.Random, name: str) -> Func:
    items = list(range(1, rng.choice([6, 8, 10])))
    size = rng.choice([2, 3, 4])
    expected = [items[i : i + size] for i in range(0, len(items), size)]
    good = "return [items[i : i + size] for i in range(0, len(items), size)]"
    return Func(
        "chunks", name, "items, size", "Split items into lists of size items (the last may be shorter).",
        f"    {good}\n", good, "return [items[i : i + size] for i in range(0, len(items) - size, size)]",
        "drops_tail", ((f"{items}, {size}", str(expected)), (f"[], {size}", "[]"), ("[1], 5", "[[1]]")),
        (("size",), ("last", "shorter", "remainder")),
        "splits items into consecutive lists of length size, the last one possibly shorter",
    )  # fmt: skip


def _normalize(rng: random.Random, name: str) -> Func:
    first, last = (
        rng.choice(["Ada", "Alan", "Grace", "Linus", "Barbara"]),
        rng.choice(["Stone", "Reed", "Hale"]),
    )
    good = 'return " ".join(name.split()).lower()'
    return Func(
        "normalize", name, "name", "Lower-case name with runs of whitespace collapsed to one space.",
        f"    {good}\n", good, "return name.strip().lower()", "keeps_inner_spaces",
        ((repr(f"  {first}   {last} "), repr(f"{first} {last}".lower())), ('"X"', '"x"'), ('""', '""')),
        (("lower",), ("space", "whitespace")),
        "lower-cases name and collapses every run of whitespace into a single space",
    )  # fmt: skip


def _total(rng: random.Random, name: str) -> Func:
    lines = [(rng.choice([0.5, 2.5, 4.0, 10.0]), rng.randint(1, 5)) for _ in range(2)]
    good = "return round(sum(price * qty for price, qty in lines), 2)"
    return Func(
        "total", name, "lines", "Sum of price * qty over (price, qty) lines, rounded to cents.",
        f"    {good}\n", good, "return round(sum(price + qty for price, qty in lines), 2)", "wrong_operator",
        ((str(lines), str(round(sum(p * q for p, q in lines), 2))), ("[]", "0"), ("[(2.0, 3)]", "6.0")),
        (("price",), ("qty", "quantity"), ("sum", "total")),
        "returns the sum of price * qty over a list of (price, qty) pairs, rounded to cents",
    )  # fmt: skip


RECIPES: tuple[Recipe, ...] = (
    Recipe("clamp", ("clamp_{noun}", "limit_{noun}", "bound_{noun}", "cap_{noun}"), _clamp),
    Recipe("mean", ("average_{noun}", "mean_{noun}", "avg_{noun}"), _mean),
    Recipe("percent", ("{noun}_percent", "percent_of_{noun}", "{noun}_share"), _percent),
    Recipe("last_items", ("last_{noun}s", "recent_{noun}s", "newest_{noun}s"), _last_items),
    Recipe("discount", ("discounted_{noun}", "{noun}_after_discount", "reduce_{noun}"), _discount),
    Recipe("word_count", ("count_{noun}_words", "{noun}_word_count", "words_in_{noun}"), _word_count),
    Recipe("fahrenheit", ("{noun}_to_fahrenheit", "{noun}_fahrenheit", "fahrenheit_{noun}"), _fahrenheit),
    Recipe("in_range", ("{noun}_in_range", "is_valid_{noun}", "{noun}_within"), _in_range),
    Recipe("chunks", ("chunk_{noun}s", "batch_{noun}s", "split_{noun}s"), _chunks),
    Recipe("normalize", ("normalize_{noun}", "clean_{noun}_name", "tidy_{noun}"), _normalize),
    Recipe("total", ("{noun}_total", "total_{noun}", "sum_{noun}_lines"), _total),
)


def draw_funcs(rng: random.Random, nouns: list[str], count: int, taken: set[str]) -> list[Func]:
    """`count` functions of distinct recipes, named after `nouns` (cycled), no name in `taken` (updated)."""
    recipes = rng.sample(RECIPES, count)
    out = []
    for index, recipe in enumerate(recipes):
        for attempt in range(20):
            noun = nouns[(index + attempt) % len(nouns)]
            name = rng.choice(recipe.names).format(noun=noun)
            if name not in taken:
                break
        taken.add(name)
        out.append(replace(recipe.render(rng, name), noun=noun))
    return out
