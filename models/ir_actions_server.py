import ast

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL

# What a filter selects when it needs no query.
ALL, NONE = "all", "none"
# Actions of these uses run from their automated rule or scheduled action, not by hand.
OWNED_USAGES = ("base_automation", "ir_cron")
# The action types of the addon, run together for all the records of an automated rule.
PR_STATES = ("pr_behavior", "pr_referral")


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
        selection_add=[("pr_behavior", "Record Customer Behaviour"), ("pr_referral", "Qualify Customer's Referral")],
        ondelete={"pr_behavior": "cascade", "pr_referral": "cascade"},
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
        for action in self.filtered(lambda a: a.state in PR_STATES):
            if action.state == "pr_behavior" and not action.pr_behavior_id:
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

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        actions = super().create(vals_list)
        if any(vals.get("base_automation_id") for vals in vals_list):
            actions._pr_clear_rule_cache()
        return actions

    def write(self, vals):
        self.check_access("write")
        # The automated rules keep what they run of their actions in the registry cache: any change counts.
        linked = any(self.sudo().mapped("base_automation_id"))
        result = super().write(vals)
        if linked or vals.get("base_automation_id"):
            self._pr_clear_rule_cache()
        return result

    def unlink(self):
        self.check_access("unlink")
        linked = any(self.sudo().mapped("base_automation_id"))
        result = super().unlink()
        if linked:
            self._pr_clear_rule_cache()
        return result

    def _pr_clear_rule_cache(self):
        """The automated rules keep their setup, actions included, in the registry cache (``base.automation``)."""
        self.env.registry.clear_cache()

    # ------------------------------------------------------------
    # RUNNING
    # ------------------------------------------------------------

    def _can_execute_action_on_records(self, records):
        """Actions that record behaviours, and those of automated rules and scheduled actions, run from their owner.

        ``run()`` is callable over RPC by anyone signed in, on any action, and Odoo checks only that the
        caller may write the records given (nothing at all when none is given). Run that way, an action of
        an automated rule skips the rule's filter (a purchase recorded for a quotation) and a scheduled
        action's code runs as the caller. Their rules and schedules run them as superuser; by hand, only a
        system administrator may. ``self`` is the action as superuser (``run``), ``records`` the caller's.
        """
        super()._can_execute_action_on_records(records)
        if records.env.su or self.env.user.has_group("base.group_system"):
            return
        if isinstance(self.env.context.get("onchange_self"), models.BaseModel):
            return  # an automated rule's onchange, run by base_automation on the form being edited (never RPC JSON)
        if self._pr_owned_actions():
            raise AccessError(
                self.env._(
                    "%(action)s runs from its automated rule or scheduled action: only an administrator may run it"
                    " by hand.",
                    action=self.name,
                )
            )

    def _pr_owned_actions(self):
        """The actions of this one and its sub-actions that record behaviours or belong to a rule or a schedule."""
        tree, todo = self.browse(), self
        while todo:
            tree |= todo
            todo = todo.child_ids - tree
        return tree.filtered(
            lambda action: action.state in PR_STATES or action.base_automation_id or action.usage in OWNED_USAGES
        )

    # ------------------------------------------------------------
    # RECORDING
    # ------------------------------------------------------------

    def _run_action_pr_behavior_multi(self, eval_context=None):
        records = eval_context.get("records") or eval_context.get("record")
        if records:
            self._pr_record(records)
        return False

    def _run_action_pr_referral_multi(self, eval_context=None):
        records = eval_context.get("records") or eval_context.get("record")
        if records:
            self._pr_qualify_referrals(records)
        return False

    def _pr_referral_partners(self, records):
        """The customers of ``records`` whose open referrals this referral action qualifies, or None."""
        path = self.pr_partner_path or "partner_id"
        partners = records.mapped(path) if records else self.env["res.partner"]
        return partners if partners._name == "res.partner" else None

    def _pr_qualify_referrals(self, records, open_ids=None):
        """Qualify the open referrals whose friend is the customer of these records (an order confirmed, an invoice paid).

        :param open_ids: those referrals, when already read (see ``_pr_record``)
        """
        partners = self._pr_referral_partners(records)
        if partners is None:
            return self.env["pr.referral"]
        return self.env["pr.referral"]._qualify_for_partners(partners, open_ids=open_ids)

    def _pr_record(self, records, referrals=None):
        """Record the behaviours of all these actions for all these records, in one call.

        An automated rule hands its records to its actions; those recording a behaviour are run
        together (``base.automation._process``): their filters are evaluated in one query for the
        whole batch, and the events of all of them recorded by one ``pr.event._record``.

        :param referrals: ``{referral action id: None}`` of the same rule: the open referrals each of
            them qualifies are read by the query of the filters, into this dict
        """
        # What the document's method wrote is flushed once, as the commit would, rather than bit by bit.
        self.env.flush_all()
        customers = self.env["res.partner"]
        for action in self.filtered("pr_once_per_customer"):
            path = action.pr_partner_path or "partner_id"
            if records._fields.get(path) and records._fields[path].comodel_name == "res.partner":
                customers |= records[path]
        also = {}
        for action in self.browse(referrals or ()):
            partners = action._pr_referral_partners(records)
            if partners is not None:
                also[action.id] = self.env["pr.referral"]._pr_open_sql(partners)
        matching = self._pr_matching(records, customers, also=also)
        if referrals is not None:
            referrals.update(also)
        values = []
        for action in self.with_context(pr_filtered=True):
            values += action._pr_event_values(matching[action])
        return self.env["pr.event"]._record(values)

    def _pr_matching(self, records, customers=None, also=None):
        """``{action: its records that match its filter}``, the filters of all the actions in one query.

        A filter on a field the database cannot search (computed and not stored, without a search
        method) is evaluated in memory instead. The commercial entities of ``customers`` (contacts) are
        read by the same query, and so are the ids that each SELECT of ``also`` (``{key: SELECT}``)
        returns, which replace it in ``also``.
        """
        also = {} if also is None else also
        matching, queries = {}, []
        for action in self:
            domain = (action.pr_filter_domain or "").strip()
            if not records or domain in ("", "[]"):
                found = ALL
            else:
                found = self._pr_filter_sql(records._name, domain, self.env.company.id, self.env.lang)
            if found == ALL:
                matching[action] = records
            elif found == NONE:
                matching[action] = records.browse()
            elif found is None:
                matching[action] = records.filtered_domain(ast.literal_eval(action.pr_filter_domain))
            else:
                queries.append((action, found))
        if queries or also:
            partners = SQL(
                "ARRAY(SELECT ARRAY[p.id, p.commercial_partner_id] FROM res_partner p WHERE p.id = ANY(%s))",
                list(customers.ids) if customers else [],
            )
            # Everything flushed at once (nothing left to write after _pr_record's): the cursor runs the
            # statement as it is, without working out what a statement of this size reads first
            # (``execute_query``, a few milliseconds on every order).
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    "SELECT %s, %s",
                    SQL(", ").join(
                        [
                            *(
                                SQL("ARRAY(SELECT m.id FROM (%s) AS m WHERE m.id = ANY(%s))", select, list(records.ids))
                                for _action, select in queries
                            ),
                            *(SQL("ARRAY(%s)", select) for select in also.values()),
                        ]
                    ),
                    partners,
                )
            )
            [row] = self.env.cr.fetchall()
            *row, commercial = row
            if also:
                also.update(zip(also, row[len(queries) :], strict=True))
                row = row[: len(queries)]
            if commercial:
                Partner = self.env["res.partner"]
                found = Partner.browse([pair[0] for pair in commercial])
                Partner._fields["commercial_partner_id"]._insert_cache(found, [pair[1] for pair in commercial])
            for (action, _select), ids in zip(queries, row, strict=True):
                kept = set(ids)
                matching[action] = records.filtered(lambda record, kept=kept: record.id in kept)
        return matching

    @api.model
    @tools.ormcache("model_name", "domain", "company_id", "lang")
    def _pr_filter_sql(self, model_name, domain, company_id, lang):
        """The SELECT of the records of ``model_name`` matching the filter ``domain``, built once.

        ALL or NONE when it needs no query, None when the database cannot search it.
        """
        domain = Domain(ast.literal_eval(domain))
        if domain.is_true():
            return ALL
        Model = self.env[model_name].sudo().with_company(company_id).with_context(active_test=False, lang=lang)
        try:
            query = Model._search(domain, order="id")
        except ValueError:
            return None
        return NONE if query.is_empty() else query.select()

    def _pr_event_values(self, records):
        """Event values for each record that matches the filter, keyed so that the same record and behaviour count once.

        Set-based: the customers, companies and currencies of the records are read together.
        """
        self.ensure_one()
        if records._name == "rating.rating":
            # A rule that records a behaviour from ratings counts only the ratings customers gave themselves.
            records = records._pr_customer_ratings()
        if not self.env.context.get("pr_filtered"):
            records = self._pr_matching(records)[self]
        path = self.pr_partner_path or "partner_id"
        code = self.pr_behavior_id.code
        values, rates = [], {}
        for record in records:
            partner = record.mapped(path)[:1]
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
                    "value": self._pr_record_value(record, company, rates),
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

    def _pr_record_value(self, record, company, rates=None):
        """The record's amount in the company currency; ``rates`` keeps the rates read, per currency and company."""
        if not self.pr_value_path:
            return 0.0
        amount = sum(record.mapped(self.pr_value_path))
        currency = record.currency_id if "currency_id" in record and record.currency_id else company.currency_id
        if currency == company.currency_id:
            return amount
        rates = {} if rates is None else rates
        if (currency, company) not in rates:
            rates[currency, company] = currency._get_conversion_rate(
                currency, company.currency_id, company, fields.Date.context_today(self)
            )
        return company.currency_id.round(amount * rates[currency, company])
