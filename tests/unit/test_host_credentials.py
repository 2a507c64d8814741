"""Credentials in a host (`http://user:password@host:port`) and every loopback form."""

from __future__ import annotations

import base64

import pytest

from app.config import Config
from app.hosts import conversation_host, resolve_host
from app.ollama.client import OllamaClient
from app.ollama.errors import OllamaConnectionError, OllamaResponseError
from app.ollama.host import MASK, InvalidHost, check_host, parse_host


@pytest.mark.parametrize(
    ("value", "url", "user", "password"),
    [
        ("http://user:password@example.com:8080", "http://example.com:8080", "user", "password"),
        ("https://user:pw@example.com/ollama", "https://example.com:443/ollama", "user", "pw"),
        ("user:pw@example.com", "http://example.com:11434", "user", "pw"),
        ("http://user@example.com", "http://example.com:80", "user", ""),
        # Percent-decoded; the userinfo ends at the last `@`.
        ("http://a%40b:p%3Aw%20d@[::1]:1", "http://[::1]:1", "a@b", "p:w d"),
        ("http://user:p@ss@10.0.0.1:2", "http://10.0.0.1:2", "user", "p@ss"),
    ],
)
def test_credentials_are_parsed_and_kept_out_of_the_url(value, url, user, password):
    host = check_host(value)
    assert host.base_url == url
    assert (host.username, host.password) == (user, password)
    assert str(host) == url
    assert password not in repr(host) or not password
    shown = f"{user}:{MASK}@{host.netloc}" if password else f"{user}@{host.netloc}"
    assert host.label == shown


def test_a_host_without_credentials_is_shown_as_before():
    host = parse_host("example.com:1")
    assert not host.has_credentials and host.label == "example.com:1"


def test_what_a_conversation_records_has_no_password():
    host = resolve_host(None, Config(), {"OLLAMA_HOST": "http://u:hunter2@127.0.0.1:9"})
    assert conversation_host(Config(), host) == "http://127.0.0.1:9"


def test_a_refused_host_does_not_repeat_its_password():
    with pytest.raises(InvalidHost) as caught:
        check_host("ftp://user:hunter2@example.com")
    assert "hunter2" not in str(caught.value) and f"user:{MASK}@example.com" in str(caught.value)


@pytest.mark.parametrize(
    "value",
    ["[::ffff:127.0.0.1]:1", "http://[::ffff:127.0.0.2]:1", "[::1]:1", "127.9.9.9", "LOCALHOST:1"],
)
def test_every_loopback_form_is_local(value):
    host = check_host(value)
    assert host.is_local and not host.is_insecure_remote


@pytest.mark.parametrize("value", ["[::ffff:10.0.0.1]:1", "[::ffff:192.168.1.1]", "10.0.0.1"])
def test_other_addresses_are_remote(value):
    assert parse_host(value).is_insecure_remote


async def test_credentials_are_sent_as_basic_auth(demo_server):
    demo_server.basic_auth = ("alice", "p@ss word")
    without = OllamaClient(parse_host(demo_server.url))
    with pytest.raises(OllamaResponseError) as caught:
        await without.version()
    assert caught.value.status == 401
    await without.aclose()
    port = demo_server.port
    client = OllamaClient(parse_host(f"http://alice:p%40ss%20word@127.0.0.1:{port}"))
    assert await client.version() == demo_server.version
    await client.aclose()
    token = base64.b64encode(b"alice:p@ss word").decode()
    assert demo_server.requests[-1].headers["authorization"] == f"Basic {token}"
    assert demo_server.requests[-1].path == "/api/version"


async def test_a_connection_error_shows_the_user_not_the_password(demo_server):
    # A port nothing listens on: the demo server's, once it is stopped, would race; 9 is
    # the discard port, closed on test machines.
    client = OllamaClient(parse_host("http://alice:hunter2@127.0.0.1:9"))
    with pytest.raises(OllamaConnectionError) as caught:
        await client.version()
    await client.aclose()
    assert "hunter2" not in caught.value.message
    assert f"alice:{MASK}@127.0.0.1:9" in caught.value.message


def test_a_password_recorded_by_an_older_version_is_dropped(tmp_path):
    """Older versions recorded `http://[user:password@host:port]:80`: it is read without
    the credentials, and saved without them."""
    from app.models import Conversation
    from app.store import ConversationStore
    from app.store.codec import conversation_document, from_document

    mangled = "http://[alice:hunter2@gpu-box:8080]:80"
    doc = conversation_document(Conversation(title="t", model="m"))
    doc["host"] = mangled
    assert from_document(doc).host == "http://gpu-box:8080"
    store = ConversationStore(tmp_path / "data")
    assert store.save(Conversation(title="t", model="m", host=mangled))
    (path,) = store.conversations_dir.glob("*.toml")
    assert b"hunter2" not in path.read_bytes() and b"gpu-box:8080" in path.read_bytes()
    assert from_document(conversation_document(Conversation(host="gpu"))).host == "gpu"
