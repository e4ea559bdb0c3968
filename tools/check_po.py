#!/usr/bin/env python3
"""Translation completeness/consistency check for the addon's i18n/*.po files.

Usage: check_po.py [--tags] [--fix] [PATH ...]
  PATH is a .po file, an addon directory (its i18n/*.po are checked) or an i18n directory.
  Default: ./i18n/*.po. Exits 1 and lists every offender when something is wrong.

Every term of the .pot next to a .po must be in that .po. Rules for every (non-obsolete, non-header) entry:
  * not fuzzy;
  * translated (every msgstr / msgstr[n] non-empty). A translation identical to the source
    must be left empty (Odoo's export and oca-checks-po `po-pretty-format` both require that)
    and marked with the translator comment line `# identical`;
  * the same placeholders in msgid and msgstr:
      printf        %s %d %r ... (positional: same order), %(name)s (named: same multiset)
      inline        {{ expr }}                     (mail templates; same multiset)
      format        {name} {0} {} {name!r:>5}      (same multiset)
      QWeb          t-out="..." t-esc="..." t-att-x="..." (same multiset of directive+value)
      tags (--tags) the multiset of XML/HTML tag names
  For plural entries msgstr[0] is compared with msgid, the other forms with msgid_plural.

An Indonesian file (id.po) must also keep to the glossary (README, *Terminology*;
/work/shared/glossary-id.md): one Indonesian word per concept. A translation that shows the
reader an English term the glossary translates ("Referral", "Tier", "Badge", ...), or a synonym
it rules out ("Penelitian", "Hibah", "Pemimpin Dewan", ...), is an offender. Placeholders, markup,
code (``object.partner_id``) and the proper names of ``GLOSSARY_ALLOWED`` (NPS, Gift Card,
eWallet, ...) are not read. An entry marked ``# identical`` is read as its English source.

--fix rewrites each file in the canonical form expected by oca-checks-po (entries sorted by
msgid, polib wrapping) and turns `msgstr == msgid` into an empty msgstr marked `# identical`.
"""

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

try:
    import polib
except ImportError:  # pragma: no cover
    sys.exit("check_po.py needs polib (pip install polib; tools/make_test.sh uses .venv-tools)")

IDENTICAL_MARK = "identical"

PRINTF_RE = re.compile(
    r"%(?:\((?P<name>[^()]*)\))?[#0+\-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])"
)
INLINE_RE = re.compile(r"\{\{(.*?)\}\}", re.S)
FORMAT_RE = re.compile(r"\{(?P<field>[A-Za-z_][\w.\[\]]*|\d*)(?:![rsa])?(?::[^{}]*)?\}")
QWEB_ATTR_RE = re.compile(
    r"\b(t-(?:out|esc|raw|field|att-[\w:-]+|attf-[\w:-]+|att|options|call|set|value|if|elif|foreach|as))\s*=\s*(\"[^\"]*\"|'[^']*')"
)
TAG_RE = re.compile(r"</?([A-Za-z][\w:.-]*)")


def _norm(expr):
    return " ".join(expr.split())


def printf_placeholders(text):
    positional, named = [], Counter()
    for m in PRINTF_RE.finditer(text):
        if m.group("conv") == "%":
            continue  # literal percent
        if m.group("name") is not None:
            named[(m.group("name"), m.group("conv"))] += 1
        else:
            positional.append(m.group(0))
    return positional, named


def inline_placeholders(text):
    return Counter(_norm(m) for m in INLINE_RE.findall(text))


def format_placeholders(text):
    return Counter(m.group(0) for m in FORMAT_RE.finditer(INLINE_RE.sub(" ", text)))


def qweb_placeholders(text):
    return Counter((name, _norm(value[1:-1])) for name, value in QWEB_ATTR_RE.findall(text))


def tag_placeholders(text):
    return Counter(TAG_RE.findall(text))


def _fmt(counter):
    items = counter.elements() if isinstance(counter, Counter) else counter
    return ", ".join(repr(x) for x in items) or "none"


def compare(source, translation, check_tags):
    """Return a list of human-readable placeholder mismatches."""
    problems = []
    src_pos, src_named = printf_placeholders(source)
    dst_pos, dst_named = printf_placeholders(translation)
    if src_pos != dst_pos:
        problems.append(f"printf placeholders differ: source [{_fmt(src_pos)}] vs translation [{_fmt(dst_pos)}]")
    if src_named != dst_named:
        problems.append(
            "named printf placeholders differ: source "
            f"[{_fmt(Counter('%%(%s)%s' % k for k in src_named.elements()))}] vs translation "
            f"[{_fmt(Counter('%%(%s)%s' % k for k in dst_named.elements()))}]"
        )
    checks = [
        ("{{ }} expressions", inline_placeholders),
        ("{} format fields", format_placeholders),
        ("QWeb directives", qweb_placeholders),
    ]
    if check_tags:
        checks.append(("XML tags", tag_placeholders))
    for label, func in checks:
        src, dst = func(source), func(translation)
        if src != dst:
            missing, extra = src - dst, dst - src
            detail = []
            if missing:
                detail.append(f"missing {_fmt(missing)}")
            if extra:
                detail.append(f"unexpected {_fmt(extra)}")
            problems.append(f"{label} differ: " + "; ".join(detail))
    return problems


