"""The generated report command shared by the code and normal tiers: `Cli` (a `python -m <module> [options]`
command printing `name: value` rows), its options (`FLAGS`) and how a task places one in a project.

The code tier asks to add an option (`build_code_create.py`), the normal tier what one does
(`build_normal_constructs.py`); `Cli.argv` and `Cli.output` give a checker the command line and the rows it
should print.
Non-goals: building tasks (those two modules), the rest of the generated project (`repos.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from entropi.synth.draft import Ctx
from entropi.synth.repos import Project


@dataclass(frozen=True)
class Flag:
    """A command-line option of the generated report command and what it does to the rows it prints."""

    name: str
    argument: str  # the parser line
    code: str  # the lines `render` runs for it (rows stage, or lines stage for "total")
    effect: str  # third person: "prints the rows in reverse order"
    must: tuple[tuple[str, ...], ...]  # answer_contains entries for an explanation
    takes: str = ""  # "N" for an option with a value


FLAGS = {
    "min": Flag(
        "min", 'parser.add_argument("--min", type=int, default=None, help="only rows with value >= N")',
        "    if args.min is not None:\n        rows = [row for row in rows if row[1] >= args.min]",
        "keeps only the rows whose value is at least N", (("at least", ">="),), "N",
    ),
    "sort": Flag(
        "sort", 'parser.add_argument("--sort", action="store_true", help="sort rows by value")',
        "    if args.sort:\n        rows = sorted(rows, key=lambda row: row[1])",
        "sorts the rows by value, smallest first", (("sort",), ("value",)),
    ),
    "reverse": Flag(
        "reverse", 'parser.add_argument("--reverse", action="store_true", help="reverse the order")',
        "    if args.reverse:\n        rows = rows[::-1]",
        "prints the rows in reverse order", (("reverse",),),
    ),
    "limit": Flag(
        "limit", 'parser.add_argument("--limit", type=int, default=None, help="show at most N rows")',
        "    if args.limit is not None:\n        rows = rows[: args.limit]",
        "shows at most N rows (the first N)", (("at most", "first"),), "N",
    ),
    "total": Flag(
        "total", 'parser.add_argument("--total", action="store_true", help="add a total line")',
        '    if args.total:\n        lines.append(f"total: {sum(value for _, value in rows)}")',
        "adds a last line with the total of the values", (("total", "sum"),),
    ),
    "upper": Flag(
        "upper", 'parser.add_argument("--upper", action="store_true", help="upper-case the names")',
        "", "prints the names in upper case", (("upper",),),
    ),
    "sep": Flag(
        "sep", 'parser.add_argument("--sep", default=": ", help="text between name and value")',
        "", 'sets the text between each name and its value (default ": ")', (("separator", "between"),),
        "TEXT",
    ),
}  # fmt: skip
ROW_FLAGS = ("min", "sort", "reverse", "limit")
CLI_STEMS = (
    "report_cmd",
    "show_report",
    "listing",
    "command_line",
    "printout",
    "console_report",
    "summary_cli",
)


@dataclass
class Cli:
    """A generated report command: `python -m <module> [options]` prints `name: value` rows."""

    path: str
    module: str
    rows: list[tuple[str, int]]
    flags: list[str]

    def source(self) -> str:
        order = [f for f in (*ROW_FLAGS, "upper", "sep", "total") if f in self.flags]
        args = "".join(f"    {FLAGS[f].argument}\n" for f in order)
        rows_code = "".join(f"{FLAGS[f].code}\n" for f in ROW_FLAGS if f in self.flags)
        total = f"{FLAGS['total'].code}\n" if "total" in self.flags else ""
        return (
            f'"""Print the report rows: python -m {self.module} [options]."""\n\nimport argparse\n\n'
            f"ROWS = {self.rows!r}\n\n\n"
            "def build_parser():\n"
            f'    parser = argparse.ArgumentParser(prog="{self.module}", '
            'description="Print the report rows.")\n'
            f"{args}    return parser\n\n\n"
            f"def render(args):\n    rows = list(ROWS)\n{rows_code}{self.lines_line()}\n{total}"
            "    return lines\n\n\n"
            "def main(argv=None):\n    for line in render(build_parser().parse_args(argv)):\n"
            "        print(line)\n\n\n"
            'if __name__ == "__main__":\n    main()\n'
        )

    def lines_line(self) -> str:
        name = "{name.upper() if args.upper else name}" if "upper" in self.flags else "{name}"
        sep = "{args.sep}" if "sep" in self.flags else ": "
        return f'    lines = [f"{name}{sep}{{value}}" for name, value in rows]'

    def output(self, flag: str = "", value: int = 0) -> list[str]:
        """What `render` returns with no option, or with only `flag` (given `value` when it takes one)."""
        rows = list(self.rows)
        if flag == "min":
            rows = [r for r in rows if r[1] >= value]
        elif flag == "sort":
            rows = sorted(rows, key=lambda r: r[1])
        elif flag == "reverse":
            rows = rows[::-1]
        elif flag == "limit":
            rows = rows[:value]
        lines = [
            f"{n.upper() if flag == 'upper' else n}{' | ' if flag == 'sep' else ': '}{v}" for n, v in rows
        ]
        if flag == "total":
            lines.append(f"total: {sum(v for _, v in rows)}")
        return lines

    def argv(self, flag: str, value: int) -> list[str]:
        if flag == "sep":
            return ["--sep", " | "]
        return [f"--{flag}", str(value)] if FLAGS[flag].takes else [f"--{flag}"]


def make_cli(ctx: Ctx, p: Project, flags: list[str]) -> Cli:
    """A report command in the project's package (or at the root), rows named after the domain's nouns."""
    stem = ctx.namer._fresh(CLI_STEMS)
    path = f"{p.package}/{stem}.py" if p.package else f"{stem}.py"
    module = f"{p.package}.{stem}" if p.package else stem
    values = ctx.rng.sample(range(2, 99), 4)
    return Cli(path, module, list(zip(p.nouns[:4], values, strict=True)), flags)


def flag_value(cli: Cli, flag: str) -> int:
    """A value for `flag` that changes the output (limit: fewer rows, min: drops some rows)."""
    if flag == "limit":
        return 2
    if flag == "min":
        return sorted(v for _, v in cli.rows)[1]
    return 0
