"""OLLAMA_HOST is read exactly as Ollama's own CLI reads it (envconfig.Host)."""

import pytest

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
