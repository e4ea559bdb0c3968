import threading
import traceback
import uuid


def test_orders_confirmed_while_the_cron_runs_are_each_recorded_once(env_factory):
    code = uuid.uuid4().hex[:8]
    with env_factory() as env:
        from odoo import Command  # noqa: PLC0415 - importable once the registry fixture has set Odoo up

        product = env["product.product"].create({"name": f"Later {code}", "list_price": 10.0, "type": "consu"})
        partners = env["res.partner"].create([{"name": f"Later {code} {i}"} for i in range(30)])
        orders = env["sale.order"].create(
            [{"partner_id": p.id, "order_line": [Command.create({"product_id": product.id})]} for p in partners]
        )
        order_ids, partner_ids = orders.ids, partners.ids
    confirming = threading.Event()
    errors = {}

    def salesperson():
        # Confirms the orders one by one, each in its own transaction, while the cron runs.
        try:
            for order_id in order_ids:
                with env_factory() as env:
                    env["sale.order"].browse(order_id).action_confirm()
                confirming.set()
        except Exception:  # noqa: BLE001 - reported below
            errors["salesperson"] = traceback.format_exc()
        finally:
            confirming.set()

    def cron():
        # What the cron runs, batch after batch, as long as the salesperson confirms.
        try:
            confirming.wait(60)
            while seller.is_alive():
                with env_factory() as env:
                    env["base.automation"]._pr_run_later(limit=4)
        except Exception:  # noqa: BLE001 - reported below
            errors["cron"] = traceback.format_exc()

    seller = threading.Thread(target=salesperson)
    runner = threading.Thread(target=cron)
    seller.start()
    runner.start()
    seller.join(120)
    runner.join(120)
    assert not errors, errors
    with env_factory() as env:  # the cron's next run
        env["base.automation"]._pr_run_later()
    with env_factory() as env:
        assert not any(env["sale.order"].browse(order_ids).mapped("pr_to_record"))
        events = env["pr.event"].search([("partner_id", "in", partner_ids)])
        purchase = env.ref("positive_reinforcement.pr_behavior_purchase")
        assert sorted(events.filtered(lambda e: e.behavior_id == purchase).mapped("source_id")) == sorted(order_ids)
        assert len(events) == 60, "a purchase and a first purchase for each order, once"
