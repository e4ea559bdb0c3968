from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, MissingError
from odoo.tools import SQL

from ..pr_lib.feedback import rating_to_csat

# A change of any of these makes the rating someone else's words unless the customer writes it.
RATING_FIELDS = {"rating", "consumed", "partner_id", "feedback", "res_model_id", "res_id"}
MARKER = "pr_customer_rated"


class RatingRating(models.Model):
    """Ratings count as the customer's review and CSAT only when the customer gave them.

    Odoo's customer routes, the rating link of an email (``/rate/<token>/submit_feedback``) and the
    portal chatter, write the rating as superuser on behalf of the visitor or portal user who holds the
    token or the document. That is the marker: a write under sudo by a share user. Internal users may
    still create and edit ratings (Odoo lets them), but what they write never counts, even through a
    method that runs sudo for them, and their edit of a customer's rating takes its mark away. An RPC
    call never runs as superuser, so the mark cannot be forged.
    """

    _name = "rating.rating"
    _inherit = ["rating.rating", "pr.later.mixin"]

    pr_customer_rated = fields.Boolean(
        string="Given by the Customer",
        readonly=True,
        copy=False,
        help="The customer gave this rating through the rating link or the portal: "
        "it counts as their review and satisfaction answer.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        self._pr_check_marker(vals_list)
        marks = self._pr_marks()
        return super().create([{**vals, **marks} for vals in vals_list])

    def write(self, vals):
        self._pr_check_marker([vals])
        if not RATING_FIELDS & vals.keys():
            return super().write(vals)
        return super().write({**vals, **self._pr_marks()})

    def _pr_check_marker(self, vals_list):
        self._pr_check_later(vals_list)
        if any(MARKER in vals for vals in vals_list):
            raise AccessError(
                self.env._("Only the rating link and the portal mark a rating as given by the customer, not by hand.")
            )

    def _pr_marks(self):
        """What the rating's own statement writes for the addon: whether the customer gave it and, when
        they did, that it waits for the cron that records their CSAT and review moments later (a
        rating is a click of a few milliseconds: the customer does not wait for the addon)."""
        customer = self._pr_from_customer()
        return self._pr_later_mark({MARKER: True}) if customer else {MARKER: False}

    def _pr_later(self):
        """Run moments later (``base_automation_later.py``): the ratings the customers gave count as their CSAT."""
        self._pr_record_csat()

    def _pr_from_customer(self):
        """Whether Odoo's customer routes write these ratings: sudo on behalf of a visitor or a portal user.

        A share user is one outside the internal users' group (``res.users.share``); the groups of the
        user are cached, where reading ``share`` would read the whole user.
        """
        return self.env.su and not self.env.user._is_internal()

    def _pr_customer_ratings(self):
        """The ratings that count for their customer: given by them, and not by an anonymous visitor."""
        ratings = self.sudo().filtered(lambda r: r.pr_customer_rated and r.partner_id)
        if ratings:
            visitors = self._pr_visitor_partner_ids(ratings.partner_id.ids)
            ratings = ratings.filtered(lambda r: r.partner_id.id not in visitors)
        return self.browse(ratings.ids)

    def _pr_visitor_partner_ids(self, partner_ids):
        """Those of ``partner_ids`` that are a public user's (an anonymous visitor's), archived or not.

        Remembered until the end of the transaction: the automated rules ask again about the
        ratings just recorded, on the customer's hot path.
        """
        known = self.env.cr.precommit.data.setdefault("positive_reinforcement.visitor_partners", {})
        unknown = [partner_id for partner_id in partner_ids if partner_id not in known]
        if unknown:
            self.env["res.users"].flush_model(["partner_id", "group_ids"])
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT u.partner_id FROM res_users u
                      JOIN res_groups_users_rel rel ON rel.uid = u.id
                     WHERE rel.gid = %s AND u.partner_id = ANY(%s)
                    """,
                    self.env["ir.model.data"]._xmlid_to_res_id("base.group_public"),
                    unknown,
                )
            )
            visitors = {row[0] for row in rows}
            known.update({partner_id: partner_id in visitors for partner_id in unknown})
        return {partner_id for partner_id in partner_ids if known[partner_id]}

    def _pr_record_csat(self):
        """Filled ratings of a known customer count as their CSAT, once per rating.

        Odoo's rating faces are worth 1, 3 and 5 and are CSAT scores as they are (so are 1 to 5
        stars). A customer who rates again changes the score and comment of the same row.
        """
        ratings = self._pr_customer_ratings().filtered(lambda r: r.consumed and rating_to_csat(r.rating))
        if not ratings:
            return self.env["pr.feedback"]
        # Now what the transaction computes anyway: the ratings' names read their documents, which
        # then need no other query for their companies.
        self.env.flush_all()
        companies = ratings._pr_companies()
        return (
            self.env["pr.feedback"]
            .sudo()
            ._record(
                [
                    {
                        "contact_id": rating.partner_id.id,
                        "company_id": companies.get(rating.id) or (rating.partner_id.company_id or self.env.company).id,
                        "date": rating.rated_on or rating.write_date or fields.Datetime.now(),
                        "metric": "csat",
                        "score": rating_to_csat(rating.rating),
                        "comment": rating.feedback or False,
                        "source_model": rating._name,
                        "source_id": rating.id,
                    }
                    for rating in ratings
                ],
                update=True,
            )
        )

    def _pr_companies(self):
        """``{rating id: company id}`` of the rated documents that belong to a company, per model in one read."""
        by_model = defaultdict(lambda: self.browse())
        for rating in self:
            if rating.res_model in self.env and "company_id" in self.env[rating.res_model]._fields:
                by_model[rating.res_model] |= rating
        companies = {}
        for model, ratings in by_model.items():
            documents = self.env[model].sudo().browse(ratings.mapped("res_id"))
            try:
                # The company alone (often in memory already), not the whole document.
                documents.fetch(["company_id"])
                company_of = {document.id: document.company_id.id for document in documents}
            except MissingError:
                company_of = {document.id: document.company_id.id for document in documents.exists()}
            companies.update({rating.id: company_of.get(rating.res_id) for rating in ratings})
        return companies