# Indonesian: {word or phrase (whole words, any case): the glossary's term}.
GLOSSARY_FORBIDDEN = {
    # English terms the glossary translates
    "referral": "rujukan",
    "referrals": "rujukan",
    "referral's": "rujukan",
    "referrer": "perujuk",
    "tier": "tingkatan",
    "tiers": "tingkatan",
    "leaderboard": "papan peringkat",
    "badge": "lencana",
    "badges": "lencana",
    "redeem": "tukar / tukarkan",
    "redeemed": "ditukar",
    "redemption": "penukaran",
    "redemptions": "penukaran",
    "ledger": "Buku Poin / buku besar poin",
    "pending": "tertunda",
    "survey": "survei",
    "surveys": "survei",
    "holdout": "kelompok kontrol",
    "feedback": "umpan balik / masukan",
    "reward": "hadiah",
    "rewards": "hadiah",
    "points": "poin",
    "loyalty": "loyalitas",
    "customer": "pelanggan",
    "customers": "pelanggan",
    "behaviour": "perilaku",
    "behaviours": "perilaku",
    "behavior": "perilaku",
    "experiment": "eksperimen",
    "campaign": "kampanye",
    "gift": "hadiah",
    "detractor": "kritikus",
    "detractors": "kritikus",
    "promoter": "promotor",
    "promoters": "promotor",
    "unhappy": "tidak puas",
    "scale": "skala",
    # Synonyms the glossary rules out (Odoo's own mistakes among them)
    "referal": "rujukan",
    "referensi rujukan": "rujukan",
    "penelitian": "survei",
    "timbangan": "skala",
    "hibah": "berikan",
    "pemimpin dewan": "papan peringkat",
    "papan pemimpin": "papan peringkat",
    "tidak bahagia": "tidak puas",
    "detraktor": "kritikus",
    "surveyi": "survei",
}
# Proper names kept in English, never read for the glossary.
GLOSSARY_ALLOWED = (
    "Net Promoter Score",
    "Gift Card",
    "Gift Cards",
    "eWallet",
    "NPS",
    "CSAT",
    "CLTV",
    "RFM",
    "API",
    "BG/NBD",
    "Gamma-Gamma",
    "Odoo",
    "OdooBot",
)
_NOT_PROSE_RE = re.compile(
    r"\{\{.*?\}\}"  # inline template expressions
    r"|<[^>]*>"  # markup (and the QWeb code in its attributes)
    r"|%\([^()]*\)[#0+\-]*\d*(?:\.\d+)?[a-zA-Z]|%[#0+\-]*\d*(?:\.\d+)?[sdifr]"  # printf placeholders
    r"|\{[A-Za-z_][\w.\[\]]*(?:![rsa])?(?::[^{}]*)?\}|\{\d*\}"  # format fields
    r"|https?://\S+"  # addresses
    r"|\b\w+(?:[._]\w+)+(?:\(\))?",  # code: object.partner_id, pr_referral_url, res.partner
    re.S,
)
_ALLOWED_RE = re.compile("|".join(rf"(?<!\w){re.escape(name)}(?!\w)" for name in GLOSSARY_ALLOWED))
_FORBIDDEN_RE = re.compile(
    r"(?<!\w)(" + "|".join(re.escape(w) for w in sorted(GLOSSARY_FORBIDDEN, key=len, reverse=True)) + r")(?!\w)",
    re.I,
)


def is_indonesian(path, po=None):
    language = (po.metadata.get("Language", "") if po is not None else "").split("_")[0].lower()
    return language == "id" or Path(path).stem.split("_")[0].lower() == "id"


def glossary_offences(text):
    """The glossary's terms ``text`` breaks, as ``[(word found, the glossary's term)]``."""
    prose = _ALLOWED_RE.sub(" ", _NOT_PROSE_RE.sub(" ", text))
    return [(m.group(1), GLOSSARY_FORBIDDEN[m.group(1).lower()]) for m in _FORBIDDEN_RE.finditer(prose)]


