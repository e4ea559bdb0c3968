import threading
import uuid

from psycopg2.errors import SerializationFailure


def _budget_rule(env_factory, customers, budget=30, points=10):
    """A committed rule granting ``points`` per behaviour within ``budget`` a month, and one event per customer."""
    code = f"budget_{uuid.uuid4().hex[:8]}"
    with env_factory() as env:
        behavior = env["pr.behavior"].create({"name": "Budget check", "code": code})
        rule = env["pr.reward.rule"].create(
            {
                "name": "Budget check",
                "behavior_id": behavior.id,
                "points": points,
                "monthly_budget": budget,
                "apply_multiplier": False,
            }
        )
        partners = env["res.partner"].create([{"name": f"{code} {i}"} for i in range(customers)])
        events = env["pr.event"].create([{"partner_id": p.id, "behavior_id": behavior.id} for p in partners])
        return rule.id, events.ids


def _granted(env_factory, rule_id, event_ids):
    with env_factory() as env:
        events = env["pr.event"].browse(event_ids)
        decisions = env["pr.event.decision"].search([("rule_id", "=", rule_id)])
        granted = decisions.filtered(lambda d: d.outcome == "granted")
        return set(events.mapped("state")), len(decisions), sum(granted.entry_id.mapped("points"))


def test_two_workers_that_read_usage_at_once_do_not_overspend_the_budget(env_factory):
    # Both workers claim their events, so both read the database as it was before either granted
    # anything; only then do they process. Each alone would grant the whole budget.
    rule_id, event_ids = _budget_rule(env_factory, customers=8)
    halves = {"a": event_ids[:4], "b": event_ids[4:]}
    barrier, retries, errors = threading.Barrier(2), {"a": 0, "b": 0}, []

    def worker(name):
        try:
            with env_factory() as env:
                Event = env["pr.event"]
                for attempt in range(10):
                    try:
                        events = Event._claim(len(halves[name]), halves[name])
                        if not attempt:
                            barrier.wait(30)
                        events._pr_process()
                        env.cr.commit()
                        return
                    except SerializationFailure:
                        # What _process_pending does: roll back and claim again, with a fresh snapshot.
                        retries[name] += 1
                        env.cr.rollback()
                        env.invalidate_all()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(error))

    threads = [threading.Thread(target=worker, args=(name,)) for name in halves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    states, decided, points = _granted(env_factory, rule_id, event_ids)
    assert states == {"processed"}
    assert decided == 8, "each event is decided once"
    assert points == 30, f"the monthly budget of 30 points was granted as {points} points"
    assert sum(retries.values()) >= 1, "the worker that waited read the usage again"


def test_the_cron_on_two_workers_keeps_the_budget(env_factory):
    rule_id, event_ids = _budget_rule(env_factory, customers=40, budget=100)
    processed, errors = {}, []

    def worker(name):
        try:
            with env_factory() as env:
                processed[name] = env["pr.event"]._process_pending(batch_size=3)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(error))

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert not errors, errors
    states, decided, points = _granted(env_factory, rule_id, event_ids)
    assert states == {"processed"}
    assert decided == 40
    assert points == 100, f"the monthly budget of 100 points was granted as {points} points"
