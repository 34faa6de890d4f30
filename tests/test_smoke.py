from gitmem import store
from gitmem.records import Observation, SessionSummary


def test_write_then_read_a_session(gm_repo):
    obs = (Observation(ts="2026-11-24T08:00:00Z", kind="prompt", text="hello"),)
    summary = SessionSummary(id="s1", title="first", started_at="2026-11-24T08:00:00Z")
    result = store.write_session(gm_repo, "s1", summary.started_at, obs, summary)
    assert result.paths == ("sessions/2026-11/s1/obs-0001.yaml", "sessions/2026-11/s1/summary.md")
    memory = store.read_memory(gm_repo)
    assert [s.summary for s in memory.sessions] == [summary]
    assert memory.sessions[0].observations == obs
