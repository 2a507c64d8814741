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
        ("render_fps = 0", r"\(line 1\): 'render_fps' should be between"),
        ("# a comment\ntheme = 3", r"\(line 2\): 'theme' should be a string"),
        ('theme = "nord"\nrender_fps = "fast"', r"\(line 2\): 'render_fps' should be an integer"),
        ("keep_alive = true", "should be a string or a number"),
        ("stream = 1", "should be true or false"),
        ("\n\nbogus = 1", r"\(line 3\): unknown setting"),
        ('[hosts]\nb = "x"\na = 1', r"\(line 3\): \[hosts\] 'a' should be a string"),
        ('[hosts]\na = "x"\n[keymap]\na = 1', r"\(line 4\): \[keymap\] 'a' should be a string"),
    ],
)
def test_wrong_settings_are_named(text, match):
    with pytest.raises(ConfigError, match=match):
        parse_config(text)


def test_xdg_dirs_are_honoured(xdg: Path):
    assert config_path() == xdg / "config" / "olladeck" / "config.toml"
    assert default_data_dir() == xdg / "data" / "olladeck"


def test_keymap_key_names_that_name_no_key_are_reported_with_the_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('theme = "nord"\n[keymap]\n"chat.send" = "enterr"\n"app.help" = "f12"\n')
    config, problem = load_config(path)
    # The binding keeps its default keys (Enter still sends); the others apply.
    assert config.keymap == {"app.help": "f12"}
    assert problem is not None
    assert "(line 3): [keymap] 'chat.send': 'enterr' is not a key name" in problem
    assert "default keys are kept" in problem
    config = parse_config('[keymap]\n"chat.send" = "ctrl+s, contrl+x"\n"view.list" = "ctrl+]"\n')
    assert config.keymap == {}
    assert [line.split(": ", 1)[1] for line in config.keymap_problems] == [
        "[keymap] 'chat.send': 'contrl+x' is not a key name (F1 shows the names); its "
        "default keys are kept.",
        "[keymap] 'view.list': 'ctrl+]' is not a key name (F1 shows the names); its "
        "default keys are kept.",
    ]
