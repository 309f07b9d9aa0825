"""Layered config loading, path resolution, error messages and the shipped defaults, on real files."""

import re
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from entropi.config import (
    TIERS,
    ConfigError,
    EntropiConfig,
    LogConfig,
    ModelConfig,
    RouterConfig,
    SamplingConfig,
    TierConfig,
    defaults_dir,
    find_project_root,
    load_config,
)

DEFAULT_TOOLS = {
    "thinking": "filesystem.read_file filesystem.list_directory filesystem.glob filesystem.grep bash.execute "
    "git.status git.diff git.log entropi.todo_write entropi.handoff",
    "code": "filesystem.read_file filesystem.write_file filesystem.edit_file filesystem.list_directory "
    "filesystem.glob filesystem.grep bash.execute git.status git.diff git.add git.commit entropi.todo_write "
    "entropi.handoff",
    "normal": "filesystem.read_file filesystem.list_directory filesystem.glob filesystem.grep git.status "
    "git.log entropi.handoff",
    "simple": "entropi.handoff",
}


class Layers:
    """Writes layer files under tmp_path and loads with an isolated home and environment."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "project"
        self.home = tmp_path / "home"
        self.root.mkdir()
        self.home.mkdir()
        self.vars = {"PATH": "/bin", "HOME": str(self.home)}

    def write(self, path: Path, text: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def home_file(self, text: str) -> Path:
        return self.write(self.home / ".entropi" / "config.yaml", text)

    def project_file(self, text: str) -> Path:
        return self.write(self.root / ".entropi" / "config.yaml", text)

    def local_file(self, text: str) -> Path:
        return self.write(self.root / ".entropi" / "config.local.yaml", text)

    def load(self, **cli: object) -> EntropiConfig:
        return load_config(self.root, env=self.vars, home=self.home, cli_overrides=cli or None)

    def error(self, **cli: object) -> str:
        with pytest.raises(ConfigError) as info:
            self.load(**cli)
        return str(info.value)


@pytest.fixture
def env(tmp_path: Path) -> Layers:
    return Layers(tmp_path)


# --- defaults -------------------------------------------------------------------------------------------


def test_defaults_load_and_match_the_spec(env):
    cfg = env.load()
    assert tuple(cfg.tiers) == TIERS
    assert cfg.model == ModelConfig()
    assert cfg.router == RouterConfig()
    assert cfg.log.path == env.root.resolve() / ".entropi" / "session_model.log"
    assert (cfg.log.enabled, cfg.log.max_bytes) == (True, 50_000_000)
    expected = {
        "thinking": (0.6, 0.95, 20, 1536, True),
        "normal": (0.7, 0.8, 20, 768, False),
        "code": (0.2, 0.95, 20, 1024, False),
        "simple": (0.7, 0.8, 20, 256, False),
    }
    for name, (temp, top_p, top_k, max_tokens, thinking) in expected.items():
        tier = cfg.tier(name)
        s = tier.sampling
        assert (s.temperature, s.top_p, s.top_k, s.max_tokens, tier.thinking) == (
            temp,
            top_p,
            top_k,
            max_tokens,
            thinking,
        )
        assert tier.tools == DEFAULT_TOOLS[name].split()
        assert tier.lora_path is None and tier.lora_scale == 1.0
        assert tier.system_prompt == defaults_dir() / "prompts" / f"identity_{name}.md"


def _fields(model: type[BaseModel]) -> dict[str, type[BaseModel] | None]:
    out = {}
    for name, field in model.model_fields.items():
        ann = field.annotation
        out[name] = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    return out


def _assert_spelled_out(data: dict, model: type[BaseModel], where: str) -> None:
    assert set(data) == set(model.model_fields), where
    for name, sub in _fields(model).items():
        if sub is not None:
            _assert_spelled_out(data[name], sub, f"{where}.{name}")


def test_default_yaml_spells_out_every_key_with_a_comment():
    text = (defaults_dir() / "config.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    _assert_spelled_out(data["model"], ModelConfig, "model")
    _assert_spelled_out(data["router"], RouterConfig, "router")
    _assert_spelled_out(data["log"], LogConfig, "log")
    assert set(data["tiers"]) == set(TIERS)
    for name in TIERS:
        _assert_spelled_out(data["tiers"][name], TierConfig, f"tiers.{name}")
        _assert_spelled_out(data["tiers"][name]["sampling"], SamplingConfig, f"tiers.{name}.sampling")
    keyed_lines = [line for line in text.splitlines() if re.match(r"\s*\w+:\s*\S", line)]
    assert keyed_lines and all(" # " in line for line in keyed_lines)


@pytest.mark.parametrize("name", TIERS)
def test_tier_prompts_are_short(name):
    text = (defaults_dir() / "prompts" / f"identity_{name}.md").read_text(encoding="utf-8")
    assert 0 < len(text) <= 600
    assert name in text


def test_thinking_prompt_states_the_protocol():
    text = (defaults_dir() / "prompts" / "identity_thinking.md").read_text(encoding="utf-8")
    for needle in ("<think>", "entropi.todo_write", "<tool_call>", '"arguments"'):
        assert needle in text


def test_tier_lookup_of_unknown_name_is_a_clear_error(env):
    with pytest.raises(KeyError, match="unknown tier 'fast'"):
        env.load().tier("fast")


def test_schema_requires_all_four_tiers(env):
    tiers = env.load().model_dump()["tiers"]
    del tiers["code"]
    with pytest.raises(ValidationError, match="missing tiers: code"):
        EntropiConfig.model_validate({"tiers": tiers})


# --- layers ---------------------------------------------------------------------------------------------


def test_home_file_overrides_defaults(env):
    env.home_file("model: {n_ctx: 1024}")
    assert env.load().model.n_ctx == 1024


def test_project_file_overrides_home(env):
    env.home_file("model: {n_ctx: 1024, n_batch: 64}")
    env.project_file("model: {n_ctx: 2048}")
    cfg = env.load()
    assert (cfg.model.n_ctx, cfg.model.n_batch) == (2048, 64)


def test_local_file_overrides_project(env):
    env.project_file("model: {n_ctx: 2048}")
    env.local_file("model: {n_ctx: 3072}")
    assert env.load().model.n_ctx == 3072


def test_env_overrides_files_with_yaml_typed_values(env):
    env.local_file("model: {n_ctx: 3072, n_threads: 2}\nrouter: {enabled: true}")
    env.vars |= {
        "ENTROPI_MODEL__N_CTX": "4096",
        "ENTROPI_MODEL__N_THREADS": "null",
        "ENTROPI_ROUTER__ENABLED": "false",
        "ENTROPI_TIERS__CODE__LORA_SCALE": "0.5",
        "ENTROPI_TIERS__SIMPLE__TOOLS": "[]",
    }
    cfg = env.load()
    assert (cfg.model.n_ctx, cfg.model.n_threads, cfg.router.enabled) == (4096, None, False)
    assert cfg.tier("code").lora_scale == 0.5
    assert cfg.tier("simple").tools == []


def test_cli_overrides_env(env):
    env.vars["ENTROPI_MODEL__N_CTX"] = "4096"
    overrides = {"model": {"n_ctx": 6144}, "tiers": {"code": {"sampling": {"seed": 7}}}}
    cfg = env.load(**overrides)
    assert cfg.model.n_ctx == 6144
    assert cfg.tier("code").sampling.seed == 7
    assert overrides == {"model": {"n_ctx": 6144}, "tiers": {"code": {"sampling": {"seed": 7}}}}


def test_nested_mappings_merge_but_lists_replace(env):
    env.project_file("tiers:\n  code:\n    sampling: {temperature: 0.0}\n    tools: [git.status]\n")
    code = env.load().tier("code")
    assert code.sampling.temperature == 0.0
    assert code.sampling.max_tokens == 1024  # sibling keys survive
    assert code.tools == ["git.status"]


def test_empty_file_and_empty_section_change_nothing(env):
    env.home_file("")
    env.project_file("# only a comment\n")
    env.local_file("model:\n  # n_ctx: 1\nrouter:\n")
    assert env.load() == load_config(env.root, env={}, home=env.home / "nowhere")


# --- path resolution ------------------------------------------------------------------------------------


def test_relative_paths_resolve_against_the_setting_file(env):
    env.write(env.home / ".entropi" / "prompts" / "home.md", "home prompt")
    env.write(env.root / ".entropi" / "local.md", "local prompt")
    env.home_file("tiers: {normal: {system_prompt: prompts/home.md}}")
    env.project_file("model: {path: ../models/base.gguf}\ntiers: {code: {lora_path: adapters/code}}")
    env.local_file("tiers: {simple: {system_prompt: local.md}}")
    cfg = env.load()
    dot = env.root.resolve() / ".entropi"
    assert cfg.tier("normal").system_prompt == env.home / ".entropi" / "prompts" / "home.md"
    assert cfg.model.path == dot / "../models/base.gguf"
    assert cfg.tier("code").lora_path == dot / "adapters/code"  # not required to exist
    assert cfg.tier("simple").system_prompt == dot / "local.md"
    assert cfg.tier("code").system_prompt == defaults_dir() / "prompts" / "identity_code.md"


def test_env_and_cli_paths_resolve_against_the_project_root(env):
    env.write(env.root / "prompts" / "code.md", "code prompt")
    env.vars["ENTROPI_TIERS__CODE__SYSTEM_PROMPT"] = "prompts/code.md"
    cfg = env.load(router={"lora_path": Path("adapters/router.gguf")})
    root = env.root.resolve()
    assert cfg.tier("code").system_prompt == root / "prompts" / "code.md"
    assert cfg.router.lora_path == root / "adapters" / "router.gguf"


def test_tilde_expands_and_absolute_paths_stay(env, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(env.home))
    template = env.write(tmp_path / "t.jinja", "{{ messages }}")
    env.project_file(f"model: {{path: ~/models/x.gguf, chat_template_file: {template}}}")
    cfg = env.load()
    assert cfg.model.path == env.home / "models" / "x.gguf"
    assert cfg.model.chat_template_file == template


def test_log_path_resolves_against_the_project_root_from_any_layer(env):
    env.home_file("log: {path: logs/model.log}")
    assert env.load().log.path == env.root.resolve() / "logs" / "model.log"


# --- errors ---------------------------------------------------------------------------------------------


def test_yaml_syntax_error_names_file_and_line(env):
    path = env.project_file("model:\n  n_ctx: 1024\n  n_batch: [64\n")
    message = env.error()
    assert str(path) in message and "YAML syntax error at line" in message


def test_top_level_must_be_a_mapping(env):
    path = env.local_file("- model\n- router\n")
    message = env.error()
    assert str(path) in message and "top level must be a mapping" in message and "a list" in message


def test_unknown_key_suggests_a_close_match(env):
    path = env.project_file("model: {n_ctxx: 1024}")
    message = env.error()
    assert f"{path}: model.n_ctxx: unknown key 'n_ctxx'; did you mean 'n_ctx'?" in message


def test_unknown_key_without_close_match_lists_allowed_keys(env):
    env.home_file("tiers: {code: {sampling: {zzz: 1}}}")
    message = env.error()
    assert "tiers.code.sampling.zzz: unknown key 'zzz'; allowed: temperature, top_p" in message


def test_unknown_top_level_section(env):
    env.project_file("modle: {}")
    assert "modle: unknown key 'modle'; did you mean 'model'?" in env.error()


def test_wrong_type_names_value(env):
    path = env.project_file("model: {n_ctx: lots}")
    message = env.error()
    assert f"{path}: model.n_ctx: Input should be a valid integer" in message and "'lots'" in message


def test_wrong_types_for_paths_and_list_items(env):
    path = env.project_file("model: {path: 5}\ntiers: {code: {tools: [git.status, 3]}}")
    message = env.error()
    assert f"{path}: model.path: Input should be a path (got 5)" in message
    assert f"{path}: tiers.code.tools.1: Input should be a valid string (got 3)" in message


def test_out_of_range_value(env):
    path = env.local_file("tiers: {code: {sampling: {temperature: -1}}}")
    message = env.error()
    assert f"{path}: tiers.code.sampling.temperature: Input should be greater than or equal to 0" in message
    assert "(got -1)" in message


def test_unknown_tier(env):
    path = env.project_file("tiers: {cod: {lora_scale: 0.5}}")
    message = env.error()
    assert f"{path}: tiers.cod: unknown tier 'cod'; did you mean 'code'?" in message
    assert message.count("tiers.cod") == 1


def test_unknown_default_tier_for_router(env):
    env.vars["ENTROPI_ROUTER__DEFAULT_TIER"] = "fast"
    message = env.error()
    assert "environment variable ENTROPI_ROUTER__DEFAULT_TIER: router.default_tier:" in message
    assert "'fast'" in message


def test_unknown_tool_suggests_a_close_match(env):
    path = env.project_file("tiers: {code: {tools: [filesystem.reed_file]}}")
    message = env.error()
    assert f"{path}: tiers.code.tools: unknown tool 'filesystem.reed_file'" in message
    assert "did you mean 'filesystem.read_file'?" in message


def test_unknown_tool_without_match_lists_known_tools(env):
    env.project_file("tiers: {code: {tools: [web.fetch]}}")
    assert "unknown tool 'web.fetch'; known tools: bash.execute" in env.error()


def test_duplicate_tool(env):
    env.project_file("tiers: {normal: {tools: [git.log, git.log]}}")
    assert "tiers.normal.tools: tool 'git.log' is listed twice" in env.error()


def test_missing_system_prompt_file(env):
    path = env.project_file("tiers: {code: {system_prompt: prompts/missing.md}}")
    message = env.error()
    assert f"{path}: tiers.code.system_prompt: system prompt file not found" in message
    assert str(path.parent / "prompts" / "missing.md") in message


def test_missing_chat_template_file(env):
    env.vars["ENTROPI_MODEL__CHAT_TEMPLATE_FILE"] = "nope.jinja"
    message = env.error()
    assert "environment variable ENTROPI_MODEL__CHAT_TEMPLATE_FILE: model.chat_template_file" in message
    assert "chat template file not found" in message


@pytest.mark.parametrize(
    "name",
    ["ENTROPI_MODEL", "ENTROPI_MODEL_N_CTX", "ENTROPI_MODEL__", "ENTROPI_MODEL___N_CTX", "ENTROPI___X"],
)
def test_malformed_env_var_name(env, name):
    env.vars[name] = "1"
    message = env.error()
    assert f"environment variable {name}: malformed name" in message and "ENTROPI_<SECTION>__<KEY>" in message


def test_env_vars_outside_the_config_are_ignored(env):
    env.vars |= {"ENTROPI_CACHE_DIR": "/tmp/cache", "ENTROPI_MODELS_DIR": "m", "MODEL__N_CTX": "1"}
    assert env.load().model.n_ctx == 8192


def test_env_value_must_be_yaml(env):
    env.vars["ENTROPI_TIERS__CODE__TOOLS"] = "[git.status"
    message = env.error()
    assert (
        "environment variable ENTROPI_TIERS__CODE__TOOLS: tiers.code.tools: value is not valid YAML"
        in message
    )


def test_env_unknown_key_names_the_variable(env):
    env.vars["ENTROPI_LOG__MAX_BYTE"] = "2000000"
    message = env.error()
    assert "environment variable ENTROPI_LOG__MAX_BYTE: log.max_byte: unknown key" in message
    assert "did you mean 'max_bytes'?" in message


def test_cli_errors_name_the_command_line(env):
    message = env.error(log={"max_bytes": 10})
    assert "command line: log.max_bytes: Input should be greater than or equal to 1000000" in message


def test_cli_overrides_must_be_a_mapping(env):
    with pytest.raises(ConfigError, match="command line: overrides must be a mapping"):
        load_config(env.root, env={}, home=env.home, cli_overrides=["model"])  # type: ignore[arg-type]


def test_a_section_replaced_by_a_scalar_is_reported(env):
    env.project_file("model: 5")
    message = env.error()
    assert ".entropi/config.yaml: model: Input should be a valid dictionary" in message


def test_setting_keys_inside_a_scalar_names_both_sources(env):
    path = env.project_file("tiers: {code: {sampling: fast}}")
    env.vars["ENTROPI_TIERS__CODE__SAMPLING__SEED"] = "3"
    message = env.error()
    assert "environment variable ENTROPI_TIERS__CODE__SAMPLING__SEED: tiers.code.sampling:" in message
    assert f"{path} set to 'fast'" in message


def test_empty_path_is_an_error(env):
    path = env.project_file("model: {path: ''}")
    assert f"{path}: model.path: empty path; use null for none" in env.error()
    env.project_file("log: {path: ''}")
    assert "log.path: empty path" in env.error()


def test_unreadable_config_file(env):
    (env.root / ".entropi" / "config.yaml").mkdir(parents=True)
    assert "config.yaml: cannot read the file" in env.error()


def test_several_problems_are_listed_together(env):
    path = env.project_file("model: {n_ctx: 1, n_batch: 1}\nrouter: {max_input_tokens: 0}")
    env.vars["ENTROPI_TIERS__SIMPLE__THINKING"] = "maybe"
    message = env.error()
    assert message.startswith("invalid entropi configuration:\n")
    lines = [line for line in message.splitlines() if line.startswith("  - ")]
    assert len(lines) == 4
    assert any(line.startswith(f"  - {path}: model.n_ctx:") for line in lines)
    assert any(line.startswith(f"  - {path}: model.n_batch:") for line in lines)
    assert any(line.startswith(f"  - {path}: router.max_input_tokens:") for line in lines)
    assert any("ENTROPI_TIERS__SIMPLE__THINKING: tiers.simple.thinking:" in line for line in lines)


# --- project root ---------------------------------------------------------------------------------------


def test_find_project_root_picks_the_nearest_marker(tmp_path):
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "sub" / ".entropi").mkdir(parents=True)
    deep = tmp_path / "repo" / "sub" / "a" / "b"
    deep.mkdir(parents=True)
    assert find_project_root(deep, home=tmp_path / "h") == tmp_path / "repo" / "sub"
    assert find_project_root(tmp_path / "repo", home=tmp_path / "h") == tmp_path / "repo"


def test_find_project_root_accepts_a_git_file(tmp_path):
    (tmp_path / "worktree").mkdir()
    (tmp_path / "worktree" / ".git").write_text("gitdir: /elsewhere\n")
    (tmp_path / "worktree" / "src").mkdir()
    assert find_project_root(tmp_path / "worktree" / "src", home=tmp_path / "h") == tmp_path / "worktree"


def test_find_project_root_without_marker_returns_start(tmp_path):
    start = tmp_path / "plain"
    start.mkdir()
    assert find_project_root(start, home=tmp_path / "h") == start


def test_home_entropi_dir_is_not_a_project_marker(tmp_path):
    home = tmp_path / "home"
    (home / ".entropi").mkdir(parents=True)
    (home / "scratch").mkdir()
    assert find_project_root(home / "scratch", home=home) == home / "scratch"
