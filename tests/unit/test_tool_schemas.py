"""The tool JSON schemas shipped in entropi/defaults/tools/: valid, named by file, short."""

import json

import jsonschema
import pytest

from entropi.config import TIERS, defaults_dir, known_tools

TOOL_FILES = sorted((defaults_dir() / "tools").glob("*.json"))

# One realistic call per tool; each must validate against the tool's parameters.
SAMPLE_ARGS = {
    "filesystem.read_file": {"path": "src/app.py", "start_line": 1, "end_line": 40},
    "filesystem.write_file": {"path": "notes.md", "content": "# Notes\n"},
    "filesystem.edit_file": {"path": "a.py", "old_string": "x = 1", "new_string": "x = 2"},
    "filesystem.list_directory": {"path": "src"},
    "filesystem.glob": {"pattern": "src/**/*.py"},
    "filesystem.grep": {"pattern": "def main", "path": "src", "glob": "*.py"},
    "bash.execute": {"command": "pytest -q", "timeout_s": 120},
    "git.status": {},
    "git.diff": {"path": "src", "staged": True},
    "git.log": {"max_count": 5, "path": "README.md"},
    "git.add": {"paths": ["a.py", "b.py"]},
    "git.commit": {"message": "Fix the parser"},
    "entropi.todo_write": {
        "action": "add",
        "items": [{"id": "1", "content": "Read the parser", "status": "pending"}],
    },
    "entropi.handoff": {"tier": "code", "reason": "needs an edit"},
}


def _param_descriptions(schema: dict) -> list[str]:
    """Descriptions of every property, nested ones included."""
    found = []
    for prop in schema.get("properties", {}).values():
        found.append(prop["description"])
        if prop.get("type") == "array" and prop["items"].get("type") == "object":
            found += _param_descriptions(prop["items"])
    return found


def test_the_expected_tools_are_shipped():
    assert {p.stem for p in TOOL_FILES} == set(SAMPLE_ARGS)
    assert set(known_tools()) == set(SAMPLE_ARGS)


@pytest.mark.parametrize("path", TOOL_FILES, ids=lambda p: p.stem)
def test_tool_file_is_a_valid_schema_named_after_its_file(path):
    tool = json.loads(path.read_text(encoding="utf-8"))
    assert set(tool) == {"name", "description", "parameters"}
    assert tool["name"] == path.stem
    params = tool["parameters"]
    jsonschema.Draft202012Validator.check_schema(params)
    assert params["type"] == "object"
    assert params["additionalProperties"] is False
    assert set(params["required"]) <= set(params["properties"])


@pytest.mark.parametrize("path", TOOL_FILES, ids=lambda p: p.stem)
def test_descriptions_are_short(path):
    tool = json.loads(path.read_text(encoding="utf-8"))
    assert 0 < len(tool["description"].split()) <= 15
    for text in _param_descriptions(tool["parameters"]):
        assert 0 < len(text.split()) <= 8, text


@pytest.mark.parametrize("name", sorted(SAMPLE_ARGS))
def test_a_realistic_call_validates_and_unknown_arguments_do_not(name):
    validator = jsonschema.Draft202012Validator(known_tools()[name]["parameters"])
    validator.validate(SAMPLE_ARGS[name])
    assert not validator.is_valid({**SAMPLE_ARGS[name], "bogus": 1})


def test_todo_write_and_handoff_enums():
    tools = known_tools()
    todo = tools["entropi.todo_write"]["parameters"]["properties"]
    assert todo["action"]["enum"] == ["add", "update", "remove", "replace"]
    assert todo["items"]["items"]["properties"]["status"]["enum"] == ["pending", "in_progress", "completed"]
    assert tools["entropi.handoff"]["parameters"]["properties"]["tier"]["enum"] == list(TIERS)
    invalid = {"action": "rename", "items": []}
    assert not jsonschema.Draft202012Validator(tools["entropi.todo_write"]["parameters"]).is_valid(invalid)


def test_the_whole_set_stays_small():
    compact = json.dumps(list(known_tools().values()), separators=(",", ":"))
    assert len(compact) < 6000


def test_known_tools_returns_a_fresh_copy():
    first = known_tools()
    first["git.status"]["description"] = "changed"
    del first["git.add"]
    again = known_tools()
    assert again["git.status"]["description"] != "changed"
    assert "git.add" in again
