"""Configuration: the pydantic schema, the shipped profiles and their loader."""

from serve.config.loader import ConfigError, config_from_args, load_config
from serve.config.schema import AppConfig

__all__ = ["AppConfig", "ConfigError", "config_from_args", "load_config"]
