from odoo.tools import SQL

OLD_FILTER = "[('subscription_ids.opt_out', '=', False)]"


def migrate(cr, version):
    """The shipped newsletter rule no longer filters on subscriptions not opted out.

    Its action records only contacts with such a subscription, in its own query: the filter cost one
    more query on every subscription. A filter an administrator changed stays.
    """
    if not version:
        return
    cr.execute(
        SQL(
            """
            UPDATE base_automation a SET filter_domain = NULL
              FROM ir_model_data d
             WHERE d.model = 'base.automation' AND d.res_id = a.id AND d.module = 'positive_reinforcement'
               AND d.name = 'automation_newsletter_subscribed' AND btrim(a.filter_domain) = %s
            """,
            OLD_FILTER,
        )
    )
