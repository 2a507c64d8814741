"""The benchmarks' code still runs (on small inputs, once: seconds, not minutes)."""

from __future__ import annotations

from tests.bench import history, large_replies, startup


def test_history_benchmark_runs_on_a_small_data_dir(tmp_path, monkeypatch):
    data_dir = tmp_path / "data" / "olladeck"
    size = history.generate(data_dir, 20, 2)
    assert size > 20 * 1000
    assert len(list((data_dir / "conversations").glob("*.toml"))) == 20
    assert history.build_index(data_dir) < 30
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:9")
    (launch,) = history.measure_launch(tmp_path, 19, 1, first=False)
    assert launch < 20
    times = history.measure_filter(tmp_path, ["19"])
    assert len(times) == 2
    search = history.measure_search(data_dir, [history.RARE_WORD, "zanzib"], 1)
    assert set(search) == {history.RARE_WORD, "zanzib"}
    assert history._common_queries(data_dir)


def test_startup_benchmark_times_one_first_paint_of_each(tmp_path):
    env = startup.environment(tmp_path)
    timed = startup.programs()
    for name in ("bare Textual app", "olladeck"):
        argv, marker = timed[name]
        seconds = startup.first_paint(argv, marker, env, (80, 24))
        assert 0 < seconds < 20, name


def test_large_replies_benchmark_streams_one_reply_and_times_keys():
    server, port = large_replies.start_server()
    try:
        result = large_replies.measure("nested", 10, port, settle=0.0)
    finally:
        server.kill()
        server.wait()
    assert result.finished
    assert 0 < result.stream < 10
    assert result.keys
