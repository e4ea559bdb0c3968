import ast

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain


def _is_field_path(model, path):
    for name in path.split("."):
        field = model._fields.get(name)
        if field is None:
            return False
        if field.relational:
            model = model.env[field.comodel_name]
    return True


class IrActionsServer(models.Model):
    """A server action type any automated rule can use: record a customer behaviour."""

    _inherit = "ir.actions.server"

    state = fields.Selection(
        selection_add=[("pr_behavior", "Record Customer Behaviour")], ondelete={"pr_behavior": "cascade"}
    )
    pr_behavior_id = fields.Many2one("pr.behavior", string="Behaviour", ondelete="restrict")
    pr_partner_path = fields.Char(
        string="Customer Field",
        default="partner_id",
        help="Path from the record to the customer, e.g. partner_id or order_id.partner_id.",
    )
    pr_value_path = fields.Char(
        string="Value Field",
        help="Optional path to an amount, e.g. amount_untaxed; converted to the company currency.",
    )
    pr_filter_domain = fields.Char(
        string="Only Records Matching",
        default="[]",
        help="Records of the rule that this action records a behaviour for.",
    )
    pr_once_per_customer = fields.Boolean(
        string="Once per Customer",
        help="Record the behaviour once per customer, whatever the record (e.g. a first purchase).",
    )

    @api.constrains("state", "pr_behavior_id", "pr_partner_path", "pr_value_path", "pr_filter_domain", "model_id")
    def _check_pr_behavior(self):
        for action in self.filtered(lambda a: a.state == "pr_behavior"):
            if not action.pr_behavior_id:
                raise ValidationError(self.env._("Choose the behaviour the action records."))
            Model = self.env[action.model_id.model]
            for path in filter(None, [action.pr_partner_path, action.pr_value_path]):
                if not _is_field_path(Model, path):
                    raise ValidationError(
                        self.env._("%(path)s is not a field path of %(model)s.", path=path, model=action.model_id.name)
                    )
            try:
                Domain(ast.literal_eval(action.pr_filter_domain or "[]")).validate(Model)
            except Exception as error:
                raise ValidationError(self.env._("The filter is not a valid domain: %(error)s", error=error)) from error

    def _run_action_pr_behavior_multi(self, eval_context=None):
        records = eval_context.get("records") or eval_context.get("record")
        if records:
            self.env["pr.event"]._record(self._pr_event_values(records))
        return False

    def _pr_event_values(self, records):
        """Event values for each record, keyed so that the same record and behaviour count once."""
        domain = ast.literal_eval(self.pr_filter_domain or "[]")
        if domain:
            records = records.filtered_domain(domain)
        code = self.pr_behavior_id.code
        values = []
        for record in records:
            partner = record.mapped(self.pr_partner_path or "partner_id")[:1]
            if not partner or partner._name != "res.partner":
                continue
            company = record.company_id if "company_id" in record and record.company_id else self.env.company
            if self.pr_once_per_customer:
                key = f"{code}:partner:{partner.commercial_partner_id.id}"
            else:
                key = f"{record._name}:{record.id}:{code}"
            values.append(
                {
                    "partner_id": partner.id,
                    "behavior_id": self.pr_behavior_id.id,
                    "company_id": company.id,
                    "date": self._pr_record_date(record),
                    "value": self._pr_record_value(record, company),
                    "source_model": record._name,
                    "source_id": record.id,
                    "idempotency_key": key,
                }
            )
        return values

    def _pr_record_date(self, record):
        for name in ("date_order", "invoice_date", "create_date"):
            if name in record and record[name]:
                value = record[name]
                return fields.Datetime.to_datetime(value)
        return fields.Datetime.now()

    def _pr_record_value(self, record, company):
        if not self.pr_value_path:
            return 0.0
        amount = sum(record.mapped(self.pr_value_path))
        currency = record.currency_id if "currency_id" in record and record.currency_id else company.currency_id
        if currency != company.currency_id:
            amount = currency._convert(amount, company.currency_id, company, fields.Date.context_today(self))
        return amount
