import threading
import uuid
from functools import partial

from odoo.exceptions import UserError
from odoo.service.model import retrying


def balance(env_factory, partner_id):
    with env_factory() as env:
        member = env["pr.member"].search([("partner_id", "=", partner_id)])
        entries = env["pr.ledger.entry"].search([("member_id", "=", member.id)])
        return member.points_available, sum(entries.mapped("points")), entries.mapped("kind")


def post(env, partner_id, points, kind, key=None):
    movement = {"partner_id": partner_id, "points": points, "kind": kind, "idempotency_key": key}
    return env["pr.ledger.entry"]._post_movements([movement]).ids


def post_retrying(env_factory, partner_id, points, kind, key=None):
    """Post as an RPC call would: retried on serialization failures, committed at the end."""
    with env_factory() as env:
        return retrying(partial(post, env, partner_id, points, kind, key), env)


def test_two_connections_cannot_overdraw(env_factory, customer):
    first_posted, outcome = threading.Event(), {}

    def first():
        with env_factory() as env:
            post(env, customer, -60, "redeem")
            first_posted.set()
            threading.Event().wait(1.0)  # keep the lock while the second connection tries
        outcome["first"] = "posted"

    def second():
        first_posted.wait(10)
        try:
            post_retrying(env_factory, customer, -60, "redeem")
            outcome["second"] = "posted"
        except UserError as error:
            outcome["second"] = str(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcome["first"] == "posted"
    assert "short" in outcome["second"], outcome
    available, ledger_sum, kinds = balance(env_factory, customer)
    assert (available, ledger_sum) == (40, 40)
    assert kinds.count("redeem") == 1


def test_concurrent_earnings_are_never_lost(env_factory, customer):
    def earn_many():
        for _ in range(15):
            post_retrying(env_factory, customer, 1, "earn")

    threads = [threading.Thread(target=earn_many) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    available, ledger_sum, kinds = balance(env_factory, customer)
    assert (available, ledger_sum, len(kinds)) == (130, 130, 31)


def post_twice_at_once(env_factory, partner_id, points, kind, key):
    """Post the same movement from two connections at the same moment; the ids each got."""
    barrier, results = threading.Barrier(2), []

    def one():
        barrier.wait(10)
        results.append(post_retrying(env_factory, partner_id, points, kind, key))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_same_key_from_two_connections_posts_once(env_factory, customer):
    results = post_twice_at_once(env_factory, customer, 25, "earn", f"order:{uuid.uuid4().hex}")
    assert len(results) == 2 and results[0] == results[1]
    available, ledger_sum, _entries = balance(env_factory, customer)
    assert (available, ledger_sum) == (125, 125)


def test_same_spend_from_two_connections_is_spent_once_and_both_get_it(env_factory, customer):
    # The second connection finds the points gone: its spend is the same one (its key), not a refusal.
    results = post_twice_at_once(env_factory, customer, -60, "redeem", f"order:{uuid.uuid4().hex}:spend")
    assert len(results) == 2 and results[0] == results[1]
    available, ledger_sum, kinds = balance(env_factory, customer)
    assert (available, ledger_sum, kinds.count("redeem")) == (40, 40, 1)