def check_glossary(path):
    """Indonesian translations keep to one Indonesian word per concept (see the module docstring)."""
    po = polib.pofile(str(path))
    if not is_indonesian(path, po):
        return []
    offenders = []
    for entry in po:
        if entry.obsolete or entry.msgid == "":
            continue
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if not any(texts) and _is_marked_identical(entry):
            texts = [entry.msgid]  # shown as the English source
        for text in texts:
            for word, term in glossary_offences(text):
                offenders.append(
                    f'{path}:{entry.linenum}: msgid "{_short(entry.msgid)}": "{word}" in the Indonesian text: '
                    f'the glossary says "{term}"'
                )
    return offenders


def _is_marked_identical(entry):
    return any(line.strip().lower() == IDENTICAL_MARK for line in (entry.tcomment or "").splitlines())


def _short(text, width=70):
    text = text.replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 3] + "..."


def check_file(path, check_tags):
    offenders = []
    try:
        po = polib.pofile(str(path))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return [f"{path}: cannot parse: {exc}"]

    def report(entry, msg):
        offenders.append(f'{path}:{entry.linenum}: msgid "{_short(entry.msgid)}": {msg}')

    for entry in po:
        if entry.obsolete or entry.msgid == "":
            continue
        if entry.fuzzy:
            report(entry, "fuzzy (review the translation and remove the fuzzy flag)")
        if entry.msgid_plural:
            forms = sorted(entry.msgstr_plural.items())
            if not forms or any(not s for _, s in forms):
                report(entry, "untranslated plural form(s)")
            for idx, text in forms:
                if text:
                    source = entry.msgid if idx == 0 else entry.msgid_plural
                    for problem in compare(source, text, check_tags):
                        report(entry, f"msgstr[{idx}]: {problem}")
            continue
        if not entry.msgstr:
            if not _is_marked_identical(entry):
                report(
                    entry,
                    "untranslated (if the translation is identical to the source, keep msgstr "
                    f'empty and add the translator comment line "# {IDENTICAL_MARK}")',
                )
            continue
        for problem in compare(entry.msgid, entry.msgstr, check_tags):
            report(entry, problem)
    return offenders


def check_against_template(path):
    """Every term of the addon's .pot (beside the .po) must be in the .po: a missing one is untranslated."""
    templates = sorted(Path(path).parent.glob("*.pot"))
    if not templates:
        return []
    po = polib.pofile(str(path))
    known = {(entry.msgctxt, entry.msgid) for entry in po if not entry.obsolete}
    missing = []
    for template in templates:
        for entry in polib.pofile(str(template)):
            if entry.msgid and (entry.msgctxt, entry.msgid) not in known:
                missing.append(f'{path}: msgid "{_short(entry.msgid)}" of {template.name} is missing (untranslated)')
    return missing


def fix_file(path):
    po = polib.pofile(str(path))
    for entry in po:
        if entry.obsolete or entry.msgid == "" or entry.msgid_plural:
            continue
        if entry.msgstr and entry.msgstr == entry.msgid:
            entry.msgstr = ""
            if not _is_marked_identical(entry):
                entry.tcomment = "\n".join(filter(None, [entry.tcomment, IDENTICAL_MARK]))
    po.sort(key=lambda e: e.msgid)  # same ordering as oca-checks-po's po-pretty-format
    new = str(po)
    old = Path(path).read_text(encoding="utf-8")
    if new != old:
        Path(path).write_text(new, encoding="utf-8")
        print(f"fixed {path}")


def collect(paths):
    files = []
    for raw in paths or ["."]:
        p = Path(raw)
        if p.is_file():
            files.append(p)
        elif p.is_dir():
            i18n = p if p.name.startswith("i18n") else p / "i18n"
            files.extend(sorted(i18n.glob("*.po")))
        else:
            print(f"check_po.py: no such file or directory: {raw}", file=sys.stderr)
            sys.exit(2)
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("paths", nargs="*", help=".po files, addon dirs or i18n dirs (default: .)")
    parser.add_argument("--tags", action="store_true", help="also require the same XML/HTML tags")
    parser.add_argument("--fix", action="store_true", help="canonicalise files (sort, wrap, mark identical)")
    args = parser.parse_args(argv)

    files = collect(args.paths)
    if not files:
        print("check_po: no .po files found, nothing to check")
        return 0
    if args.fix:
        for f in files:
            fix_file(f)
    offenders = []
    for f in files:
        offenders.extend(check_file(f, args.tags))
        offenders.extend(check_against_template(f))
        offenders.extend(check_glossary(f))
    if offenders:
        print(f"check_po: {len(offenders)} problem(s) in {len(files)} file(s):")
        for line in offenders:
            print("  " + line)
        return 1
    print(f"check_po: {len(files)} file(s) OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
