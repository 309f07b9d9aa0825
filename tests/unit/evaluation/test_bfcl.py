"""BFCL → EvalCase: the schema dialect mapping, answers joined by id, seeded sampling and clear errors
on small hand-written files; then every shipped subset (`../shared/eval/bfcl`, skipped when absent) loads,
maps to valid JSON Schema and keeps each answer on its own question."""

import json
from pathlib import Path

import jsonschema
import pytest

from entropi.evaluation.bfcl import (
    BFCL_DIR_ENV,
    SUBSETS,
    BfclError,
    default_bfcl_dir,
    load_bfcl,
    load_subset,
    to_json_schema,
)

REPO = Path(__file__).resolve().parents[3]
BFCL_DIR = default_bfcl_dir(REPO)
needs_bfcl = pytest.mark.skipif(
    not (BFCL_DIR / "BFCL_v4_simple_python.jsonl").is_file(), reason="no BFCL data"
)


def _function(name: str, **properties) -> dict:
    return {
        "name": name,
        "description": f"{name} it",
        "parameters": {"type": "dict", "properties": properties},
    }


def _write(path: Path, rows: list) -> None:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )


def _question(qid: str, text: str, *functions: dict) -> dict:
    return {"id": qid, "question": [[{"role": "user", "content": text}]], "function": list(functions)}


def _answer(qid: str, name: str, **args) -> dict:
    return {"id": qid, "ground_truth": [{name: args}]}


@pytest.fixture
def mini(tmp_path) -> Path:
    """Two simple_python questions (answers stored in reverse order) and one irrelevance question."""
    area = _function("geometry.area", radius={"type": "float"}, unit={"type": "string"})
    fact = _function("math.factorial", number={"type": "integer"})
    _write(
        tmp_path / "BFCL_v4_simple_python.jsonl",
        [
            _question("simple_python_0", "Area of a circle of radius 2 in cm?", area),
            "",
            _question("simple_python_1", "Factorial of 5?", area, fact),
        ],
    )
    _write(
        tmp_path / "BFCL_v4_simple_python.answers.jsonl",
        [
            _answer("simple_python_1", "math.factorial", number=[5]),
            _answer("simple_python_0", "geometry.area", radius=[2, 2.0], unit=["cm", ""]),
        ],
    )
    _write(
        tmp_path / "BFCL_v4_irrelevance.jsonl", [_question("irrelevance_0", "Who won the 1998 cup?", fact)]
    )
    return tmp_path


def test_dialect_maps_to_json_schema_recursively():
    bfcl = {
        "type": "dict",
        "required": ["point", "options"],
        "properties": {
            "point": {"type": "tuple", "items": {"type": "float"}},
            "options": {
                "type": "dict",
                "properties": {
                    "type": {
                        "type": "string",
                        "enum": ["a", "b"],
                    },  # a property named "type" stays a property
                    "weights": {
                        "type": "array",
                        "items": {"type": "dict", "properties": {"w": {"type": "float"}}},
                    },
                },
            },
            "value": {"type": "any", "description": "anything"},
            "either": {"type": ["float", "string"], "default": "dict"},
            "choice": {"anyOf": [{"type": "dict"}, {"type": "integer"}]},
        },
    }
    schema = to_json_schema(bfcl)
    assert schema["type"] == "object"
    props = schema["properties"]
    assert props["point"] == {"type": "array", "items": {"type": "number"}}
    assert props["options"]["properties"]["type"] == {"type": "string", "enum": ["a", "b"]}
    assert props["options"]["properties"]["weights"]["items"]["properties"]["w"] == {"type": "number"}
    assert props["value"] == {"description": "anything"}
    assert props["either"] == {
        "type": ["number", "string"],
        "default": "dict",
    }  # defaults are data, not types
    assert props["choice"] == {"anyOf": [{"type": "object"}, {"type": "integer"}]}
    assert bfcl["type"] == "dict"  # the input is not changed
    jsonschema.Draft202012Validator.check_schema(schema)


def test_cases_carry_tools_messages_and_answers_by_id(mini):
    cases = {case.id: case for case in load_bfcl(mini, subsets=("simple_python", "irrelevance"))}
    assert list(cases) == ["bfcl:simple_python_0", "bfcl:simple_python_1", "bfcl:irrelevance_0"]
    area = cases["bfcl:simple_python_0"]
    assert area.tier == "normal" and area.source == "bfcl" and area.tags == ["bfcl", "simple_python"]
    assert area.messages == [{"role": "user", "content": "Area of a circle of radius 2 in cm?"}]
    assert area.tools[0]["parameters"]["properties"]["radius"] == {"type": "number"}
    assert (area.expected_tool, area.accepted_args) == (
        "geometry.area",
        {"radius": [2, 2.0], "unit": ["cm", ""]},
    )
    fact = cases["bfcl:simple_python_1"]
    assert (fact.expected_tool, fact.accepted_args) == ("math.factorial", {"number": [5]})
    assert [tool["name"] for tool in fact.tools] == ["geometry.area", "math.factorial"]
    irrelevant = cases["bfcl:irrelevance_0"]
    assert irrelevant.expected_no_tool and irrelevant.expected_tool is None and irrelevant.accepted_args == {}


def test_a_system_message_is_folded_into_the_user_message(tmp_path):
    row = _question("irrelevance_0", "list movies in Oslo", _function("f"))
    row["question"][0].insert(0, {"role": "system", "content": "\nYou help with cinema tickets.\n"})
    _write(tmp_path / "BFCL_v4_irrelevance.jsonl", [row])
    (case,) = load_subset(tmp_path, "irrelevance")
    assert case.messages == [
        {"role": "user", "content": "You help with cinema tickets.\n\nlist movies in Oslo"}
    ]


