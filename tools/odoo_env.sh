# shellcheck shell=bash
# shellcheck disable=SC2034  # variables are used by the scripts that source this file
# Shared discovery/helpers for tools/make_test.sh and tools/make_run.sh. Source it, do not run it.
#
# Odoo:      $ODOO_BIN, else an `odoo` on PATH whose --version says 19.0, else /opt/odoo19/venv/bin/odoo.
# Python:    $ODOO_PYTHON, else $(dirname ODOO_BIN)/python.
# Database:  ODOO_DB_HOST/ODOO_DB_PORT/ODOO_DB_USER/ODOO_DB_PASSWORD (default localhost/5432/odoo/odoo),
#            exported as PGHOST/PGPORT/PGUSER/PGPASSWORD for psql and for Odoo itself.
# Addon:     $PR_ADDON_DIR (default: the repo root) is exposed to Odoo as `positive_reinforcement`
#            through a symlink in a temporary addons dir, since the clone's directory name is arbitrary;
#            the bridge addons of its bridges/ folder are linked next to it (same addons path).

PR_MODULE=positive_reinforcement
PR_ODOO_DEFAULT_BIN=/opt/odoo19/venv/bin/odoo

pr_say() { printf '[pr] %s\n' "$*"; }
pr_err() { printf '[pr] ERROR: %s\n' "$*" >&2; }

# Sets ODOO_BIN and ODOO_PYTHON. Returns 1 (and sets PR_ODOO_MISSING_WHY) when no Odoo 19 is
# found, 3 when ODOO_BIN is set but not executable (a configuration error, not a skip).
pr_find_odoo() {
    PR_ODOO_MISSING_WHY=""
    local cand=""
    if [[ -n "${ODOO_BIN:-}" ]]; then
        cand=$(command -v -- "$ODOO_BIN" 2>/dev/null) || {
            PR_ODOO_MISSING_WHY="ODOO_BIN=$ODOO_BIN is not executable"
            return 3
        }
    elif cand=$(command -v odoo 2>/dev/null) && [[ -n "$cand" ]] \
        && timeout 120 "$cand" --version 2>/dev/null | grep -q '19\.0'; then
        :
    elif [[ -x "$PR_ODOO_DEFAULT_BIN" ]]; then
        cand=$PR_ODOO_DEFAULT_BIN
    else
        PR_ODOO_MISSING_WHY="no Odoo 19 found (set ODOO_BIN or install at /opt/odoo19)"
        return 1
    fi
    ODOO_BIN=$cand
    if [[ -z "${ODOO_PYTHON:-}" ]]; then
        ODOO_PYTHON="$(dirname -- "$ODOO_BIN")/python"
        if [[ ! -x "$ODOO_PYTHON" ]]; then
            pr_err "no python next to $ODOO_BIN; falling back to python3 (set ODOO_PYTHON)"
            ODOO_PYTHON=$(command -v python3 || true)
        fi
    fi
    export ODOO_BIN ODOO_PYTHON
    return 0
}

# Prints the `odoo --version` line, fails when it does not mention 19.0.
pr_check_odoo_version() {
    local v
    v=$(timeout 120 "$ODOO_BIN" --version 2>/dev/null | tail -n1)
    printf '%s\n' "${v:-<no output>}"
    [[ "$v" == *19.0* ]]
}

pr_db_settings() {
    PR_DB_HOST=${ODOO_DB_HOST:-localhost}
    PR_DB_PORT=${ODOO_DB_PORT:-5432}
    PR_DB_USER=${ODOO_DB_USER:-odoo}
    PR_DB_PASSWORD=${ODOO_DB_PASSWORD:-odoo}
    # PGHOST also silences Odoo's "Failed to open a readonly cursor" (replica pool) warning in test mode.
    export PGHOST=$PR_DB_HOST PGPORT=$PR_DB_PORT PGUSER=$PR_DB_USER PGPASSWORD=$PR_DB_PASSWORD
}

# pr_sql SQL [DB]: run one statement as the configured role (psql, or psycopg2 from ODOO_PYTHON).
pr_sql() {
    local sql=$1 db=${2:-postgres}
    if command -v psql >/dev/null 2>&1; then
        psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$db" -c "$sql"
    elif [[ -n "${ODOO_PYTHON:-}" ]]; then
        "$ODOO_PYTHON" - "$sql" "$db" <<'PY'
import sys

import psycopg2  # libpq reads PGHOST/PGPORT/PGUSER/PGPASSWORD

cnx = psycopg2.connect(dbname=sys.argv[2])
cnx.autocommit = True
with cnx.cursor() as cur:
    cur.execute(sys.argv[1])
    if cur.description:
        for row in cur.fetchall():
            print("|".join(str(v) for v in row))
cnx.close()
PY
    else
        pr_err "neither psql nor ODOO_PYTHON/psycopg2 available"
        return 1
    fi
}

pr_pg_can_login() { pr_sql 'SELECT 1' >/dev/null 2>&1; }

