from odoo.tools import SQL

# The actions qualifying referrals from the shipped automated rules, as they were written before.
ACTIONS = ("action_sale_order_qualify_referrals", "action_invoice_paid_qualify_referrals")
OLD_CODE = "env['pr.referral']._qualify_for_partners(records.partner_id)"


def migrate(cr, version):
    """The shipped rules qualify referrals with the addon's own action type rather than Python code.

    A code action of an automated rule runs one record at a time and evaluates its code each time; the
    *Qualify Customer's Referral* type runs once for all the records of the rule. Actions an
    administrator changed keep their code.
    """
    if not version:
        return
    cr.execute(
        SQL(
            """
            UPDATE ir_act_server a SET state = 'pr_referral', pr_partner_path = 'partner_id'
              FROM ir_model_data d
             WHERE d.model = 'ir.actions.server' AND d.res_id = a.id AND d.module = 'positive_reinforcement'
               AND d.name IN %s AND a.state = 'code' AND btrim(a.code) = %s
            """,
            ACTIONS,
            OLD_CODE,
        )
    )
