"""config.toml: defaults, a broken file named by line, and XDG dirs honoured."""

from pathlib import Path

import pytest

from app.config import Config, ConfigError, config_path, default_data_dir, load_config, parse_config


def test_missing_file_gives_defaults(tmp_path):
    config, problem = load_config(tmp_path / "nope.toml")
    assert config == Config() and problem is None


def test_valid_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        'host = "gpu"\ndefault_model = "qwen3:8b"\ntheme = "nord"\n'
        '[hosts]\ngpu = "http://gpu-box:11434"\n[options]\ntemperature = 0.3\n'
        '[keymap]\n"chat.send" = "ctrl+s"\n'
    )
    config, problem = load_config(path)
    assert problem is None
    assert config.hosts == {"gpu": "http://gpu-box:11434"}
    assert config.options == {"temperature": 0.3}
    assert config.keymap == {"chat.send": "ctrl+s"}


def test_broken_file_names_the_line_and_falls_back(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('theme = "nord"\n\nhost = \n')
    config, problem = load_config(path)
    assert config == Config()
    assert "line 3" in problem and str(path) in problem and "defaults" in problem


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("render_fps = 0", "between"),
        ("theme = 3", "should be a str"),
        ("bogus = 1", "unknown"),
        ("[hosts]\na = 1", "should be a string"),
    ],
)
def test_wrong_settings_are_named(text, match):
    with pytest.raises(ConfigError, match=match):
        parse_config(text)


def test_xdg_dirs_are_honoured(xdg: Path):
    assert config_path() == xdg / "config" / "olladeck" / "config.toml"
    assert default_data_dir() == xdg / "data" / "olladeck"
