from collections import defaultdict

from odoo import api, fields, models

from ..pr_lib.feedback import rating_to_csat

RATING_FIELDS = {"rating", "consumed", "partner_id", "feedback"}


class RatingRating(models.Model):
    _inherit = "rating.rating"

    @api.model_create_multi
    def create(self, vals_list):
        ratings = super().create(vals_list)
        ratings._pr_record_csat()
        return ratings

    def write(self, vals):
        result = super().write(vals)
        if RATING_FIELDS & vals.keys():
            self._pr_record_csat()
        return result

    def _pr_record_csat(self):
        """Filled ratings of a known customer count as their CSAT, once per rating.

        Odoo's rating faces are worth 1, 3 and 5 and are CSAT scores as they are (so are 1 to 5
        stars). A customer who rates again changes the score and comment of the same row.
        """
        ratings = self.sudo().filtered(lambda r: r.consumed and r.partner_id and rating_to_csat(r.rating))
        if not ratings:
            return self.env["pr.feedback"]
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
            documents = self.env[model].sudo().browse(ratings.mapped("res_id")).exists()
            documents.mapped("company_id")
            company_of = {document.id: document.company_id.id for document in documents}
            companies.update({rating.id: company_of.get(rating.res_id) for rating in ratings})
        return companies
