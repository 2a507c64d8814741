"""The Ollama client against the simulated server over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import socket
import time
from contextlib import aclosing

import pytest

from app.demo import Fault
from app.ollama.client import OllamaClient, OllamaTimeoutError
from app.ollama.errors import (
    CapabilityError,
    ModelNotFoundError,
    NotOllamaError,
    OllamaConnectionError,
    OllamaDisconnectedError,
    OllamaProtocolError,
    OllamaResponseError,
    OllamaStreamError,
)
from app.ollama.host import parse_host

USER = [{"role": "user", "content": "hello"}]


@pytest.fixture(params=["raw", "httpx"])
async def client(demo_server, request):
    """A client reading streamed chat bodies from the connection (`raw`, the default) or
    through httpx chunk by chunk: every test here holds for both."""
    client = OllamaClient(parse_host(demo_server.url))
    client.raw_reads = request.param == "raw"
    yield client
    await client.aclose()


async def collect(client, body):
    content, thinking, chunks = [], [], []
    async with aclosing(client.chat_stream(body)) as stream:
        async for chunk in stream:
            chunks.append(chunk)
            content.append(chunk.content)
            thinking.append(chunk.thinking)
    return "".join(content), "".join(thinking), chunks


async def test_version_tags_show_ps(client):
    assert await client.version() == "0.13.0"
    names = [m.name for m in await client.tags()]
    assert "llama3.2:latest" in names and "deepseek-r1:8b" in names
    llava = next(m for m in await client.tags() if m.name == "llava:7b")
    assert llava.parameter_size == "7B" and llava.quantization_level == "Q4_0" and llava.size > 0
    details = await client.show("llava:7b")
    assert details.supports("vision") and not details.supports("tools")
    assert details.context_length == 32768
    assert "FROM llava:7b" in details.modelfile and details.license
    assert await client.ps() == []


async def test_streamed_chat_ends_with_stats(client):
    content, thinking, chunks = await collect(client, {"model": "llama3.2", "messages": USER})
    assert "Welcome to the olladeck demo" in content and thinking == ""
    last = chunks[-1]
    assert last.done and last.done_reason == "stop"
    assert last.metrics["eval_count"] == len(chunks) - 1
    assert set(last.metrics) >= {"total_duration", "prompt_eval_count", "eval_duration"}
    assert all(not c.done for c in chunks[:-1])


async def test_thinking_arrives_before_content(client):
    body = {"model": "deepseek-r1:8b", "messages": USER, "think": True}
    _content, thinking, chunks = await collect(client, body)
    assert thinking.startswith("The user wrote")
    first_content = next(i for i, c in enumerate(chunks) if c.content)
    assert all(not c.thinking for c in chunks[first_content:])


async def test_non_streamed_chat(demo_server, client):
    reply = await client.chat({"model": "llama3.2", "messages": USER})
    assert reply.done and "Welcome" in reply.content
    assert demo_server.chat_requests()[-1]["stream"] is False


async def test_load_and_unload(demo_server, client):
    loaded = await client.load("llava:7b", keep_alive="10m")
    assert loaded.done_reason == "load"
    assert [m.name for m in await client.ps()] == ["llava:7b"]
    assert demo_server.chat_requests()[-1] == {
        "model": "llava:7b",
        "messages": [],
        "keep_alive": "10m",
        "stream": False,
    }
    unloaded = await client.unload("llava:7b")
    assert unloaded.done_reason == "unload"
    assert demo_server.chat_requests()[-1]["keep_alive"] == 0
    assert await client.ps() == []


async def test_pull_progress_then_success_and_delete(demo_server, client):
    demo_server.pull_seconds = 0.05
    progress = [p async for p in client.pull("tinyllama")]
    assert progress[0].status == "pulling manifest" and progress[-1].status == "success"
    layer = [p for p in progress if p.total]
    assert layer[-1].completed == layer[-1].total
    assert "tinyllama:latest" in [m.name for m in await client.tags()]
    await client.delete("tinyllama")
    assert "tinyllama:latest" not in [m.name for m in await client.tags()]
    with pytest.raises(ModelNotFoundError):
        await client.delete("tinyllama")


async def test_pull_of_unknown_model_is_an_error_line(client):
    with pytest.raises(OllamaStreamError, match="file does not exist"):
        async for _ in client.pull("no-such-model"):
            pass


async def test_missing_model_carries_ollamas_text(client):
    with pytest.raises(ModelNotFoundError) as caught:
        await collect(client, {"model": "nope", "messages": USER})
    assert caught.value.status == 404
    assert "model 'nope' not found" in caught.value.message
    # The app's own Pull tab, not the CLI; asking again cannot help.
    assert caught.value.hint == "Pull it on the Pull tab of the models screen (F3)."
    assert "ollama pull" not in caught.value.hint
    assert caught.value.permanent


@pytest.mark.parametrize(("status", "text"), [(400, "bad request"), (500, "CUDA out of memory")])
async def test_http_errors_carry_ollamas_text(demo_server, client, status, text):
    demo_server.inject(Fault("http_error", status=status, message=text))
    with pytest.raises(OllamaResponseError) as caught:
        await collect(client, {"model": "llama3.2", "messages": USER})
    assert caught.value.status == status and caught.value.error == text
    assert text in caught.value.message


async def test_capability_errors_from_the_server(demo_server, client):
    with pytest.raises(CapabilityError, match=r'"llama3\.2" does not support thinking') as caught:
        await collect(client, {"model": "llama3.2", "messages": USER, "think": True})
    assert caught.value.capability == "thinking" and caught.value.permanent
    assert "Ctrl+T" in caught.value.hint
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    with pytest.raises(CapabilityError, match="does not support tools") as caught:
        await collect(client, {"model": "llava:7b", "messages": USER, "tools": tools})
    assert caught.value.capability == "tools" and "Ctrl+G" in caught.value.hint
    # An embedding model cannot chat, not even to be loaded.
    demo_server.add_model("nomic-embed-text")
    body = {"model": "nomic-embed-text", "messages": USER}
    with pytest.raises(CapabilityError, match='"nomic-embed-text" does not support chat') as c:
        await collect(client, body)
    assert c.value.status == 400 and c.value.capability == "chat" and c.value.permanent
    with pytest.raises(CapabilityError, match="does not support chat"):
        await client.load("nomic-embed-text")
    details = await client.show("nomic-embed-text")
    assert details.capabilities == ("embedding",) and details.embedding_only
    assert not (await client.show("llama3.2")).embedding_only
    # The most recently pulled model is listed first, as Ollama lists them.
    assert (await client.tags())[0].name == "nomic-embed-text:latest"


@pytest.mark.parametrize(
    ("kind", "error", "match"),
    [
        ("error_line", OllamaStreamError, "an injected failure"),
        ("disconnect", OllamaDisconnectedError, "closed before the reply"),
        ("no_done", OllamaDisconnectedError, "without its final line"),
        ("garbage", OllamaProtocolError, "not JSON"),
    ],
)
async def test_mid_stream_faults_are_typed(demo_server, client, kind, error, match):
    demo_server.inject(Fault(kind, after=5))
    received = []
    with pytest.raises(error, match=match):
        async with aclosing(client.chat_stream({"model": "llama3.2", "messages": USER})) as s:
            async for chunk in s:
                received.append(chunk.content)
    assert len(received) == 5  # what came before the fault was delivered


async def test_split_writes_reassemble_multibyte_text(demo_server, client):
    demo_server.split_writes = True
    prompt = "héllo ✓ 日本語 🎉 " * 3
    content, _, chunks = await collect(
        client, {"model": "llama3.2", "messages": [{"role": "user", "content": prompt}]}
    )
    assert prompt.strip()[:40] in content
    assert chunks[-1].done


async def test_images_are_received_as_base64(demo_server, client):
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 30).decode()
    body = {
        "model": "llava:7b",
        "messages": [{"role": "user", "content": "what?", "images": [png]}],
    }
    content, _, _ = await collect(client, body)
    assert "a PNG file of 38 bytes" in content


async def test_connection_refused_is_told_apart():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: refused
        client = OllamaClient(parse_host(f"127.0.0.1:{port}"))
        with pytest.raises(OllamaConnectionError) as caught:
            await client.version()
    assert caught.value.reason == "refused"
    assert f"127.0.0.1:{port}" in caught.value.message
    assert "ollama serve" in caught.value.hint


async def test_dns_failure_is_told_apart():
    client = OllamaClient(parse_host("no-such-host.invalid"), connect_timeout=5)
    with pytest.raises(OllamaConnectionError) as caught:
        await client.version()
    assert caught.value.reason in ("dns", "timeout")
    if caught.value.reason == "dns":
        assert "could not be resolved" in caught.value.message


async def test_connect_timeout_is_short_and_told_apart():
    # A listening socket whose accept queue is full drops new SYNs, so connect() hangs.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        client = OllamaClient(parse_host(f"127.0.0.1:{port}"), connect_timeout=0.5)
        started = time.monotonic()
        with pytest.raises(OllamaConnectionError) as caught:
            await client.version()
        if caught.value.reason != "timeout":
            pytest.skip("this kernel does not drop SYNs on a full accept queue")
        assert time.monotonic() - started < 3
        assert "timed out" in caught.value.message
    finally:
        for filler in fillers:
            filler.close()
        server.close()


async def test_short_request_to_a_hung_server_times_out(demo_server):
    demo_server.inject(Fault("hang", path="/api/tags"))
    client = OllamaClient(parse_host(demo_server.url), request_timeout=0.3)
    with pytest.raises(OllamaTimeoutError, match="did not answer"):
        await client.tags()
    await client.aclose()


async def test_hung_stream_has_no_read_timeout_but_cancels_at_once(demo_server, client):
    demo_server.inject(Fault("hang_after", after=2))
    received = []

    async def consume():
        async with aclosing(client.chat_stream({"model": "llama3.2", "messages": USER})) as s:
            async for chunk in s:
                received.append(chunk)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.5)
    assert not task.done() and len(received) == 2  # waiting, no timeout
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 0.5


async def test_slow_first_token_is_waited_for(demo_server, client):
    demo_server.inject(Fault("slow_first_token", delay=0.4))
    started = time.monotonic()
    content, _, _ = await collect(client, {"model": "llama3.2", "messages": USER})
    assert time.monotonic() - started >= 0.4 and content


async def test_a_chat_body_is_encoded_off_the_event_loop(demo_server, monkeypatch):
    import threading

    from app.ollama import client as module

    threads = []
    real = module._dumps

    def recording(body):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(body)

    monkeypatch.setattr(module, "_dumps", recording)
    client = OllamaClient(parse_host(demo_server.url))
    try:
        image = base64.b64encode(b"\x89PNG" + bytes(2_000_000)).decode()
        body = {
            "model": "llava:7b",
            "messages": [{"role": "user", "content": "see", "images": [image]}],
            "stream": False,
        }
        await client.chat(body)
    finally:
        await client.aclose()
    assert threads == [False]
    assert demo_server.chat_requests()[-1]["messages"][0]["images"] == [image]


async def test_raw_reads_are_used_and_the_next_request_works(demo_server, client, monkeypatch):
    """A streamed chat is read from the connection itself (when the client may): the
    connection is then closed, and the requests after it (a stopped stream included)
    simply open a new one."""
    from app.ollama import client as client_module

    used = []
    real = client_module.raw_body

    def spying(response):
        body = real(response)
        used.append(body is not None)
        return body

    monkeypatch.setattr(client_module, "raw_body", spying)
    demo_server.reply_tokens = 3000
    first, _, chunks = await collect(client, {"model": "llama3.2", "messages": USER})
    assert chunks[-1].done and len(chunks) == 3001
    async with aclosing(client.chat_stream({"model": "llama3.2", "messages": USER})) as s:
        async for _chunk in s:
            break  # stopped after one token
    second, _, _ = await collect(client, {"model": "llama3.2", "messages": USER})
    assert second == first
    assert await client.version() == "0.13.0"
    assert used == ([True] * 3 if client.raw_reads else [])


async def test_a_web_server_on_the_port_is_not_ollama(web_server):
    """A wrong port: the page is not taken for Ollama's words (no HTML, no "model")."""
    client = OllamaClient(parse_host(web_server))
    try:
        for call in (
            client.version(),
            client.tags(),
            collect(client, {"model": "x", "messages": USER}),
        ):
            with pytest.raises(NotOllamaError) as caught:
                await call
            text = f"{caught.value.message} {caught.value.hint}"
            assert caught.value.message == (
                f"Something answers at {client.host.netloc}, but it is not Ollama."
            )
            assert "<" not in text and "model" not in text and caught.value.permanent
    finally:
        await client.aclose()
