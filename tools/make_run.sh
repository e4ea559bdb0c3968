#!/usr/bin/env bash
# `make run`: serve the addon on http://localhost:8069 with a persistent dev database.
#
# Creates database $RUN_DB (default: positive_reinforcement) with demo data and installs the
# addon when it is absent, otherwise upgrades the addon (-u), then serves (Ctrl-C to stop).
# The bridge addons of bridges/ are on the addons path too: installing Point of Sale or eCommerce
# from the Apps menu installs the matching bridge by itself (auto_install).
# Environment: RUN_DB, RUN_PORT (default 8069), RUN_DATA_DIR (default: Odoo's own default,
#   ~/.local/share/Odoo), plus ODOO_BIN, ODOO_PYTHON, ODOO_DB_* and PR_ADDON_DIR as for
#   tools/make_test.sh (see tools/odoo_env.sh). Extra arguments are passed to Odoo.

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT" || exit 2
# shellcheck source=tools/odoo_env.sh
source "$ROOT/tools/odoo_env.sh"

RUN_DB=${RUN_DB:-$PR_MODULE}
RUN_PORT=${RUN_PORT:-8069}
ADDON_DIR=$(cd "${PR_ADDON_DIR:-$ROOT}" && pwd -P) || exit 2

if [[ "$RUN_DB" == pr_dev ]]; then
    pr_err "RUN_DB=pr_dev is reserved; pick another database name"
    exit 2
fi
if ! pr_find_odoo; then
    pr_err "$PR_ODOO_MISSING_WHY"
    exit 1
fi
v=$(pr_check_odoo_version) || {
    pr_err "$ODOO_BIN --version does not report 19.0 ($v)"
    exit 1
}
pr_db_settings
pr_ensure_postgres || exit 1
pr_ensure_role || exit 1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pr_run.XXXXXX")
trap 'rm -rf -- "$WORK"' EXIT
pr_make_addons_dir "$WORK" "$ADDON_DIR"
CONF=$WORK/odoo.conf
pr_write_conf "$CONF" "$RUN_PORT" "${RUN_DATA_DIR:-}" "db_name = $RUN_DB" "dbfilter = ^$RUN_DB\$"

if pr_db_exists "$RUN_DB"; then
    pr_say "database $RUN_DB exists: upgrading $PR_MODULE (-u)"
    ACTION=(-u "$PR_MODULE")
else
    pr_say "database $RUN_DB absent: creating it with demo data and installing $PR_MODULE (-i)"
    ACTION=(-i "$PR_MODULE" --with-demo)
fi
pr_say "Odoo $v at $ODOO_BIN; serving on http://localhost:$RUN_PORT (login admin / admin); Ctrl-C stops"
"$ODOO_BIN" -c "$CONF" -d "$RUN_DB" --http-port "$RUN_PORT" "${ACTION[@]}" "$@"
