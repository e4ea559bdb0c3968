import threading
import uuid
from functools import partial

from odoo.exceptions import UserError
from odoo.service.model import retrying


def test_two_redemptions_at_once_cannot_overdraw_or_take_the_last_item(env_factory, customer):
    with env_factory() as env:
        mug = env["pr.reward"].create(
            {
                "name": f"Last mug {uuid.uuid4().hex[:6]}",
                "kind": "gift",
                "points_cost": 60,
                "limited_stock": True,
                "stock": 1,
            }
        )
        reward_id = mug.id
    barrier, outcomes = threading.Barrier(2), []

    def redeem(key):
        barrier.wait(10)
        try:
            with env_factory() as env:
                reward = env["pr.reward"].browse(reward_id)
                partner = env["res.partner"].browse(customer)
                retrying(partial(reward._redeem, partner, key), env)
            outcomes.append("redeemed")
        except UserError as error:
            outcomes.append(str(error))

    threads = [threading.Thread(target=redeem, args=(f"concurrent-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == 2 and outcomes.count("redeemed") == 1, outcomes
    with env_factory() as env:
        reward = env["pr.reward"].browse(reward_id)
        assert reward.stock == 0
        assert len(reward.redemption_ids) == 1
        member = env["pr.member"].search([("partner_id", "=", customer)])
        assert member.points_available == 40
