"""The history benchmark's code still runs (on 20 small conversations: seconds, not minutes)."""

from __future__ import annotations

from tests.bench import history


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
