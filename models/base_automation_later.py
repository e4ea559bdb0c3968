import logging
from functools import partial

from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from odoo.addons.base_automation.models.base_automation import CREATE_TRIGGERS, WRITE_TRIGGERS

from .pr_retry import failed_alone

_logger = logging.getLogger(__name__)

# The column a model carries when the addon notes, in the customer's own statement, the records a rule
# may run on moments later: true while they wait, null once the rules have run.
LATER_FIELD = "pr_to_record"
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

    @api.model
    def _pr_run_later(self, limit=None):
        """Run the rules marked *Run Moments Later* on the records waiting for them, oldest first, up to
        ``limit`` of each model; returns how many records were done.

        The records are taken first, in one statement that also clears their mark: records that
        another transaction holds are left for the next run, and the records taken are held until
        the rules have run (someone saving one of them meanwhile waits that long, not more). A batch
        that fails is run again record by record: a record that fails keeps waiting (the log says
        why) and the others are done.
        """
        self.env.flush_all()
        done = 0
        for model_name in self._pr_later_models():
            Model = self.env[model_name].sudo()
            table, mark = SQL.identifier(Model._table), SQL.identifier(LATER_FIELD)
            try:
                with self.env.cr.savepoint(flush=False):
                    rows = self.env.execute_query(
                        SQL(
                            """
                            UPDATE %(table)s SET %(mark)s = NULL WHERE id IN (
                                SELECT id FROM %(table)s WHERE %(mark)s ORDER BY id %(limit)s
                                   FOR UPDATE SKIP LOCKED
                            ) RETURNING id
                            """,
                            table=table,
                            mark=mark,
                            limit=SQL("LIMIT %s", limit) if limit else SQL(),
                        )
                    )
            except SerializationFailure:
                # Saved and committed by someone else since this transaction began: the next run takes them.
                _logger.info("Records of %s being saved elsewhere wait for the next run", model_name)
                continue
            Model.invalidate_model([LATER_FIELD])
            records = Model.browse(sorted(row[0] for row in rows))
            if not records:
                continue
            failed = Model.browse(
                failed_alone(
                    self.env.cr,
                    records.ids,
                    partial(self._pr_run_later_on, Model),
                    _logger,
                    f"The automated rules run moments later failed on {model_name} %s",
                )
            )
            if failed:
                self.env.execute_query(SQL("UPDATE %s SET %s = TRUE WHERE id = ANY(%s)", table, mark, failed.ids))
                Model.invalidate_model([LATER_FIELD])
            done += len(records - failed)
        return done

    def _pr_run_later_on(self, model, ids):
        records = model.browse(ids)
        if hasattr(records, "_pr_later"):
            records._pr_later()
        for rule in self.browse(self._pr_automation_ids(records._name, LATER_TRIGGERS, True)):
            rule = rule.with_context(__action_done={})
            rule._process(rule._filter_post(records.with_env(rule.env)))
        self.env.flush_all()

    @api.model
    def _pr_later_models(self):
        return [
            name
            for name, model in self.env.registry.items()
            if not model._abstract and model._auto and LATER_FIELD in model._fields
        ]
