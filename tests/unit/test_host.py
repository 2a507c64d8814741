"""OLLAMA_HOST is read as Ollama's own CLI reads it (envconfig.Host); the host used at start."""

import pytest

from app.config import Config
from app.hosts import resolve_host
from app.ollama.host import parse_host


@pytest.mark.parametrize(
    ("value", "url"),
    [
        (None, "http://127.0.0.1:11434"),
        ("", "http://127.0.0.1:11434"),
        ("   ", "http://127.0.0.1:11434"),
        ("1.2.3.4", "http://1.2.3.4:11434"),
        (".", "http://.:11434"),
        (":1234", "http://127.0.0.1:1234"),
        ("1.2.3.4:1234", "http://1.2.3.4:1234"),
        ("example.com", "http://example.com:11434"),
        ("example.com:1234", "http://example.com:1234"),
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        ("http://1.2.3.4", "http://1.2.3.4:80"),
        ("http://1.2.3.4:4321", "http://1.2.3.4:4321"),
        ("https://1.2.3.4", "https://1.2.3.4:443"),
        ("https://1.2.3.4:4321", "https://1.2.3.4:4321"),
        ("[0:0:0:0:0:0:0:0]", "http://[::1]:11434"),
        ("[::1]", "http://[::1]:11434"),
        ("::1", "http://[::1]:11434"),
        ("[::1]:1337", "http://[::1]:1337"),
        ("[fe80::1]:4321", "http://[fe80::1]:4321"),
        ("http://[::1]:1337", "http://[::1]:1337"),
        ('"1.2.3.4"', "http://1.2.3.4:11434"),
        ("'1.2.3.4:5678'", "http://1.2.3.4:5678"),
        ("example.com:abc", "http://example.com:11434"),
        ("example.com:99999", "http://example.com:11434"),
        ("http://example.com/ollama", "http://example.com:80/ollama"),
        ("https://example.com:8443/path/", "https://example.com:8443/path"),
        ("ollama.com", "https://ollama.com:443"),
    ],
)
def test_parse_host_matches_ollama(value, url):
    assert parse_host(value).base_url == url


def test_local_and_insecure_remote():
    assert parse_host("").is_local
    assert parse_host("localhost:1").is_local
    assert not parse_host("127.0.0.1").is_insecure_remote
    assert parse_host("gpu-box:11434").is_insecure_remote
    assert not parse_host("https://gpu-box").is_insecure_remote
    assert parse_host("[::1]:1").netloc == "[::1]:1"


HOSTS = {"gpu": "gpu-box:11434", "lab": "https://lab.example/ollama"}


@pytest.mark.parametrize(
    ("arg", "config_host", "env", "url"),
    [
        # --host wins over everything, as a name or as an address.
        ("gpu", "lab", "10.0.0.9", "http://gpu-box:11434"),
        ("10.0.0.1:1234", "lab", "10.0.0.9", "http://10.0.0.1:1234"),
        # Then the config's host, as a name or as an address.
        (None, "lab", "10.0.0.9", "https://lab.example:443/ollama"),
        (None, "10.0.0.2", "10.0.0.9", "http://10.0.0.2:11434"),
        ("", "lab", "10.0.0.9", "https://lab.example:443/ollama"),
        # Then OLLAMA_HOST (a [hosts] name is understood there too).
        (None, "", "10.0.0.9:4000", "http://10.0.0.9:4000"),
        (None, "", "gpu", "http://gpu-box:11434"),
        # Then Ollama's default.
        (None, "", None, "http://127.0.0.1:11434"),
        (None, "", "", "http://127.0.0.1:11434"),
        ("", "", None, "http://127.0.0.1:11434"),
        # A name that is not in [hosts] is taken as an address.
        ("cpu", "", None, "http://cpu:11434"),
    ],
)
def test_resolve_host_precedence(arg, config_host, env, url):
    config = Config(host=config_host, hosts=dict(HOSTS))
    environ = {} if env is None else {"OLLAMA_HOST": env}
    assert resolve_host(arg, config, environ).base_url == url


def test_resolve_host_without_hosts_table():
    assert resolve_host(None, Config(), {"OLLAMA_HOST": "gpu"}).base_url == "http://gpu:11434"
