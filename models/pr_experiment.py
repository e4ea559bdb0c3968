import math
import uuid

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL, formatLang

from ..pr_lib.experiments import (
    assign_variants,
    is_early,
    obrien_fleming_boundary,
    prob_beats_control,
    sample_size_per_group,
    two_proportion_ztest,
)
from .idempotency import bulk_insert
from .pr_i18n import acting_reader_lang

STATES = [("draft", "Draft"), ("running", "Running"), ("done", "Done")]
# The variant's fields that decide who is in which group: frozen once the experiment started.
ASSIGNMENT_FIELDS = {"experiment_id", "weight", "is_control"}
# Looks before a tenth of the planned duration are read against the bound at a tenth (|z| 6.2): closer to
# the start the bound grows without limit (19.6 at a hundredth), which tells a reader nothing more.
MIN_FRACTION = 0.1


class PrExperiment(models.Model):
    """An A/B test of incentives: customers of a segment split for good into groups and a holdout, and what it changed.

    Each customer of the segment lands in one group by a hash of the experiment's key and the customer,
    so the split is random, the same on every server and never changes. The groups get the reward
    rules and offers linked to them; the holdout gets none of them and is the control every group is
    compared with.
    """

    _name = "pr.experiment"
    _inherit = ["mail.thread", "pr.segment.mixin"]
    _description = "Incentive Experiment"
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True, translate=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(STATES, default="draft", required=True, readonly=True, copy=False, tracking=True)
    key = fields.Char(
        default=lambda self: uuid.uuid4().hex,
        required=True,
        readonly=True,
        copy=False,
        help="Random and fixed at creation: with the customer, it decides the customer's group.",
    )
    # Segment
    tier_ids = fields.Many2many("pr.tier", string="Tiers", help="Only customers in these tiers; empty for all.")
    partner_domain = fields.Char(string="Customer Filter", default="[]", help="Only customers matching this filter.")
    # Measure
    behavior_id = fields.Many2one(
        "pr.behavior",
        string="Conversion",
        required=True,
        ondelete="restrict",
        help="A customer converts when they show this behaviour within the window after joining the experiment.",
    )
    window_days = fields.Integer(
        string="Conversion Window (days)",
        default=30,
        required=True,
        help="Days after a customer joins the experiment in which their behaviour and purchases count.",
    )
    date_start = fields.Datetime(string="Started On", readonly=True, copy=False, tracking=True)
    date_end = fields.Datetime(string="Stopped On", readonly=True, copy=False, tracking=True)
    planned_days = fields.Integer(
        string="Planned Duration (days)",
        default=60,
        required=True,
        help="How long the experiment should run before its results are read; reading them sooner asks for a "
        "stronger difference.",
    )
    baseline_rate = fields.Float(
        string="Expected Conversion Rate",
        default=0.10,
        digits=(16, 4),
        help="The conversion rate you expect without the incentive, e.g. last quarter's.",
    )
    min_detectable_lift = fields.Float(
        string="Smallest Lift Worth Seeing",
        default=0.20,
        digits=(16, 4),
        help="The smallest relative improvement you want to be able to detect: 20% turns a 10% rate into 12%.",
    )
    sample_size = fields.Integer(
        string="Customers Needed per Group",
        compute="_compute_sample_size",
        help="Customers each group and the holdout need so that the smallest lift worth seeing is detected 8 "
        "times out of 10, with a 5% risk of a false alarm. Fewer, and a real difference may go unnoticed.",
    )
    variant_ids = fields.One2many(
        "pr.experiment.variant",
        "experiment_id",
        string="Groups",
        copy=True,
        default=lambda self: self._default_variant_ids(),
    )
    customer_count = fields.Integer(string="Customers", compute="_compute_customer_count")
    information_fraction = fields.Float(
        string="Share of Planned Duration",
        compute="_compute_information_fraction",
        help="Days run so far out of the planned duration.",
    )
    significance_boundary = fields.Float(
        string="|z| Needed to Stop Now",
        compute="_compute_information_fraction",
        digits=(16, 2),
        help="Looking at the results before the planned end raises the risk of a false alarm, so an early result "
        "only counts when its z is beyond this bound (O'Brien-Fleming): very strict at first, 1.96 at the end.",
    )

    _key_uniq = models.Constraint("UNIQUE(key)", "Each experiment has its own key.")
    _window_positive = models.Constraint("CHECK(window_days > 0)", "The conversion window must last at least a day.")
    _planned_positive = models.Constraint("CHECK(planned_days > 0)", "The planned duration must be at least a day.")

    @api.model
    def _default_variant_ids(self):
        return [
            Command.create({"name": self.env._("Holdout"), "is_control": True, "weight": 1}),
            Command.create({"name": self.env._("Incentive"), "weight": 1}),
        ]

    @api.depends("baseline_rate", "min_detectable_lift")
    def _compute_sample_size(self):
        for experiment in self:
            try:
                experiment.sample_size = sample_size_per_group(experiment.baseline_rate, experiment.min_detectable_lift)
            except ValueError:
                experiment.sample_size = 0

    def _compute_customer_count(self):
        counts = dict(
            self.env["pr.experiment.assignment"]._read_group(
                [("experiment_id", "in", self.ids)], ["experiment_id"], ["__count"]
            )
        )
        for experiment in self:
            experiment.customer_count = counts.get(experiment, 0)

    @api.depends("date_start", "date_end", "planned_days")
    def _compute_information_fraction(self):
        for experiment in self:
            fraction = experiment._information_fraction()
            experiment.information_fraction = fraction or 0.0
            experiment.significance_boundary = obrien_fleming_boundary(max(fraction or 0.0, MIN_FRACTION))

    @api.constrains("variant_ids")
    def _check_one_control(self):
        for experiment in self:
            if len(experiment.variant_ids.filtered("is_control")) != 1:
                raise ValidationError(
                    self.env._(
                        "The experiment %(experiment)s needs exactly one holdout group.", experiment=experiment.name
                    )
                )

    @api.constrains("baseline_rate", "min_detectable_lift")
    def _check_sample_size_inputs(self):
        for experiment in self:
            if not experiment.sample_size:
                raise ValidationError(
                    self.env._(
                        "Experiment %(experiment)s: the expected conversion rate must be between 0 and 100 percent, and "
                        "so must that rate raised by the smallest lift worth seeing (a lift other than 0).",
                        experiment=experiment.name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def write(self, vals):
        if "key" in vals:
            self._check_key_unchanged(vals["key"])
        return super().write(vals)

    def _check_key_unchanged(self, key):
        if any(experiment.key != key for experiment in self):
            raise UserError(
                self.env._("The key of an experiment never changes: with the customer, it decides their group.")
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_started(self):
        if any(experiment.state != "draft" for experiment in self):
            raise UserError(self.env._("An experiment that has started cannot be deleted; stop it instead."))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_start(self):
        """Split every customer of the segment between the groups, once and for good, and start the incentives."""
        self.check_access("write")
        for experiment in self:
            experiment._check_startable()
            holders = experiment._segment()
            if not holders:
                raise UserError(
                    self.env._(
                        "No customer matches the segment of experiment %(experiment)s: nobody was assigned.",
                        experiment=experiment.name,
                    )
                )
            now = fields.Datetime.now()
            experiment.write({"state": "running", "date_start": now})
            assigned = experiment._assign(holders.ids, now)
            reader = self.with_context(lang=acting_reader_lang(self.env, experiment.company_id))
            experiment.message_post(
                body=reader.env._("Started: %(count)s customers split between the groups.", count=len(assigned)),
                message_type="notification",
            )
        return True

    def action_stop(self):
        """End the incentives of the groups; the results stay, measured up to now."""
        self.check_access("write")
        self.filtered(lambda experiment: experiment.state == "running").write(
            {"state": "done", "date_end": fields.Datetime.now()}
        )
        return True

    def action_view_assignments(self):
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customers of %(experiment)s", experiment=self.name),
            "res_model": "pr.experiment.assignment",
            "view_mode": "list",
            "domain": [("experiment_id", "=", self.id)],
            "context": {"search_default_group_by_variant": 1},
        }

    def action_preview_segment(self):
        """The customers who would join the experiment if it started now."""
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Segment of %(experiment)s", experiment=self.name),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("id", "in", self._segment().ids)],
        }

    def _check_startable(self):
        if self.state != "draft":
            raise UserError(self.env._("The experiment %(experiment)s has already started.", experiment=self.name))
        if len(self.variant_ids.filtered("is_control")) != 1:
            raise UserError(
                self.env._("The experiment %(experiment)s needs exactly one holdout group.", experiment=self.name)
            )
        if not self.variant_ids.filtered(lambda variant: not variant.is_control):
            raise UserError(
                self.env._(
                    "The experiment %(experiment)s needs a group besides the holdout, to compare with it.",
                    experiment=self.name,
                )
            )

    def _check_groups_editable(self):
        """Once started, the groups stay as they are: changing them would move customers between groups."""
        started = self.filtered(lambda experiment: experiment.state != "draft")
        if started:
            raise UserError(
                self.env._(
                    "The groups of experiment %(experiment)s cannot change once it has started: customers would "
                    "move between groups.",
                    experiment=started[0].name,
                )
            )

    # ------------------------------------------------------------
    # SEGMENT AND ASSIGNMENT
    # ------------------------------------------------------------

    def _get_segment_domain(self):
        """The customers of the segment, as a domain on the contacts that hold points (see the wallet mode)."""
        domain = Domain("active", "=", True)
        if self.company_id.pr_wallet_mode != "contact":
            domain &= Domain("parent_id", "=", False) | Domain("is_company", "=", True)
        if self.tier_ids:
            members = (
                self.env["pr.member"]
                .sudo()
                ._search([("company_id", "=", self.company_id.id), ("tier_id", "in", self.tier_ids.ids)])
            )
            domain &= Domain("id", "in", members.subselect("partner_id"))
        return domain & Domain(self._get_partner_domain())

    def _segment(self):
        return self.env["res.partner"].search(self._get_segment_domain())

    def _assign(self, holder_ids, date):
        """Store the group of each holder, by the hash, in one statement: ``{holder_id: variant_id}``.

        A holder already assigned (by another transaction) keeps their row; the hash gives the same group.
        """
        self.ensure_one()
        if not holder_ids:
            return {}
        variants = self.variant_ids.sorted("id")
        codes = assign_variants(holder_ids, self.key, [(variant.id, variant.weight) for variant in variants])
        assigned = dict(zip(holder_ids, (int(code) for code in codes), strict=True))
        bulk_insert(
            self.env,
            "pr_experiment_assignment",
            {"partner_id": ("int", list(assigned)), "variant_id": ("int", list(assigned.values()))},
            fields.Datetime.now(),
            constants={"experiment_id": self.id, "company_id": self.company_id.id, "date": date},
            conflict=("experiment_id", "partner_id"),
        )
        self.env["pr.experiment.assignment"].invalidate_model()
        return assigned

    def _assignments_of(self, holder_ids):
        """The group of each holder in these experiments: ``{(experiment_id, holder_id): variant_id}``.

        The stored groups are read in one query. In a running experiment, a holder who entered the segment
        since it started joins now, in the group the hash gives them, for good; the others are not in it.
        """
        holder_ids = list(holder_ids)
        if not self or not holder_ids:
            return {}
        self.env["pr.experiment.assignment"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT experiment_id, partner_id, variant_id
                  FROM pr_experiment_assignment
                 WHERE experiment_id = ANY(%s) AND partner_id = ANY(%s)
                """,
                self.ids,
                holder_ids,
            )
        )
        found = {
            (experiment_id, partner_id): variant_id for experiment_id, partner_id, variant_id in self.env.cr.fetchall()
        }
        for experiment in self.filtered(lambda experiment: experiment.state == "running"):
            missing = [holder_id for holder_id in holder_ids if (experiment.id, holder_id) not in found]
            if missing:
                newcomers = self.env["res.partner"].search(
                    experiment._get_segment_domain() & Domain("id", "in", missing), order="id"
                )
                assigned = experiment._assign(newcomers.ids, fields.Datetime.now())
                found.update({(experiment.id, holder_id): variant_id for holder_id, variant_id in assigned.items()})
        return found

    def _variant_of(self, holder_ids):
        """The group of each holder of this experiment, stored or assigned now: ``{holder_id: variant}``.

        Holders outside the segment, or any holder while the experiment is not running and was not
        assigned, are left out.
        """
        self.ensure_one()
        Variant = self.env["pr.experiment.variant"]
        return {
            holder_id: Variant.browse(variant_id)
            for (_experiment_id, holder_id), variant_id in self._assignments_of(holder_ids).items()
        }

    def _assign_newcomers(self):
        """Assign the customers who entered the segment of these running experiments since they started."""
        for experiment in self.filtered(lambda experiment: experiment.state == "running"):
            experiment._assignments_of(experiment._segment().ids)

    # ------------------------------------------------------------
    # RESULTS
    # ------------------------------------------------------------

    def _information_fraction(self):
        """Days run out of the planned days (up to the stop, or now); None before the start."""
        self.ensure_one()
        if not self.date_start:
            return None
        elapsed = ((self.date_end or fields.Datetime.now()) - self.date_start).total_seconds() / 86400
        return max(elapsed, 0.0) / self.planned_days if self.planned_days > 0 else None

    def _read_counts(self):
        """Customers, converted customers and revenue of each group of these experiments, in one query.

        A customer converts with one behaviour event (not in error) of the experiment's behaviour, and their
        revenue is their confirmed orders (untaxed, company currency), both dated from the day they joined
        up to the end of the conversion window, and not after the experiment stopped.

        :return: ``{variant_id: (customers, conversions, revenue)}``
        """
        experiment_ids = [experiment_id for experiment_id in self._origin.ids if experiment_id]
        if not experiment_ids:
            return {}
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                WITH assigned AS (
                    SELECT a.id, a.variant_id, a.partner_id, x.behavior_id, x.company_id,
                           c.pr_wallet_mode = 'contact' AS per_contact, a.date AS start,
                           LEAST(a.date + make_interval(days => x.window_days), x.date_end) AS stop
                      FROM pr_experiment_assignment a
                      JOIN pr_experiment x ON x.id = a.experiment_id
                      JOIN res_company c ON c.id = x.company_id
                     WHERE a.experiment_id = ANY(%(experiments)s)
                ),
                -- The contacts whose behaviour and orders count for each assigned holder, with its window.
                contacts AS (
                    SELECT a.*, p.id AS contact_id
                      FROM assigned a
                      JOIN res_partner p ON p.commercial_partner_id = a.partner_id
                     WHERE NOT a.per_contact
                     UNION ALL
                    SELECT a.*, a.partner_id FROM assigned a WHERE a.per_contact
                ),
                converted AS (
                    SELECT DISTINCT ct.id
                      FROM contacts ct
                      JOIN pr_event e ON e.partner_id = ct.contact_id AND e.behavior_id = ct.behavior_id
                                     AND e.company_id = ct.company_id
                     WHERE e.state <> 'error' AND e.date >= ct.start AND e.date <= ct.stop
                ),
                revenue AS (
                    SELECT ct.id, SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1)) AS amount
                      FROM contacts ct
                      JOIN sale_order so ON so.partner_id = ct.contact_id AND so.company_id = ct.company_id
                     WHERE so.state = 'sale' AND so.date_order >= ct.start AND so.date_order <= ct.stop
                     GROUP BY ct.id
                )
                SELECT v.id, COUNT(a.id), COUNT(converted.id), COALESCE(SUM(revenue.amount), 0)
                  FROM pr_experiment_variant v
             LEFT JOIN assigned a ON a.variant_id = v.id
             LEFT JOIN converted ON converted.id = a.id
             LEFT JOIN revenue ON revenue.id = a.id
                 WHERE v.experiment_id = ANY(%(experiments)s)
                 GROUP BY v.id
                """,
                experiments=experiment_ids,
            )
        )
        return {
            variant_id: (customers, conversions, revenue)
            for variant_id, customers, conversions, revenue in self.env.cr.fetchall()
        }

    def _get_results(self):
        """The results of every group of these experiments, compared with each one's holdout, in one query.

        :return: ``{variant_id: dict}`` with ``customers``, ``conversions``, ``revenue``, ``rate`` and
            ``revenue_per_customer`` (None for an empty group) and, for the groups other than the holdout,
            ``lift`` (relative), ``z``, ``p_value`` and ``prob_beats_control`` (None when they cannot be
            computed), ``no_difference`` (why there is no chance to compute, when nobody or everybody
            converted in both groups, else None), ``early`` and ``too_small`` (bool) and ``warning`` (a
            sentence, or "")
        """
        counts = self._read_counts()
        results = {}
        for experiment in self:
            variants = experiment.variant_ids
            control = variants.filtered("is_control")[:1]
            n_c, conv_c, _revenue = counts.get(control._origin.id, (0, 0, 0.0))
            fraction = experiment._information_fraction()
            for variant in variants:
                n, conversions, revenue = counts.get(variant._origin.id, (0, 0, 0.0))
                result = {
                    "customers": n,
                    "conversions": conversions,
                    "revenue": revenue,
                    "rate": conversions / n if n else None,
                    "revenue_per_customer": revenue / n if n else None,
                    "lift": None,
                    "z": None,
                    "p_value": None,
                    "prob_beats_control": None,
                    "no_difference": None,
                    "early": False,
                    "too_small": False,
                    "warning": "",
                }
                if control and variant != control:
                    result.update(experiment._compare(conv_c, n_c, conversions, n, fraction))
                results[variant._origin.id or variant.id] = result
        return results

    def _compare(self, conv_c, n_c, conv_v, n_v, fraction):
        """A group against the holdout: lift, z-test, Bayesian probability and the warnings about reading it.

        When nobody (or everybody) converted in both, the data cannot tell the groups apart: the chance
        to beat the holdout would only echo the prior (50 %), so neither it nor a p-value is given, and
        ``no_difference`` says why.
        """
        if not n_c or not n_v:
            return {"warning": self.env._("No customer in this group or in the holdout yet: nothing to compare.")}
        test = two_proportion_ztest(conv_c, n_c, conv_v, n_v)
        compared = {}
        warnings = []
        if test.valid:
            compared.update(
                z=test.z,
                p_value=test.p_value,
                lift=None if math.isnan(test.lift) else test.lift,
                prob_beats_control=prob_beats_control(conv_c, n_c, conv_v, n_v),
            )
        elif conv_c or conv_v:
            compared["no_difference"] = self.env._("Everybody converted")
            warnings.append(
                self.env._(
                    "Everybody converted in this group and in the holdout: there is no difference to test, so no "
                    "chance to beat the holdout."
                )
            )
        else:
            compared["no_difference"] = self.env._("No conversion yet")
            warnings.append(
                self.env._(
                    "Nobody converted in this group or in the holdout yet: there is no difference to test, so no "
                    "chance to beat the holdout."
                )
            )
        if self.sample_size and min(n_c, n_v) < self.sample_size:
            compared["too_small"] = True
            warnings.append(
                self.env._(
                    "Too few customers: %(count)s where %(needed)s per group are needed; a real difference may go "
                    "unnoticed.",
                    count=min(n_c, n_v),
                    needed=self.sample_size,
                )
            )
        if fraction is not None and test.valid and is_early(max(fraction, MIN_FRACTION), test.z):
            compared["early"] = True
            warnings.append(
                self.env._(
                    "Too early to read: %(share)s of the planned duration has passed, and before the end a difference "
                    "only counts beyond |z| = %(boundary)s.",
                    share=f"{formatLang(self.env, 100 * fraction, digits=0)} %",
                    boundary=formatLang(self.env, obrien_fleming_boundary(max(fraction, MIN_FRACTION)), digits=2),
                )
            )
        compared["warning"] = " ".join(warnings)
        return compared
