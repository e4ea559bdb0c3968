import threading
import uuid


def test_two_workers_grant_each_event_exactly_once(env_factory):
    code = f"concurrency_{uuid.uuid4().hex[:8]}"
    with env_factory() as env:
        behavior = env["pr.behavior"].create({"name": "Concurrency check", "code": code})
        env["pr.reward.rule"].create({"name": "Concurrency check", "behavior_id": behavior.id, "points": 3})
        partners = env["res.partner"].create([{"name": f"{code} {i}"} for i in range(20)])
        events = env["pr.event"].create(
            [{"partner_id": p.id, "behavior_id": behavior.id} for p in partners for _ in range(5)]
        )
        event_ids = events.ids
    processed = {}

    def worker(name):
        # What the cron runs: claim, process, commit, batch after batch; a batch that collides with
        # the other worker on one customer is rolled back and claimed again.
        with env_factory() as env:
            processed[name] = env["pr.event"]._process_pending(batch_size=7)

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert processed["a"] + processed["b"] >= 100, processed
    with env_factory() as env:
        events = env["pr.event"].browse(event_ids)
        assert set(events.mapped("state")) == {"processed"}
        decisions = env["pr.event.decision"].search([("event_id", "in", event_ids)])
        assert len(decisions) == 100
        assert len(decisions.entry_id) == 100
        assert sum(decisions.entry_id.mapped("points")) == 300
