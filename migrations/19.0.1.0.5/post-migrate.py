from odoo.tools import SQL

LATER = ("automation_sale_order_confirmed", "automation_rating_positive", "automation_newsletter_subscribed")


def migrate(cr, version):
    """The shipped rules of confirmed orders, ratings and newsletter subscriptions run moments later, out of
    the transaction of whoever confirms, rates or subscribes (``base_automation_later.py``)."""
    if not version:
        return
    cr.execute(
        SQL(
            """
            UPDATE base_automation a SET pr_later = TRUE
              FROM ir_model_data d
             WHERE d.model = 'base.automation' AND d.res_id = a.id AND d.module = 'positive_reinforcement'
               AND d.name IN %s
            """,
            LATER,
        )
    )
