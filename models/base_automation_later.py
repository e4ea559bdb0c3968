import logging
from collections import defaultdict
from functools import partial

from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from odoo.addons.base_automation.models.base_automation import CREATE_TRIGGERS, WRITE_TRIGGERS

from .pr_later_mixin import FAILURES_FIELD, LATER_FIELD
from .pr_retry import failed_alone

_logger = logging.getLogger(__name__)

# A record whose rules failed this many times waits for an administrator to save one of the rules again.
MAX_FAILURES = 3
LATER_TRIGGERS = tuple(sorted(set(CREATE_TRIGGERS + WRITE_TRIGGERS)))


class BaseAutomationLater(models.Model):
    """Automated rules run moments after the customer's transaction.

    Confirming an order, rating or subscribing to a newsletter are what staff and customers do many
    times a day, in a few milliseconds: evaluating a rule's filters and recording its behaviours there
    makes them a tenth slower or more. On those models the addon notes the records in the statement
    that writes them (a column, no query of its own), and a rule marked *Run Moments Later* runs on
    them from the cron *run automated rules moments later*, every minute, its filter and actions as
    administrators set them. A rule not so marked runs in the transaction, as every rule of Odoo does.
    """

    _inherit = "base.automation"  # pylint: disable=consider-merging-classes-inherited

    pr_later = fields.Boolean(
        string="Run Moments Later",
        help="Run this rule within the minute after the record is saved, by the scheduled action "
        "'Positive Reinforcement: run automated rules moments later', rather than while the customer "
        "or employee waits. Available for sales orders, ratings and mailing contacts: the addon notes the "
        "orders confirmed, the ratings customers give and the contacts created or whose mailing lists change.",
    )
    pr_later_available = fields.Boolean(string="Can Run Moments Later", compute="_compute_pr_later_available")

    @api.depends("model_id")
    def _compute_pr_later_available(self):
        for rule in self:
            rule.pr_later_available = rule.model_name in self.env and LATER_FIELD in self.env[rule.model_name]._fields

    @api.constrains("pr_later", "model_id", "trigger")
    def _check_pr_later(self):
        for rule in self.filtered("pr_later"):
            if not rule.pr_later_available:
                raise ValidationError(
                    self.env._(
                        "The automated rule '%(rule)s' cannot run moments later: only rules on sales orders, "
                        "ratings and mailing contacts can.",
                        rule=rule.name,
                    )
                )
            if rule.trigger not in LATER_TRIGGERS:
                raise ValidationError(
                    self.env._(
                        "The automated rule '%(rule)s' cannot run moments later: only rules that run when "
                        "records are created or updated can.",
                        rule=rule.name,
                    )
                )

    @api.model
    def _cron_pr_run_later(self, batch_size=200):
        cron = self.env["ir.cron"]
        while done := self._pr_run_later(limit=batch_size):
            # A batch not full: nothing more waits (but records that failed, for the next run).
            if not cron._commit_progress(done) or done < batch_size:
                break

    def write(self, vals):
        """An administrator who saves a rule run moments later (having mended it) has its records that failed
        three times tried again."""
        result = super().write(vals)
        for model_name in set(self.filtered("pr_later").mapped("model_name")) & set(self._pr_later_models()):
            Model = self.env[model_name]
            self.env.execute_query(
                SQL(
                    "UPDATE %s SET %s = NULL WHERE %s >= %s",
                    SQL.identifier(Model._table),
                    SQL.identifier(FAILURES_FIELD),
                    SQL.identifier(FAILURES_FIELD),
                    MAX_FAILURES,
                )
            )
            Model.invalidate_model([FAILURES_FIELD])
        return result

    @api.model
    def _pr_run_later(self, limit=None):
        """Run the rules marked *Run Moments Later* on the records waiting for them, oldest first, up to
        ``limit`` of each model, each in the company it was saved in; returns how many records were done.

        The records are taken first, in one statement that also clears their mark: records that
        another transaction holds are left for the next run, and the records taken are held until
        the rules have run (someone saving one of them meanwhile waits that long, not more). A batch
        that fails is run again record by record: a record that fails is marked again, and waits for
        the next run, three times at most (the log says why); the others are done.
        """
        self.env.flush_all()
        done = 0
        for model_name in self._pr_later_models():
            Model = self.env[model_name].sudo()
            table, mark, failures = (
                SQL.identifier(Model._table),
                SQL.identifier(LATER_FIELD),
                SQL.identifier(FAILURES_FIELD),
            )
            try:
                with self.env.cr.savepoint(flush=False):
                    rows = self.env.execute_query(
                        SQL(
                            """
                            UPDATE %(table)s t SET %(mark)s = NULL FROM (
                                SELECT id, %(mark)s AS company_id FROM %(table)s
                                 WHERE %(mark)s IS NOT NULL AND COALESCE(%(failures)s, 0) < %(max)s
                                 ORDER BY id %(limit)s FOR UPDATE SKIP LOCKED
                            ) taken WHERE t.id = taken.id
                            RETURNING t.id, taken.company_id, t.%(failures)s
                            """,
                            table=table,
                            mark=mark,
                            failures=failures,
                            max=MAX_FAILURES,
                            limit=SQL("LIMIT %s", limit) if limit else SQL(),
                        )
                    )
            except SerializationFailure:
                # Saved and committed by someone else since this transaction began: the next run takes them.
                _logger.info("Records of %s being saved elsewhere wait for the next run", model_name)
                continue
            Model.invalidate_model([LATER_FIELD])
            by_company = defaultdict(list)
            for record_id, company_id, _failures in sorted(rows):
                by_company[company_id].append(record_id)
            failed = []
            for company_id, ids in by_company.items():
                failed += [
                    (record_id, company_id)
                    for record_id in failed_alone(
                        self.env.cr,
                        ids,
                        partial(self._pr_run_later_on, Model.with_company(company_id)),
                        _logger,
                        f"The automated rules run moments later failed on {model_name} %s",
                    )
                ]
            if failed:
                self.env.execute_query(
                    SQL(
                        """
                        UPDATE %(table)s t SET %(mark)s = v.company_id, %(failures)s = COALESCE(t.%(failures)s, 0) + 1
                          FROM unnest(%(ids)s::int[], %(companies)s::int[]) AS v(id, company_id) WHERE t.id = v.id
                        """,
                        table=table,
                        mark=mark,
                        failures=failures,
                        ids=[row[0] for row in failed],
                        companies=[row[1] for row in failed],
                    )
                )
            failed_ids = {row[0] for row in failed}
            recovered = [row[0] for row in rows if row[2] and row[0] not in failed_ids]
            if recovered:
                self.env.execute_query(SQL("UPDATE %s SET %s = NULL WHERE id = ANY(%s)", table, failures, recovered))
            Model.invalidate_model([LATER_FIELD, FAILURES_FIELD])
            done += len(rows) - len(failed)
        return done

    def _pr_run_later_on(self, model, ids):
        records = model.browse(ids)
        if hasattr(records, "_pr_later"):
            records._pr_later()
        rules = self.with_env(records.env)
        for rule in rules.browse(self._pr_automation_ids(records._name, LATER_TRIGGERS, True)):
            rule = rule.with_context(__action_done={})
            rule._process(rule._filter_post(records.with_env(rule.env)))
        self.env.flush_all()

    @api.model
    def _pr_later_models(self):
        registry = self.env.registry
        return [name for name in registry.descendants(["pr.later.mixin"], "_inherit") if not registry[name]._abstract]