@pytest.mark.parametrize(
    ("answers", "pattern"),
    [
        ([_answer("simple_python_0", "geometry.area", radius=[2])], r"simple_python\.jsonl:3: no answer for"),
        (
            [
                _answer("simple_python_0", "geometry.area"),
                _answer("simple_python_1", "math.factorial"),
                _answer("simple_python_9", "math.factorial"),
            ],
            r"answers without a question: simple_python_9",
        ),
        (
            [{"id": "simple_python_0", "ground_truth": [{"a": {}}, {"b": {}}]}],
            r"answers\.jsonl:1: ground_truth must hold exactly one",
        ),
        (
            [_answer("simple_python_0", "geometry.area", radius=2)],
            r"answers\.jsonl:1: .* needs a list of values",
        ),
        (["{oops"], r"answers\.jsonl:1: invalid JSON"),
        (
            [_answer("simple_python_0", "geometry.volume"), _answer("simple_python_1", "math.factorial")],
            r"simple_python\.jsonl:1: cannot convert 'simple_python_0': expected_tool: .*'geometry\.volume'",
        ),
    ],
)
def test_bad_files_name_file_and_line(mini, answers, pattern):
    _write(mini / "BFCL_v4_simple_python.answers.jsonl", answers)
    with pytest.raises(BfclError, match=pattern):
        load_subset(mini, "simple_python")


def test_a_question_without_functions_is_an_error(tmp_path):
    _write(tmp_path / "BFCL_v4_irrelevance.jsonl", [_question("irrelevance_0", "hello")])
    with pytest.raises(BfclError, match=r"irrelevance\.jsonl:1: cannot convert .*offers no functions"):
        load_subset(tmp_path, "irrelevance")


def test_unknown_subset_missing_file_and_bad_limit(mini, tmp_path):
    with pytest.raises(BfclError, match="unknown BFCL subset 'parallel'"):
        load_bfcl(mini, subsets=("parallel",))
    with pytest.raises(BfclError, match=r"BFCL_v4_multiple\.answers\.jsonl: cannot read"):
        load_bfcl(mini, subsets=("multiple",))
    with pytest.raises(BfclError, match="limit must be at least 1"):
        load_bfcl(mini, limit=0)


def test_default_dir_is_beside_the_repo_or_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(BFCL_DIR_ENV, raising=False)
    assert default_bfcl_dir(tmp_path / "main") == tmp_path / "shared" / "eval" / "bfcl"
    monkeypatch.setenv(BFCL_DIR_ENV, str(tmp_path / "elsewhere"))
    assert default_bfcl_dir(tmp_path / "main") == tmp_path / "elsewhere"


# ---------------------------------------------------------------- the shipped BFCL data


@pytest.fixture(scope="module")
def bfcl_cases():
    return load_bfcl(BFCL_DIR)


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@needs_bfcl
def test_all_four_subsets_load_every_question(bfcl_cases):
    for subset in SUBSETS:
        questions = _lines(BFCL_DIR / f"BFCL_v4_{subset}.jsonl")
        cases = [case for case in bfcl_cases if case.tags == ["bfcl", subset]]
        assert [case.id for case in cases] == [f"bfcl:{q['id']}" for q in questions], subset
    assert len({case.id for case in bfcl_cases}) == len(bfcl_cases)


@needs_bfcl
def test_every_shipped_schema_is_valid_json_schema(bfcl_cases):
    schemas = {json.dumps(tool["parameters"], sort_keys=True) for case in bfcl_cases for tool in case.tools}
    for text in schemas:
        jsonschema.Draft202012Validator.check_schema(json.loads(text))
        assert not any(f'"type": "{t}"' in text for t in ("dict", "float", "tuple", "any")), text[:200]


@needs_bfcl
def test_answers_attach_to_their_own_questions(bfcl_cases):
    by_id = {case.id: case for case in bfcl_cases}
    for subset in SUBSETS:
        if subset == "irrelevance":
            assert all(
                c.expected_no_tool and not c.expected_tool for c in bfcl_cases if "irrelevance" in c.tags
            )
            continue
        for answer in _lines(BFCL_DIR / f"BFCL_v4_{subset}.answers.jsonl"):
            ((name, args),) = answer["ground_truth"][0].items()
            case = by_id[f"bfcl:{answer['id']}"]
            assert (case.expected_tool, case.accepted_args) == (name, args), answer["id"]
            assert name in {tool["name"] for tool in case.tools}
    assert by_id["bfcl:simple_python_1"].accepted_args == {"number": [5]}
    assert by_id["bfcl:simple_python_1"].messages[0]["content"].startswith("Calculate the factorial of 5")
    assert by_id["bfcl:multiple_0"].expected_tool == "triangle_properties.get"
    assert by_id["bfcl:live_simple_0-0-0"].accepted_args == {"user_id": [7890], "special": ["black"]}


@needs_bfcl
def test_limit_is_a_seeded_sample_per_subset():
    first = load_bfcl(BFCL_DIR, limit=7, seed=3)
    assert [c.id for c in first] == [c.id for c in load_bfcl(BFCL_DIR, limit=7, seed=3)]
    assert [c.id for c in first] != [c.id for c in load_bfcl(BFCL_DIR, limit=7, seed=4)]
    for subset in SUBSETS:
        ids = [c.id for c in first if c.tags[1] == subset]
        assert len(ids) == 7
        numbers = [int(i.split("_")[-1].split("-")[0]) for i in ids]
        assert numbers == sorted(numbers)  # file order kept
    assert len(load_bfcl(BFCL_DIR, subsets=("multiple",), limit=10_000)) == 200
