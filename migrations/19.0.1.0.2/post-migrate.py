from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Loyalty tasks went to OdooBot (the engine's cron user) or to archived salespeople, where nobody sees them.

    The open ones move to whoever gets a new one now (see ``res.company._pr_task_users``).
    """
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.company"]._pr_reassign_tasks()
