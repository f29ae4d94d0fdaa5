import pytest

from serve.config.loader import (
    ConfigError,
    config_from_args,
    deep_merge,
    load_config,
    parse_overrides,
)


def test_parse_overrides_nests_and_parses_yaml_values():
    assert parse_overrides(["llm.num_cpus=2", "port=9000", "llm.enabled=false"]) == {
        "llm": {"num_cpus": 2, "enabled": False},
        "port": 9000,
    }


def test_parse_overrides_rejects_bare_key():
    with pytest.raises(ConfigError, match=r"dotted\.key=value"):
        parse_overrides(["llm.num_cpus"])


def test_deep_merge_keeps_siblings():
    merged = deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}})
    assert merged == {"a": {"b": 1, "c": 3}}


def test_config_from_full_args_round_trips():
    config = load_config("gpu")
    again = config_from_args(config.model_dump(mode="json"))
    assert again == config


def test_config_from_profile_args():
    config = config_from_args({"profile": "local", "overrides": {"port": 9123}})
    assert config.port == 9123 and config.profile == "local"


def test_profile_file_with_extends(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("extends: local\nport: 8123\nllm:\n  default_max_tokens: 64\n")
    config = load_config(str(path))
    assert config.port == 8123
    assert config.llm.default_max_tokens == 64
    assert config.llm.model_id == "smollm2-135m-instruct"  # inherited


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(str(tmp_path / "absent.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("port: [1,\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(str(bad))
