import json
import re

# The review reasons as they were written, in English, before they were kept as codes.
SELF_REFERRAL = {
    "same email address": "same_email",
    "same phone number": "same_phone",
    "same tax ID": "same_vat",
    "same delivery address": "same_address",
}
FIXED = {
    "Circular referral: the friend referred the referrer.": "circular",
    "The friend was already a customer.": "existing_customer",
    "Many signups from the same network address.": "network",
}
SELF_RE = re.compile(r"^Self-referral: (.+)\.$")
CAP_RE = re.compile(r"^The referrer has more than (\d+) qualified referrals this month\.$")


def _code(line):
    """``[code, params]`` of one stored reason; a reason written otherwise is kept word for word."""
    if line in FIXED:
        return [FIXED[line], {}]
    if (match := SELF_RE.match(line)) and match[1] in SELF_REFERRAL:
        return [SELF_REFERRAL[match[1]], {}]
    if match := CAP_RE.match(line):
        return ["cap", {"cap": int(match[1])}]
    return ["legacy", {"text": line}]


def migrate(cr, version):
    """Referral review reasons were stored as text in the language of the process that flagged them.

    They are codes now, shown in the reader's language: the stored texts become codes.
    """
    if not version:
        return
    cr.execute(
        """
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'pr_referral' AND column_name = 'flags'
        """
    )
    if not cr.fetchone():
        return
    cr.execute("SELECT id, flags FROM pr_referral WHERE flags IS NOT NULL AND flag_codes IS NULL")
    rows = cr.fetchall()
    if not rows:
        return
    cr.execute(
        """
        UPDATE pr_referral r SET flag_codes = d.codes::jsonb
          FROM unnest(%s::int[], %s::text[]) AS d(id, codes)
         WHERE r.id = d.id
        """,
        (
            [referral_id for referral_id, _flags in rows],
            [json.dumps([_code(line.strip()) for line in flags.splitlines() if line.strip()]) for _id, flags in rows],
        ),
    )
