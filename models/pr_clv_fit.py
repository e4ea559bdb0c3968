from odoo import api, fields, models

MODELS = [("bgnbd", "BG/NBD (purchases)"), ("gamma_gamma", "Gamma-Gamma (spend)")]
STATES = [("fitted", "Fitted"), ("failed", "Not Fitted")]
FAILURES = [
    ("no_repeat", "No repeat customer"),
    ("few_repeat", "Too few repeat customers"),
    ("no_convergence", "No convergence"),
    ("unusable", "Unusable parameters"),
]


class PrClvFit(models.Model):
    """One fit of a lifetime-value model on a company's history, as the daily scoring left it.

    The scoring fits BG/NBD (purchases) and Gamma-Gamma (spend) every time it runs: each fit leaves
    one record with its parameters, or the reason it could not be made, so that a manager can check
    what the predicted values rest on and the screens can say why nothing was predicted.
    """

    _name = "pr.clv.fit"
    _description = "Lifetime Value Fit"
    _order = "date desc, id desc"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    date = fields.Date(required=True, readonly=True, help="The last day of the order history the model was fitted on.")
    model = fields.Selection(MODELS, required=True, readonly=True)
    state = fields.Selection(STATES, string="Status", required=True, readonly=True)
    failure = fields.Selection(FAILURES, readonly=True)
    error = fields.Char(string="Technical Details", readonly=True)
    customers = fields.Integer(
        string="Customers Used",
        readonly=True,
        help="Customers the model was fitted on: a fixed random sample of at most 20,000; for Gamma-Gamma, "
        "only those who bought more than once.",
    )
    repeat_customers = fields.Integer(readonly=True, help="Customers of the sample who bought more than once.")
    r = fields.Float(readonly=True, help="BG/NBD: shape of the purchase rates.")
    alpha = fields.Float(readonly=True, help="BG/NBD: scale of the purchase rates (weeks).")
    a = fields.Float(readonly=True, help="BG/NBD: first shape of the dropout probabilities.")
    b = fields.Float(readonly=True, help="BG/NBD: second shape of the dropout probabilities.")
    p = fields.Float(readonly=True, help="Gamma-Gamma: shape of a customer's purchase values.")
    q = fields.Float(readonly=True, help="Gamma-Gamma: shape of the customers' mean values.")
    v = fields.Float(readonly=True, help="Gamma-Gamma: scale of the customers' mean values.")
    log_likelihood = fields.Float(readonly=True, digits=(16, 2))
    reason = fields.Char(compute="_compute_reason", help="Why no lifetime value was predicted, if so.")

    @api.depends("state", "failure", "model", "customers", "repeat_customers", "error")
    @api.depends_context("lang")
    def _compute_reason(self):
        for fit in self:
            fit.reason = fit._reason_text() if fit.state == "failed" else False

    def _reason_text(self):
        self.ensure_one()
        if self.failure == "no_repeat":
            return self.env._(
                "No lifetime value predicted: no customer has bought twice yet, so the purchase rate cannot be "
                "estimated."
            )
        if self.failure == "few_repeat":
            return self.env._(
                "No lifetime value predicted: %(count)s customers have bought more than once, and the spend model "
                "needs at least 3.",
                count=self.repeat_customers,
            )
        if self.failure == "no_convergence":
            return self.env._(
                "No lifetime value predicted: the %(model)s model could not be fitted to this order history.",
                model=dict(self._fields["model"]._description_selection(self.env))[self.model],
            )
        return self.env._(
            "No lifetime value predicted: the fitted %(model)s model cannot be used (%(error)s).",
            model=dict(self._fields["model"]._description_selection(self.env))[self.model],
            error=self.error or "",
        )

    @api.model
    def _pr_record(self, company, day, customers, repeat_customers, bgnbd, spend):
        """Record the two fits of one scoring of ``company`` and return them.

        ``bgnbd`` and ``spend`` are each fitted parameters or the exception that stopped the fit.
        """
        common = {"company_id": company.id, "date": day, "repeat_customers": repeat_customers}
        fits = self.sudo().create(
            [
                {**common, **_values(bgnbd, ("r", "alpha", "a", "b")), "model": "bgnbd", "customers": customers},
                {
                    **common,
                    **_values(spend, ("p", "q", "v")),
                    "model": "gamma_gamma",
                    "customers": repeat_customers,
                },
            ]
        )
        return fits

    @api.model
    def _pr_latest(self, company):
        """The fit that explains the last scoring of ``company`` (see ``_pr_explanation``), or an empty record."""
        return self.sudo().search([("company_id", "=", company.id)], limit=2)._pr_explanation()

    def _pr_explanation(self):
        """Of the fits of one scoring, the one that explains the prediction: the first that failed, else BG/NBD."""
        fits = self.sorted("id")
        return fits.filtered(lambda fit: fit.state == "failed")[:1] or fits.filtered(lambda fit: fit.model == "bgnbd")


def _values(outcome, names):
    """Field values of a fit outcome: its parameters and log-likelihood, or why it failed."""
    if isinstance(outcome, Exception):
        failure = getattr(outcome, "code", None) or "unusable"
        return {"state": "failed", "failure": failure, "error": str(outcome)[:500]}
    return {
        "state": "fitted",
        "log_likelihood": outcome.log_likelihood,
        **{name: getattr(outcome, name) for name in names},
    }
