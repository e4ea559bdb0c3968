import ast
from datetime import timedelta

from odoo import fields, models
from odoo.exceptions import UserError

DATE_FIELDS = ("date_order", "invoice_date", "create_date")


class PrReplayHistory(models.TransientModel):
    """Reward past customers: record, from existing documents, the behaviours of a date range."""

    _name = "pr.replay.history"
    _description = "Replay History"

    date_from = fields.Date(required=True, default=lambda self: self.env.company._pr_today().replace(month=1, day=1))
    date_to = fields.Date(required=True, default=lambda self: self.env.company._pr_today())

    def action_replay(self):
        self.check_access("write")
        self.ensure_one()
        if self.date_from > self.date_to:
            raise UserError(self.env._("The start date must come before the end date."))
        Event = self.env["pr.event"]
        events = Event.browse()
        for action in self._replay_actions():
            events |= Event._record(action._pr_event_values(self._replay_records(action)))
        subscriptions = (
            self.env["mailing.subscription"]
            .sudo()
            .search(self._range("create_date", "mailing.subscription") + [("opt_out", "=", False)])
        )
        subscriptions.contact_id._pr_record_subscriptions()
        events |= Event.search([("source_model", "=", "mailing.subscription"), ("source_id", "in", subscriptions.ids)])
        # Process now, oldest first, so that paid invoices and credit notes find the points.
        pending = events.filtered(lambda event: event.state == "pending")
        for start in range(0, len(pending), 500):
            Event._claim(500, pending[start : start + 500].ids)._pr_process()
        Move = self.env["account.move"].sudo()
        Move.search(self._range("invoice_date") + [("move_type", "=", "out_invoice")])._pr_settle_release()
        Move.search(
            self._range("invoice_date") + [("move_type", "=", "out_refund"), ("state", "=", "posted")]
        )._pr_settle_claw_back()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%(count)s behaviours found in the history.", count=len(events)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _replay_actions(self):
        """The active automated rules' actions that record a behaviour."""
        return (
            self.env["ir.actions.server"]
            .sudo()
            .search([("state", "=", "pr_behavior"), ("base_automation_id.active", "=", True)])
        )

    def _range(self, field_name, model="account.move"):
        """The domain of the date range on ``field_name``; a date-time's day is the company's, in its time zone."""
        start, end = self.date_from, self.date_to + timedelta(days=1)
        if self.env[model]._fields[field_name].type == "datetime":
            start, end = self.env.company._pr_day_start(start), self.env.company._pr_day_start(end)
        return [(field_name, ">=", start), (field_name, "<", end)]

    def _replay_records(self, action):
        Model = self.env[action.model_id.model].sudo()
        date_field = next(name for name in DATE_FIELDS if name in Model._fields)
        automation = action.base_automation_id
        domain = ast.literal_eval(automation.filter_domain or "[]")
        return Model.search(self._range(date_field, Model._name) + domain, order=f"{date_field}, id")
