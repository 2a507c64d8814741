"""OLLAMA_HOST is read as Ollama's own CLI reads it (envconfig.Host); the host used at start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.config import Config, load_config
from app.hosts import resolve_host
from app.ollama.host import HOST_FORMS, InvalidHost, check_host, parse_host


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


# -- malformed hosts are refused at start -----------------------------------------------------

ACCEPTED_BY_OLLAMA = [
    "",
    "gpu-box",
    "gpu_box.lan:8080",
    ":1234",
    "[::1]:1337",
    "::1",
    "[::1",  # Ollama trims the brackets off an address
    "[fe80::1%eth0]:80",
    "http://gpu-box",
    "HTTPS://gpu-box:8443/ollama/",
    "example.com:abc",  # an invalid port falls back to the default, as in Ollama
    "0.0.0.0",
    "ollama.com",
    "héllo.example",
    ".",
]


@pytest.mark.parametrize("value", ACCEPTED_BY_OLLAMA)
def test_what_ollama_accepts_is_accepted(value):
    assert check_host(value) == parse_host(value)


MALFORMED = [
    "http://[bad",
    "[bad",
    "http://[::1]x",
    "gpu box",
    "gpu\tbox:1",
    "gpu\x1b[31m",
    "ftp://gpu-box",
    "file:///etc/passwd",
    "user:secret@gpu box:11434",  # credentials are fine (test_host_credentials.py), not the host
    "a:b:c",
    "gpu-box?x=1",
    "gpu-box#frag",
    "gpu..box",
    "-:-:-",
    "http://gpu]box",
    "x" * 64 + ".example",
]


@pytest.mark.parametrize("value", MALFORMED)
def test_malformed_hosts_are_refused_with_the_accepted_forms(value):
    with pytest.raises(InvalidHost) as caught:
        check_host(value)
    assert HOST_FORMS in str(caught.value)
    assert "[IPv6]:port" in HOST_FORMS and "scheme://host[:port][/path]" in HOST_FORMS


_LABEL = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)


@given(
    scheme=st.sampled_from(["", "http://", "https://"]),
    host=st.one_of(
        st.lists(_LABEL, min_size=1, max_size=4).map(".".join),
        st.ip_addresses(v=4).map(str),
        st.ip_addresses(v=6).map(lambda ip: f"[{ip}]"),
    ),
    port=st.one_of(st.just(""), st.integers(0, 65535).map(lambda p: f":{p}")),
    path=st.sampled_from(["", "/", "/ollama", "/a/b/"]),
)
def test_well_formed_hosts_are_accepted(scheme, host, port, path):
    value = f"{scheme}{host}{port}{path}"
    assert check_host(value) == parse_host(value)


@given(
    # Not "@": what comes before it is a user name (test_host_credentials.py).
    st.text(st.characters(exclude_characters="/:@"), min_size=1)
    .filter(lambda t: any(c in t for c in ' []?#{}|\\^<>"`'))
    .map(lambda t: f"gpu{t}box")
)
def test_hosts_with_characters_no_host_has_are_refused(value):
    # Before any ":" (a port) or "/" (a path), such a character can only be in the host.
    with pytest.raises(InvalidHost):
        check_host(value)


@given(st.text())
def test_any_text_is_either_a_host_or_refused(value):
    """Nothing else escapes: the start-up check can only accept or refuse."""
    try:
        host = check_host(value)
    except InvalidHost:
        return
    assert host.scheme in ("http", "https") and 0 <= host.port <= 65535


def test_a_bad_config_host_is_reported_and_left_out(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        'host = "gpu"\n[hosts]\nlaptop = "127.0.0.1"\ngpu = "http://[bad"\nlab = "a b"\n',
        encoding="utf-8",
    )
    config, problem = load_config(path)
    assert config.hosts == {"laptop": "127.0.0.1"}
    assert config.rejected_hosts == ("gpu", "lab") and config.host == ""
    assert problem is not None
    assert "(line 4): [hosts] 'gpu'" in problem and "[hosts] 'lab'" in problem
    assert "'host' names [hosts] 'gpu'" in problem and HOST_FORMS in problem
    # The app starts on the next source; naming a left-out entry counts as not set.
    assert resolve_host(None, config, {"OLLAMA_HOST": "10.0.0.9"}).base_url == (
        "http://10.0.0.9:11434"
    )
    assert resolve_host("gpu", config, {}).base_url == "http://127.0.0.1:11434"
    # Everything else in the file still applies.
    path.write_text('theme = "nord"\nhost = "http://[bad"\n', encoding="utf-8")
    config, problem = load_config(path)
    assert config.theme == "nord" and config.host == ""
    assert problem is not None and "(line 2): 'host'" in problem


def test_a_bad_host_argument_or_ollama_host_is_refused():
    with pytest.raises(InvalidHost):
        resolve_host("http://[bad", Config(), {})
    with pytest.raises(InvalidHost):
        resolve_host(None, Config(), {"OLLAMA_HOST": "gpu box"})


@pytest.mark.parametrize(
    ("argv", "env", "source"),
    [(["--host", "http://[bad"], {}, "--host"), ([], {"OLLAMA_HOST": "[::1]:x:y]"}, "OLLAMA_HOST")],
)
def test_the_command_exits_with_status_2(tmp_path, argv, env, source):
    """A real run of `python -m app`: status 2 and the accepted forms on stderr, no UI."""
    environ = {
        **{k: v for k, v in os.environ.items() if k != "OLLAMA_HOST"},
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-m", "app", *argv],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"olladeck: {source}: ")
    assert HOST_FORMS in done.stderr
