from odoo import api, models

# The addon's emails are rendered in the language of whoever receives them: {xmlid: (lang, the values it
# replaces)}. A template a user gave a language of their own keeps it.
PR_TEMPLATE_LANGS = {
    "positive_reinforcement.mail_template_pr_feedback_review": (
        "{{ object.contact_id.lang or object.partner_id.lang }}",
        ("", "{{ object.partner_id.lang }}"),
    ),
    "positive_reinforcement.mail_template_pr_referral_invite": (
        "{{ ctx.get('lang') or object.referrer_id.lang }}",
        ("",),
    ),
}


class MailTemplate(models.Model):
    _inherit = "mail.template"

    @api.model
    def _pr_set_langs(self):
        """Give the addon's templates made before they had one the language of their recipient.

        Their records are not updated on upgrade (users edit them), so this runs on every install and upgrade.
        """
        for xmlid, (lang, replaced) in PR_TEMPLATE_LANGS.items():
            template = self.env.ref(xmlid, raise_if_not_found=False)
            if template and (template.lang or "") in replaced:
                template.lang = lang
