"""Pull progress arithmetic, the system prompt library, named hosts, config defaults."""

from __future__ import annotations

import os
import stat

import pytest

from app.config import Config, ConfigError, parse_config
from app.hosts import conversation_host, host_name, next_host
from app.ollama.host import parse_host
from app.ollama.types import PullProgress
from app.pull import PullTracker
from app.store.prompts import PromptLibrary, PromptLibraryError, SavedPrompt


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_pull_tracker_adds_up_layers_speed_and_eta():
    clock = Clock()
    tracker = PullTracker("mistral:7b", clock=clock)
    tracker.update(PullProgress("pulling manifest"))
    assert tracker.status == "pulling manifest" and tracker.fraction == 0
    assert tracker.speed() is None and tracker.eta() is None
    digest = "sha256:" + "ab" * 32
    tracker.update(PullProgress("pulling abab", digest, total=1000, completed=0))
    clock.now += 1
    tracker.update(PullProgress("pulling abab", digest, total=1000, completed=250))
    assert tracker.fraction == 0.25
    assert tracker.speed() == pytest.approx(250)
    assert tracker.eta() == pytest.approx(3)
    layer = tracker.layers[digest]
    assert layer.eta() == pytest.approx(3)
    # A second layer appears: totals grow, the first keeps its progress.
    other = "sha256:" + "cd" * 32
    tracker.update(PullProgress("pulling cdcd", other, total=1000, completed=0))
    assert tracker.total == 2000 and tracker.completed == 250
    # Progress never goes back (lines can repeat).
    tracker.update(PullProgress("pulling abab", digest, total=1000, completed=100))
    assert layer.completed == 250
    clock.now += 10  # old samples leave the window; the speed follows what happens now
    tracker.update(PullProgress("pulling abab", digest, total=1000, completed=1000))
    assert layer.done and layer.eta() == 0
    tracker.update(PullProgress("success"))
    assert tracker.finished and tracker.fraction == 1.0 and tracker.eta() == 0
    version = tracker.version
    tracker.update(PullProgress("success"))
    assert tracker.version == version + 1


def test_prompt_library_round_trip_and_privacy(tmp_path):
    library = PromptLibrary(tmp_path / "cfg" / "prompts.toml")
    assert library.load() == []
    prompts = [SavedPrompt("zeta", "Z"), SavedPrompt("Alpha", 'Multi\nline "quoted"\n')]
    library.save(prompts)
    assert library.load() == [prompts[1], prompts[0]]  # sorted by name, text exact
    mode = stat.S_IMODE(os.stat(library.path).st_mode)
    assert mode == 0o600
    assert "schema_version = 1" in library.path.read_text()


def test_broken_prompt_library_is_reported_and_never_overwritten(tmp_path):
    path = tmp_path / "prompts.toml"
    path.write_text("prompts = [\n")
    library = PromptLibrary(path)
    with pytest.raises(PromptLibraryError, match="not valid TOML"):
        library.load()
    with pytest.raises(PromptLibraryError, match="not overwritten"):
        library.save([SavedPrompt("a", "b")])
    assert path.read_text() == "prompts = [\n"
    path.write_text('[[prompts]]\nname = ""\ntext = "x"\n')
    with pytest.raises(PromptLibraryError, match="needs a name"):
        PromptLibrary(path).load()
    path.write_text("schema_version = 9\n")
    with pytest.raises(PromptLibraryError, match="schema_version"):
        PromptLibrary(path).load()


def test_named_hosts():
    config = Config(hosts={"laptop": "127.0.0.1", "gpu": "http://gpu-box:11434"})
    assert host_name(config, parse_host("gpu-box")) == "gpu"
    assert host_name(config, parse_host("other")) == ""
    assert next_host(config, "laptop") == "gpu"
    assert next_host(config, "gpu") == "laptop"
    assert next_host(config, "") == "laptop"
    assert next_host(Config(hosts={"one": "a"}), "one") is None
    assert conversation_host(config, parse_host("127.0.0.1:11434")) == "laptop"
    assert conversation_host(config, parse_host("elsewhere")) == "http://elsewhere:11434"


def test_config_request_defaults_are_checked_like_the_editor():
    config = parse_config(
        'keep_alive = "10m"\nthink = false\nstream = false\nformat = "json"\n'
        "[options]\ntemperature = 1\nnum_ctx = 8192\n"
    )
    assert config.options == {"temperature": 1.0, "num_ctx": 8192}
    assert type(config.options["temperature"]) is float
    assert (config.keep_alive, config.think, config.stream, config.format) == (
        "10m",
        False,
        False,
        "json",
    )
    schema = parse_config('[format]\ntype = "object"\n[format.properties.name]\ntype = "string"\n')
    assert schema.format == {"type": "object", "properties": {"name": {"type": "string"}}}
    assert parse_config("keep_alive = -1").keep_alive == -1
    for text, why in [
        ("[options]\ntemperature = 9", "temperature must be a number from 0 to 5"),
        ("[options]\nbogus = 1", "not an option"),
        ('keep_alive = "5 minutes"', "keep_alive must be a duration"),
        ('think = "maybe"', "think must be"),
        ('format = "yaml"', "format must be"),
        ("stream = 1", "should be true or false"),
        ("system = true", "should be a str"),
    ]:
        with pytest.raises(ConfigError, match=why):
            parse_config(text)
