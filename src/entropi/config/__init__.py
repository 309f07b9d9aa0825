"""entropi configuration: pydantic schema, layered loader, tier names and known tool schemas."""

from entropi.config.loader import ConfigError, find_project_root, load_config
from entropi.config.schema import (
    TIERS,
    EntropiConfig,
    LogConfig,
    ModelConfig,
    RouterConfig,
    SamplingConfig,
    TierConfig,
    TierName,
    defaults_dir,
    known_tools,
)

__all__ = [
    "TIERS",
    "ConfigError",
    "EntropiConfig",
    "LogConfig",
    "ModelConfig",
    "RouterConfig",
    "SamplingConfig",
    "TierConfig",
    "TierName",
    "defaults_dir",
    "find_project_root",
    "known_tools",
    "load_config",
]
