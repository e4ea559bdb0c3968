from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.mail import plaintext2html

from ..pr_lib.feedback import NEGATIVE, SCALES, category, in_scale, net_value
from . import pr_demo_data
from .pr_i18n import reader_lang
from .res_company import pr_holder_by_row_sql

METRICS = [("nps", "Net Promoter Score"), ("csat", "Customer Satisfaction")]
CATEGORIES = [
    ("promoter", "Promoter"),
    ("passive", "Passive"),
    ("detractor", "Detractor"),
    ("satisfied", "Satisfied"),
    ("neutral", "Neutral"),
    ("dissatisfied", "Dissatisfied"),
]
# The categories _follow_up acts on.
FOLLOWED_UP = NEGATIVE | {"promoter"}


class PrFeedback(models.Model):
    """One NPS or CSAT answer of a customer, from a survey or a rating, counted once.

    The columns are a contract: the metrics queries read ``partner_id`` (the points holder),
    ``contact_id``, ``company_id``, ``date``, ``metric``, ``score``, ``category``, ``comment`` and
    the source document (``source_model``, ``source_id``) directly.
    """

    _name = "pr.feedback"
    _inherit = ["pr.source.mixin"]
    _description = "Customer Feedback"
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="restrict",
        help="The points holder: the commercial entity, or the contact itself when each contact has its own wallet.",
    )
    contact_id = fields.Many2one("res.partner", string="Answered By", required=True, index=True, ondelete="restrict")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True, help="When the customer answered.")
    metric = fields.Selection(METRICS, required=True, index=True)
    score = fields.Integer(required=True, aggregator="avg", help="0 to 10 for the NPS, 1 to 5 for the CSAT.")
    category = fields.Selection(CATEGORIES, compute="_compute_category", store=True, precompute=True, index=True)
    net_score = fields.Integer(
        compute="_compute_category",
        store=True,
        precompute=True,
        aggregator="avg",
        help="Averaged over the answers of one metric: the NPS (% promoters minus % detractors) "
        "or the CSAT (% satisfied).",
    )
    comment = fields.Text()

    _source_metric_uniq = models.UniqueIndex(
        "(source_model, source_id, metric)", "This answer is already counted for this metric."
    )
    _score_in_scale = models.Constraint(
        "CHECK((metric = 'nps' AND score BETWEEN 0 AND 10) OR (metric = 'csat' AND score BETWEEN 1 AND 5))",
        "An NPS score goes from 0 to 10, a CSAT score from 1 to 5.",
    )

    @api.depends("metric", "score")
    def _compute_category(self):
        for feedback in self:
            valid = feedback.metric and in_scale(feedback.metric, feedback.score)
            feedback.category = category(feedback.metric, feedback.score) if valid else False
            feedback.net_score = net_value(feedback.metric, feedback.score) if valid else 0

    @api.depends("metric", "score", "partner_id")
    def _compute_display_name(self):
        labels = dict(self._fields["metric"]._description_selection(self.env))
        for feedback in self:
            feedback.display_name = (
                f"{labels.get(feedback.metric, '')} {feedback.score} - {feedback.partner_id.name or ''}"
            )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self._check_scores(vals_list)
        feedbacks = super().create(vals_list)
        feedbacks._follow_up()
        return feedbacks

    def write(self, vals):
        if "score" not in vals and "metric" not in vals:
            return super().write(vals)
        self._check_scores(
            [{"metric": vals.get("metric", f.metric), "score": vals.get("score", f.score)} for f in self]
        )
        before = {feedback: feedback.category for feedback in self}
        result = super().write(vals)
        self.filtered(lambda feedback: feedback.category != before[feedback])._follow_up()
        return result

    @api.model
    def _check_scores(self, vals_list):
        """Refuse, with a readable message, a score that is not on its metric's scale."""
        labels = dict(self._fields["metric"]._description_selection(self.env))
        for vals in vals_list:
            metric, score = vals.get("metric"), vals.get("score")
            if metric in SCALES and not in_scale(metric, score):
                raise ValidationError(
                    self.env._(
                        "%(metric)s scores go from %(low)s to %(high)s: %(score)s is not a possible answer.",
                        metric=labels[metric],
                        low=SCALES[metric][0],
                        high=SCALES[metric][1],
                        score=score,
                    )
                )

    # ------------------------------------------------------------
    # RECORDING
    # ------------------------------------------------------------

    @api.model
    def _record(self, vals_list, update=False):
        """Count these answers, each once, and return their rows.

        Each answer gives ``contact_id``, ``company_id``, ``metric``, ``score`` and its source
        (``source_model``, ``source_id``); the holder is found here. An answer already counted
        keeps its row: a survey completed again or a reused token adds nothing and changes
        nothing (the first answer stands). With ``update``, the row follows the new score and
        comment instead: a customer who re-rates changes their answer, and the row keeps the
        date of the first answer. One query finds the known answers, whatever their number.
        """
        if not vals_list:
            return self.browse()
        if update:
            return self._upsert(vals_list)
        existing = self._known_answers(vals_list)
        known = self.browse(list(existing.values()))
        by_id = {feedback.id: feedback for feedback in known}
        new, seen, to_update = [], set(), defaultdict(lambda: self.browse())
        for vals in vals_list:
            key = (vals["source_model"], vals["source_id"], vals["metric"])
            if key in existing:
                feedback = by_id[existing[key]]
                if update and (feedback.score, feedback.comment or False) != (
                    vals["score"],
                    vals.get("comment") or False,
                ):
                    to_update[(vals["score"], vals.get("comment") or False)] |= feedback
            elif key not in seen:
                seen.add(key)
                new.append(vals)
        for (score, comment), feedbacks in to_update.items():
            feedbacks.write({"score": score, "comment": comment})
        self._set_holders(new)
        return known | self.create(new)

    @api.model
    def _upsert(self, vals_list):
        """``_record`` with ``update``, in one query: a customer who rates is on a hot path.

        The holder follows the wallet mode of each answer's company, in SQL. The new answers and
        those whose category changes are followed up, as ``create`` and ``write`` do.
        """
        # A source answered twice in one batch: its last answer stands.
        vals_list = list({(v["source_model"], v["source_id"], v["metric"]): v for v in vals_list}.values())
        self._check_scores(vals_list)
        self.flush_model()
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["res.company"].flush_model(["pr_wallet_mode"])
        rows = self.env.execute_query(
            SQL(
                """
                WITH answer AS (
                    SELECT * FROM unnest(%(contacts)s::int[], %(companies)s::int[], %(dates)s::timestamp[],
                                         %(metrics)s::varchar[], %(scores)s::int[], %(categories)s::varchar[],
                                         %(nets)s::int[], %(comments)s::text[], %(models)s::varchar[], %(ids)s::int[])
                        AS a(contact_id, company_id, date, metric, score, category, net_score, comment,
                             source_model, source_id)
                ), known AS (
                    SELECT f.id, f.category FROM pr_feedback f
                      JOIN answer a ON f.source_model = a.source_model AND f.source_id = a.source_id
                                   AND f.metric = a.metric
                ), saved AS (
                    INSERT INTO pr_feedback (partner_id, contact_id, company_id, date, metric, score, category,
                                             net_score, comment, source_model, source_id,
                                             create_uid, create_date, write_uid, write_date)
                    SELECT %(holder)s, a.contact_id, a.company_id, a.date, a.metric, a.score, a.category,
                           a.net_score, a.comment, a.source_model, a.source_id, %(uid)s, %(now)s, %(uid)s, %(now)s
                      FROM answer a
                      JOIN res_partner p ON p.id = a.contact_id
                      JOIN res_company c ON c.id = a.company_id
                    ON CONFLICT (source_model, source_id, metric) DO UPDATE
                       SET score = EXCLUDED.score, comment = EXCLUDED.comment, category = EXCLUDED.category,
                           net_score = EXCLUDED.net_score, write_uid = EXCLUDED.write_uid,
                           write_date = EXCLUDED.write_date
                     WHERE (pr_feedback.score, COALESCE(pr_feedback.comment, ''))
                           IS DISTINCT FROM (EXCLUDED.score, COALESCE(EXCLUDED.comment, ''))
                    RETURNING id, category
                )
                SELECT COALESCE(saved.id, known.id), saved.category,
                       saved.id IS NOT NULL AND saved.category IS DISTINCT FROM known.category
                  FROM saved FULL JOIN known ON known.id = saved.id
                """,
                contacts=[vals["contact_id"] for vals in vals_list],
                companies=[vals["company_id"] for vals in vals_list],
                dates=[vals.get("date") or self.env.cr.now() for vals in vals_list],
                metrics=[vals["metric"] for vals in vals_list],
                scores=[vals["score"] for vals in vals_list],
                categories=[category(vals["metric"], vals["score"]) for vals in vals_list],
                nets=[net_value(vals["metric"], vals["score"]) for vals in vals_list],
                comments=[vals.get("comment") or None for vals in vals_list],
                models=[vals["source_model"] for vals in vals_list],
                ids=[vals["source_id"] for vals in vals_list],
                holder=pr_holder_by_row_sql("p", "c"),
                uid=self.env.uid,
                now=self.env.cr.now(),
            )
        )
        feedbacks = self.browse([row[0] for row in rows])
        feedbacks.invalidate_recordset()
        # Only what _follow_up acts on, so that its filters read nothing back.
        self.browse([row[0] for row in rows if row[2] and row[1] in FOLLOWED_UP])._follow_up()
        return feedbacks

    @api.model
    def _known_answers(self, vals_list):
        """``{(source model, source id, metric): feedback id}`` for the answers already counted."""
        self.flush_model(["source_model", "source_id", "metric"])
        self.env.cr.execute(
            SQL(
                """
                SELECT f.source_model, f.source_id, f.metric, f.id FROM pr_feedback f
                  JOIN unnest(%s::varchar[], %s::int[], %s::varchar[]) AS k(model, id, metric)
                    ON f.source_model = k.model AND f.source_id = k.id AND f.metric = k.metric
                """,
                [vals["source_model"] for vals in vals_list],
                [vals["source_id"] for vals in vals_list],
                [vals["metric"] for vals in vals_list],
            )
        )
        return {(row[0], row[1], row[2]): row[3] for row in self.env.cr.fetchall()}

    @api.model
    def _set_holders(self, vals_list):
        """The holder of each answering contact, per the wallet mode of the answer's company."""
        contacts = self.env["res.partner"].browse({vals["contact_id"] for vals in vals_list})
        companies = self.env["res.company"].browse({vals["company_id"] for vals in vals_list})
        contacts.mapped("commercial_partner_id")
        companies.mapped("pr_wallet_mode")
        for vals in vals_list:
            contact = contacts.browse(vals["contact_id"])
            per_contact = companies.browse(vals["company_id"]).pr_wallet_mode == "contact"
            vals["partner_id"] = contact.id if per_contact else contact.commercial_partner_id.id

    # ------------------------------------------------------------
    # FOLLOW-UP
    # ------------------------------------------------------------

    def _follow_up(self):
        """Negative feedback is never ignored; promoters are asked for a review."""
        self.filtered(lambda feedback: feedback.category in NEGATIVE)._schedule_follow_up_activities()
        self.filtered(lambda feedback: feedback.category == "promoter")._ask_for_review()

    def _schedule_follow_up_activities(self):
        """One activity per negative answer, on the customer, for their account manager."""
        if not self:
            return
        activity_type = self.env.ref("positive_reinforcement.mail_activity_type_pr_feedback_follow_up")
        deadline = fields.Date.context_today(self) + timedelta(days=activity_type.delay_count or 0)
        model_id = self.env["ir.model"]._get_id("res.partner")
        users = self._follow_up_users()
        values = []
        for lang, feedbacks in self._by_reader_lang(users).items():
            # The task in the words of whoever does it.
            feedbacks = feedbacks.with_context(lang=lang)
            labels = dict(self._fields["metric"]._description_selection(feedbacks.env))
            values += [
                {
                    "res_model_id": model_id,
                    "res_id": feedback.partner_id.id,
                    "activity_type_id": activity_type.id,
                    "summary": feedbacks.env._(
                        "%(metric)s of %(score)s from %(contact)s",
                        metric=labels[feedback.metric],
                        score=feedback.score,
                        contact=feedback.contact_id.name,
                    ),
                    "note": feedback._follow_up_note(labels),
                    "user_id": users[feedback].id,
                    "date_deadline": deadline,
                }
                for feedback in feedbacks
            ]
        self.env["mail.activity"].sudo().create(values)

    def _by_reader_lang(self, users):
        """``{lang: feedbacks}``: these answers by the language of the user who follows each up (``users``)."""
        by_lang = defaultdict(list)
        for feedback in self:
            by_lang[reader_lang(self.env, users[feedback], feedback.company_id)].append(feedback.id)
        return {lang: self.browse(ids) for lang, ids in by_lang.items()}

    def _follow_up_note(self, labels):
        categories = dict(self._fields["category"]._description_selection(self.env))
        score = self.env._(
            "%(metric)s: %(score)s out of %(high)s (%(category)s), answered by %(contact)s.",
            metric=labels[self.metric],
            score=self.score,
            high=SCALES[self.metric][1],
            category=categories[self.category],
            contact=self.contact_id.name,
        )
        comment = plaintext2html(self.comment) if self.comment else Markup("<p>%s</p>") % self.env._("No comment.")
        return Markup("<p>%s</p>%s") % (score, comment)

    def _follow_up_users(self):
        """``{feedback: user}``: the salesperson or sales team leader of the contact who answered (of its
        company otherwise), else the company's *Feedback Follow-up By*, else whoever gets the company's
        loyalty tasks. Never an archived user, a portal user or OdooBot (see ``res.company._pr_task_users``).
        """
        users = {}
        for company, feedbacks in self.grouped("company_id").items():
            company = company.sudo()
            by_partner = company._pr_task_users(
                feedbacks.contact_id | feedbacks.partner_id, company.pr_feedback_user_id
            )
            for feedback in feedbacks:
                users[feedback] = by_partner[feedback.contact_id or feedback.partner_id]
        return users

    def _ask_for_review(self):
        """Promoters get an email, in their language, asking for a review or a testimonial."""
        promoters = self.filtered(lambda feedback: feedback.contact_id.email)
        if promoters:
            template = self.env.ref("positive_reinforcement.mail_template_pr_feedback_review")
            template.sudo().send_mail_batch(promoters.ids, email_layout_xmlid="mail.mail_notification_light")

    # ------------------------------------------------------------
    # INVITATIONS
    # ------------------------------------------------------------

    @api.model
    def _invitable_sql(self, company, alias, since):
        """SQL: the partner ``alias`` can be emailed and its holder was not invited to the company's
        NPS survey since ``since`` (an SQL timestamp); any answer of the survey counts as invited."""
        return SQL(
            """
            %(partner)s.active AND COALESCE(%(partner)s.email, '') != ''
            AND NOT EXISTS (SELECT 1 FROM mail_blacklist bl WHERE bl.active AND bl.email = %(partner)s.email_normalized)
            AND NOT EXISTS (
                SELECT 1 FROM survey_user_input ui JOIN res_partner invited ON invited.id = ui.partner_id
                 WHERE ui.survey_id = %(survey)s AND %(invited_holder)s = %(holder)s AND ui.create_date >= %(since)s)
            """,
            partner=SQL.identifier(alias),
            survey=company.pr_nps_survey_id.id,
            invited_holder=company._pr_holder_sql("invited"),
            holder=company._pr_holder_sql(alias),
            since=since,
        )

    @api.model
    def _due_invitations(self, company, now, after_holder_id=0, limit=200):
        """``[(holder id, contact id)]`` to invite now to the company's NPS survey, by holder id.

        A holder is due when one of its confirmed orders is at least the invitation delay old and
        neither that order nor the period before today saw an invitation of the holder. The contact
        invited is the customer of the holder's latest such order. Orders that fell due more than a
        period ago are not followed up: turning the feature on does not survey the whole history.
        """
        # Days are the company's: an order of its day D is due on day D + the delay, in the company's time zone.
        due_day = company._pr_local_date(now) - timedelta(days=company.pr_nps_delay_days)
        due = company._pr_day_start(due_day + timedelta(days=1))
        period_start = now - timedelta(days=company.pr_nps_period_days)
        holder = company._pr_holder_sql("buyer")
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (%(holder)s) %(holder)s, buyer.id
                  FROM sale_order so
                  JOIN res_partner buyer ON buyer.id = so.partner_id
                 WHERE so.company_id = %(company)s AND so.state = 'sale'
                   AND so.date_order < %(due)s AND so.date_order >= %(oldest)s
                   AND %(holder)s > %(after)s
                   AND %(invitable)s
                 ORDER BY %(holder)s, so.date_order DESC, so.id DESC
                 LIMIT %(limit)s
                """,
                holder=holder,
                company=company.id,
                due=due,
                oldest=company._pr_day_start(due_day - timedelta(days=company.pr_nps_period_days - 1)),
                after=after_holder_id,
                invitable=self._invitable_sql(company, "buyer", SQL("LEAST(so.date_order, %s)", period_start)),
                limit=limit,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _invitable_partners(self, partners, company):
        """Those of ``partners`` who may be invited now to the company's NPS survey: one per holder,
        with an email, and whose holder was not invited within the period."""
        period_start = fields.Datetime.now() - timedelta(days=company.pr_nps_period_days)
        holder = company._pr_holder_sql("p")
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (%(holder)s) p.id FROM res_partner p
                 WHERE p.id = ANY(%(ids)s) AND %(invitable)s
                 ORDER BY %(holder)s, p.id
                """,
                holder=holder,
                ids=partners.ids,
                invitable=self._invitable_sql(company, "p", period_start),
            )
        )
        return partners.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _invite_partners(self, partners, company):
        """Invite these partners to the company's NPS survey, the once-per-period rule applied.

        :return: the partners invited
        """
        survey = company.sudo().pr_nps_survey_id
        if not survey:
            raise UserError(self.env._("Choose the NPS survey in the Positive Reinforcement settings first."))
        invitable = self._invitable_partners(partners, company)
        survey._pr_invite(invitable, company)
        return invitable

    # ------------------------------------------------------------
    # CRONS
    # ------------------------------------------------------------

    @api.model
    def _cron_send_feedback_invitations(self, batch_size=200):
        """Invite the customers whose order is a few days old to their company's NPS survey, in batches.

        The queries per batch do not depend on its size; each batch is committed.
        """
        cron = self.env["ir.cron"]
        now = fields.Datetime.now()
        for company in self.env["res.company"].sudo().search([("pr_nps_survey_id", "!=", False)]):
            last_holder_id = 0
            while rows := self._due_invitations(company, now, last_holder_id, batch_size):
                last_holder_id = rows[-1][0]
                contacts = self.env["res.partner"].browse([row[1] for row in rows])
                company.pr_nps_survey_id._pr_invite(contacts, company)
                if not cron._commit_progress(len(rows)):
                    return

    @api.model
    def _demo_record_feedback(self, partner_ids):
        """NPS and CSAT answers of the demo customers, spread over the last months."""
        return pr_demo_data.record_feedback(self, partner_ids)