pr_is_local_host() { [[ "$PR_DB_HOST" == localhost || "$PR_DB_HOST" == 127.0.0.1 || "$PR_DB_HOST" == ::1 || "$PR_DB_HOST" == /* ]]; }

# Starts the local cluster(s) when nothing answers on the port.
pr_ensure_postgres() {
    pr_pg_can_login && return 0
    if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$PR_DB_HOST" -p "$PR_DB_PORT"; then
        return 0 # server is up; the role may still be missing (pr_ensure_role)
    fi
    if pr_is_local_host && command -v pg_ctlcluster >/dev/null 2>&1 && [[ -d /etc/postgresql ]]; then
        local ver _
        for ver in /etc/postgresql/*/; do
            ver=$(basename "$ver")
            pr_say "starting PostgreSQL cluster $ver/main"
            pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
        done
        for _ in $(seq 1 30); do
            if command -v pg_isready >/dev/null 2>&1; then
                pg_isready -q -h "$PR_DB_HOST" -p "$PR_DB_PORT" && return 0
            else
                pr_pg_can_login && return 0
            fi
            sleep 1
        done
    fi
    pr_err "PostgreSQL is not reachable on $PR_DB_HOST:$PR_DB_PORT"
    return 1
}

# Makes sure the configured role can log in and create databases (Odoo refuses the `postgres` role).
pr_ensure_role() {
    if [[ "$PR_DB_USER" == postgres ]]; then
        pr_err "Odoo refuses the 'postgres' database role; set ODOO_DB_USER to a dedicated role"
        return 1
    fi
    pr_pg_can_login && return 0
    local u=${PR_DB_USER//\"/\"\"} p=${PR_DB_PASSWORD//\'/\'\'} r=${PR_DB_USER//\'/\'\'}
    local sql="DO \$\$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$r') THEN
            ALTER ROLE \"$u\" WITH LOGIN CREATEDB PASSWORD '$p';
        ELSE
            CREATE ROLE \"$u\" WITH LOGIN CREATEDB PASSWORD '$p';
        END IF; END \$\$;"
    if command -v psql >/dev/null 2>&1; then
        if PGPASSWORD='' psql -X -q -h localhost -p "$PR_DB_PORT" -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
            pr_say "creating/enabling database role '$PR_DB_USER' (via postgres@localhost)"
            PGPASSWORD='' psql -X -q -h localhost -p "$PR_DB_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$sql" || return 1
        elif [[ $(id -u) == 0 ]] && id postgres >/dev/null 2>&1; then
            pr_say "creating/enabling database role '$PR_DB_USER' (via local socket as OS user postgres)"
            (cd / && runuser -u postgres -- env -u PGHOST -u PGUSER -u PGPASSWORD \
                psql -X -q -p "$PR_DB_PORT" -d postgres -v ON_ERROR_STOP=1 -c "$sql") || return 1
        fi
    fi
    pr_pg_can_login && return 0
    pr_err "cannot log in to PostgreSQL as '$PR_DB_USER' on $PR_DB_HOST:$PR_DB_PORT and could not create the role"
    return 1
}

pr_db_exists() {
    local n=${1//\'/\'\'}
    [[ "$(pr_sql "SELECT 1 FROM pg_database WHERE datname = '$n'" 2>/dev/null)" == 1 ]]
}

# pr_drop_db DB [DATA_DIR]: drop database (terminating sessions) and its filestore.
pr_drop_db() {
    local db=$1 data_dir=${2:-}
    [[ -n "$db" ]] || return 0
    if [[ "$db" == pr_dev ]]; then
        pr_err "refusing to drop pr_dev"
        return 1
    fi
    pr_sql "DROP DATABASE IF EXISTS \"${db//\"/\"\"}\" WITH (FORCE)" >/dev/null || pr_err "could not drop database $db"
    if [[ -n "$data_dir" && -d "$data_dir/filestore/$db" ]]; then
        rm -rf -- "${data_dir:?}/filestore/$db"
    fi
}

pr_free_port() {
    local py
    py=${ODOO_PYTHON:-$(command -v python3)}
    "$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Bridge addons (bridges/<name>/__manifest__.py): small addons that need another Odoo app (Point of
# Sale, eCommerce) and install themselves when it is there (auto_install).
PR_BRIDGES_DIR=bridges

# pr_bridges ADDON_SRC: the names of the bridge addons of ADDON_SRC, one per line (none: no output).
pr_bridges() {
    local src=$1 manifest
    shopt -s nullglob
    for manifest in "$src/$PR_BRIDGES_DIR"/*/__manifest__.py; do
        basename "$(dirname "$manifest")"
    done
    shopt -u nullglob
}

# pr_make_addons_dir DIR ADDON_SRC: DIR/addons/positive_reinforcement -> ADDON_SRC, and
# DIR/addons/<bridge> -> ADDON_SRC/bridges/<bridge> for each bridge addon.
pr_make_addons_dir() {
    local dir=$1 src=$2 bridge
    mkdir -p "$dir/addons"
    ln -sfn "$src" "$dir/addons/$PR_MODULE"
    while IFS= read -r bridge; do
        [[ -n "$bridge" ]] && ln -sfn "$src/$PR_BRIDGES_DIR/$bridge" "$dir/addons/$bridge"
    done < <(pr_bridges "$src")
    PR_ADDONS_PATH="$dir/addons"
}

# pr_write_conf FILE PORT DATA_DIR [extra "key = value" lines...]
pr_write_conf() {
    local file=$1 port=$2 data_dir=$3
    shift 3
    {
        echo "[options]"
        echo "db_host = $PR_DB_HOST"
        echo "db_port = $PR_DB_PORT"
        echo "db_user = $PR_DB_USER"
        echo "db_password = $PR_DB_PASSWORD"
        echo "http_interface = 127.0.0.1"
        echo "http_port = $port"
        [[ -n "$data_dir" ]] && echo "data_dir = $data_dir"
        echo "addons_path = $PR_ADDONS_PATH"
        local line
        for line in "$@"; do echo "$line"; done
    } >"$file"
}

# Short commit of the repo, with +dirty when the work tree has changes (untracked files included).
pr_git_rev() {
    local root=$1 rev
    rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null) || rev="no-commit"
    if [[ -n "$(git -C "$root" status --porcelain 2>/dev/null | head -n1)" ]]; then
        rev="$rev+dirty"
    fi
    printf '%s\n' "$rev"
}
