#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions are invoked indirectly (step, trap)
# Test harness of the positive_reinforcement Odoo 19 addon (the repository root is the addon).
#
#   tools/make_test.sh           tier 1 + Odoo tier                        (make test, .ci/run)
#   tools/make_test.sh --tier1   tier 1 only: lint + pytest pr_lib           (make lint)
#   tools/make_test.sh --bench   bench/bench_*.py against a throwaway DB     (make bench)
#   tools/make_test.sh --pot     export i18n/positive_reinforcement.pot      (make pot)
#   tools/make_test.sh --fmt     ruff format + ruff check --fix              (make fmt)
#
# Tier 1 (always): tools from requirements-dev.txt in .venv-tools/ (created on demand):
#   ruff check, ruff format --check, pylint (pylint_odoo checks only), oca-checks-odoo-module,
#   oca-checks-po, tools/check_po.py, pytest pr_lib; on the addon and on the bridge addons of bridges/.
# Odoo tier (when Odoo 19 is found, see tools/odoo_env.sh): fresh throwaway DB with demo data,
#   install + run the addon's tests (--test-tags /positive_reinforcement), strict log scan, then
#   tests/concurrency with the Odoo python against that DB, then the bridges: the apps they bridge to
#   (Point of Sale, eCommerce) are installed, the bridges install themselves and their tests run
#   (--test-tags /<bridge>,...), strict log scan; then the addon is uninstalled; the DB is always dropped.
#
# Environment: ODOO_BIN, ODOO_PYTHON, ODOO_DB_HOST/PORT/USER/PASSWORD (see tools/odoo_env.sh),
#   PR_ADDON_DIR (addon source dir, default repo root), PR_ODOO_TIMEOUT (seconds, default 3600),
#   TOOLS_PYTHON (base interpreter for .venv-tools, default python3.11 or python3).
# Results: .test-results/ (odoo.log, junit xml, last-run.txt). Last line: "N passed, M failed".

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT" || exit 2
# shellcheck source=tools/odoo_env.sh
source "$ROOT/tools/odoo_env.sh"

MODE="test"
case "${1:-}" in
    "" | --test) MODE="test" ;;
    --tier1 | --lint) MODE=tier1 ;;
    --bench) MODE=bench ;;
    --pot) MODE=pot ;;
    --fmt) MODE=fmt ;;
    --tools) MODE=tools ;;
    -h | --help)
        sed -n '3,21p' "$0"
        exit 0
        ;;
    *)
        pr_err "unknown option: $1 (see --help)"
        exit 2
        ;;
esac

ADDON_DIR=$(cd "${PR_ADDON_DIR:-$ROOT}" && pwd -P) || {
    pr_err "PR_ADDON_DIR=${PR_ADDON_DIR:-} is not a directory"
    exit 2
}
export PR_ADDON_DIR=$ADDON_DIR
RESULTS=$ROOT/.test-results
TOOLS_VENV=$ROOT/.venv-tools
VPY=$TOOLS_VENV/bin/python
mkdir -p "$RESULTS"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pr_harness.XXXXXX")
CLEANUP_DB=""
CLEANUP_DATA_DIR=""
cleanup() {
    local rc=$?
    if [[ -n "$CLEANUP_DB" ]]; then
        pr_say "dropping throwaway database $CLEANUP_DB"
        pr_drop_db "$CLEANUP_DB" "$CLEANUP_DATA_DIR"
        CLEANUP_DB=""
    fi
    rm -rf -- "$WORK"
    return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

COMMIT=$(pr_git_rev "$ROOT")
TOTAL_PASSED=0
TOTAL_FAILED=0

banner() { printf '\n========== %s ==========\n' "$*"; }

# ---------------------------------------------------------------------------------------------
# tools venv
# ---------------------------------------------------------------------------------------------
tools_base_python() {
    local c
    for c in "${TOOLS_PYTHON:-}" python3.11 python3; do
        [[ -n "$c" ]] || continue
        command -v "$c" >/dev/null 2>&1 || continue
        if "$c" -c 'import sys, venv; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
            command -v "$c"
            return 0
        fi
    done
    return 1
}

ensure_tools() {
    local req=$ROOT/requirements-dev.txt stamp=$TOOLS_VENV/.requirements.sha256 sum base
    sum=$(sha256sum "$req" | cut -d' ' -f1)
    if [[ -x "$VPY" ]] && "$VPY" -c 'import sys' 2>/dev/null && [[ -f "$stamp" && "$(cat "$stamp")" == "$sum" ]]; then
        return 0
    fi
    base=$(tools_base_python) || {
        pr_err "no Python >= 3.10 with venv found for .venv-tools (set TOOLS_PYTHON)"
        return 1
    }
    if ! { [[ -x "$VPY" ]] && "$VPY" -c 'import sys' 2>/dev/null; }; then
        rm -rf -- "$TOOLS_VENV"
        pr_say "creating .venv-tools with $base"
        "$base" -m venv "$TOOLS_VENV" || return 1
    fi
    pr_say "installing requirements-dev.txt into .venv-tools"
    "$VPY" -m pip install -q --disable-pip-version-check -r "$req" 2>&1 |
        grep -v 'is ignored: it is neither a file nor a directory'
    [[ ${PIPESTATUS[0]} == 0 ]] || return 1
    echo "$sum" >"$stamp"
}

# junit_counts FILE -> "tests failures errors skipped"
junit_counts() {
    local py=python3 out
    if [[ -x "$VPY" ]]; then
        py=$VPY
    elif [[ -n "${ODOO_PYTHON:-}" && -x "${ODOO_PYTHON:-}" ]]; then
        py=$ODOO_PYTHON
    fi
    out=$("$py" - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET

try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print("0 0 0 0")
    sys.exit(0)
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
tot = [0, 0, 0, 0]
for s in suites:
    for i, k in enumerate(("tests", "failures", "errors", "skipped")):
        tot[i] += int(s.get(k, 0) or 0)
print(*tot)
PY
    )
    printf '%s\n' "${out:-0 0 0 0}"
}

# ---------------------------------------------------------------------------------------------
# tier 1
# ---------------------------------------------------------------------------------------------
T1_FAILED=()
T1_PASSED_TESTS=0
T1_FAILED_TESTS=0

step() {
    local name=$1
    shift
    printf '\n--- tier 1: %s\n' "$name"
    if "$@"; then
        printf -- '--- %s: ok\n' "$name"
    else
        printf -- '--- %s: FAILED\n' "$name"
        T1_FAILED+=("$name")
    fi
}

# copy_addon DEST [SRC]: copy an addon's source files (tracked + untracked, minus git-ignored ones such
# as .venv-tools/ and .test-results/) into DEST. SRC defaults to the main addon, whose copy leaves out
# the bridge addons of bridges/ (each is an addon of its own: see copy_bridges).
copy_addon() {
    local dest=$1 src=${2:-$ADDON_DIR} exclude=()
    [[ "$src" == "$ADDON_DIR" ]] && exclude=(":(exclude)$PR_BRIDGES_DIR")
    mkdir -p "$dest"
    if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (cd "$src" && git ls-files -z -co --exclude-standard -- . "${exclude[@]}" |
            while IFS= read -r -d '' f; do [[ -e "$f" || -L "$f" ]] && printf '%s\0' "$f"; done |
            tar --null -T - -cf -) | tar -C "$dest" -xf -
    else
        local skip=()
        [[ "$src" == "$ADDON_DIR" ]] && skip=("--exclude=./$PR_BRIDGES_DIR")
        tar -C "$src" --exclude=.git --exclude=.venv-tools --exclude=.test-results "${skip[@]}" \
            --exclude=__pycache__ --exclude=.pytest_cache --exclude=.ruff_cache -cf - . | tar -C "$dest" -xf -
    fi
}

# copy_bridges TOP: copy each bridge addon into TOP/<bridge>; sets BRIDGES (their names).
copy_bridges() {
    local bridge
    BRIDGES=()
    while IFS= read -r bridge; do
        [[ -n "$bridge" ]] || continue
        BRIDGES+=("$bridge")
        copy_addon "$1/$bridge" "$ADDON_DIR/$PR_BRIDGES_DIR/$bridge"
    done < <(pr_bridges "$ADDON_DIR")
}

# Copy of the addon in a directory literally named positive_reinforcement (pylint_odoo and the
# OCA checks derive the module name from the directory name; the clone's name is arbitrary), and of
# each bridge addon next to it: LINT_MODULES lists them all, the main addon first.
make_lint_copy() {
    LINT_TOP=$WORK/lint
    LINT_DIR=$LINT_TOP/$PR_MODULE
    copy_addon "$LINT_DIR"
    copy_bridges "$LINT_TOP"
    LINT_MODULES=("$PR_MODULE" "${BRIDGES[@]}")
    git init -q "$LINT_TOP" 2>/dev/null || mkdir -p "$LINT_TOP/.git"
}

need_manifest() {
    if [[ ! -f "$LINT_DIR/__manifest__.py" ]]; then
        echo "no __manifest__.py in $ADDON_DIR"
        return 1
    fi
}

run_pylint() {
    need_manifest || return 1
    (cd "$LINT_TOP" && "$TOOLS_VENV/bin/pylint" --rcfile="$ROOT/.pylintrc" "${LINT_MODULES[@]}")
}

run_oca_module() {
    need_manifest || return 1
    (cd "$LINT_TOP" && "$TOOLS_VENV/bin/oca-checks-odoo-module" --config "$ROOT/.oca_hooks.cfg" "${LINT_MODULES[@]}")
}

run_oca_po() {
    local files=() module
    shopt -s nullglob
    for module in "${LINT_MODULES[@]}"; do
        files+=("$LINT_TOP/$module"/i18n/*.po "$LINT_TOP/$module"/i18n/*.pot)
    done
    shopt -u nullglob
    if ((${#files[@]} == 0)); then
        echo "no i18n/*.po or *.pot files"
        return 0
    fi
    (cd "$LINT_TOP" && "$TOOLS_VENV/bin/oca-checks-po" --config "$ROOT/.oca_hooks.cfg" "${files[@]#"$LINT_TOP"/}")
}

run_pytest_pr_lib() {
    if [[ ! -d "$ROOT/pr_lib" ]]; then
        echo "no pr_lib/ directory: no plain-Python tests"
        return 0
    fi
    local junit=$RESULTS/pytest-pr_lib.xml rc c
    rm -f "$junit"
    "$VPY" -m pytest -p no:cacheprovider --junitxml="$junit" -o junit_family=xunit1 pr_lib
    rc=$?
    read -r -a c <<<"$(junit_counts "$junit")"
    T1_PASSED_TESTS=$((c[0] - c[1] - c[2] - c[3]))
    T1_FAILED_TESTS=$((c[1] + c[2]))
    if [[ $rc == 5 ]]; then
        echo "pytest: no tests collected in pr_lib (exit 5 accepted)"
        return 0
    fi
    return "$rc"
}

# tools/check_po.py on the main addon and on each bridge addon that has translations.
run_check_po() {
    local dirs=("$ADDON_DIR") module
    for module in "${BRIDGES[@]}"; do
        compgen -G "$ADDON_DIR/$PR_BRIDGES_DIR/$module/i18n/*.po" >/dev/null && dirs+=("$ADDON_DIR/$PR_BRIDGES_DIR/$module")
    done
    "$VPY" "$ROOT/tools/check_po.py" "${dirs[@]}"
}

tier1() {
    banner "TIER 1: lint + plain-Python tests"
    if ! ensure_tools; then
        T1_FAILED+=("tools venv")
        return 1
    fi
    make_lint_copy
    step "ruff check" "$TOOLS_VENV/bin/ruff" check .
    step "ruff format --check" "$TOOLS_VENV/bin/ruff" format --check .
    step "pylint (pylint_odoo)" run_pylint
    step "oca-checks-odoo-module" run_oca_module
    step "oca-checks-po" run_oca_po
    step "check_po.py" run_check_po
    step "pytest pr_lib" run_pytest_pr_lib
    ((${#T1_FAILED[@]} == 0))
}

# ---------------------------------------------------------------------------------------------
# Odoo tier
# ---------------------------------------------------------------------------------------------
ODOO_STATUS=""
ODOO_REASONS=()
ODOO_PASSED=0
ODOO_FAILED=0

odoo_fail() { ODOO_REASONS+=("$1"); }

# Common setup: Odoo, PostgreSQL, role, temp addons dir, conf. Returns 2 when Odoo is absent.
odoo_setup() {
    pr_find_odoo
    case $? in
        0) ;;
        1) return 2 ;;
        *)
            odoo_fail "$PR_ODOO_MISSING_WHY"
            return 1
            ;;
    esac
    local v
    v=$(pr_check_odoo_version) || {
        odoo_fail "$ODOO_BIN --version does not report 19.0 ($v)"
        return 1
    }
    pr_say "Odoo: $ODOO_BIN ($v); python: $ODOO_PYTHON"
    pr_db_settings
    pr_ensure_postgres || {
        odoo_fail "PostgreSQL not reachable on $PR_DB_HOST:$PR_DB_PORT"
        return 1
    }
    pr_ensure_role || {
        odoo_fail "cannot use database role $PR_DB_USER"
        return 1
    }
    if [[ ! -f "$ADDON_DIR/__manifest__.py" ]]; then
        odoo_fail "no __manifest__.py in $ADDON_DIR"
        return 1
    fi
    pr_make_addons_dir "$WORK/odoo" "$ADDON_DIR"
    ODOO_PORT=$(pr_free_port)
    ODOO_DATA_DIR=$WORK/odoo/data
    ODOO_CONF=$WORK/odoo/odoo.conf
    pr_write_conf "$ODOO_CONF" "$ODOO_PORT" "$ODOO_DATA_DIR" "screenshots = $WORK/odoo/screenshots"
    pr_say "conf: $ODOO_CONF (http_port $ODOO_PORT, addons_path $PR_ADDONS_PATH -> $ADDON_DIR)"
    return 0
}

new_db_name() { printf 'pr_%s_%s_%s\n' "$1" "$(date +%Y%m%d%H%M%S)" "$$"; }

TS_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2},[0-9]{3} [0-9]+ '

show_lines() { # show_lines TITLE LINES
    local n
    n=$(printf '%s\n' "$2" | grep -c .)
    echo "!! $1 ($n line(s)):"
    printf '%s\n' "$2" | head -n 20 | sed 's/^/   | /'
    ((n > 20)) && echo "   | ... (see .test-results/odoo.log)"
}

# Scan an Odoo log: adds to ODOO_PASSED/ODOO_FAILED and appends failure reasons.
scan_odoo_log() {
    local log=$1 rc=$2 line lines k f e s
    if [[ $rc != 0 ]]; then
        odoo_fail "odoo exited with status $rc"
    fi
    line=$(grep -E 'odoo\.tests\.result: [0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$log" | tail -n1)
    s=$(grep -cE "${TS_RE}INFO [^ ]+ [^ ]+: skipped " "$log")
    if [[ -z "$line" ]]; then
        odoo_fail "no 'odoo.tests.result: N failed, M error(s) of K tests' line (install failed?)"
        ODOO_FAILED=$((ODOO_FAILED + 1))
    else
        f=$(sed -E 's/.*odoo\.tests\.result: ([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\1/' <<<"$line")
        e=$(sed -E 's/.*odoo\.tests\.result: ([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\2/' <<<"$line")
        k=$(sed -E 's/.*odoo\.tests\.result: ([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\3/' <<<"$line")
        echo "Odoo result: ${line#*odoo.tests.result: }; skipped: $s"
        ((k - f - e - s > 0)) && ODOO_PASSED=$((ODOO_PASSED + k - f - e - s))
        ODOO_FAILED=$((ODOO_FAILED + f + e + s))
        ((f + e > 0)) && odoo_fail "$f failed, $e error(s) of $k Odoo tests"
        if ((k == 0)); then
            odoo_fail "0 Odoo tests ran"
            ODOO_FAILED=$((ODOO_FAILED + 1))
        fi
    fi
    lines=$(grep -E "${TS_RE}INFO [^ ]+ [^ ]+: skipped " "$log")
    if [[ -n "$lines" ]]; then
        show_lines "skipped tests" "$lines"
        odoo_fail "$s skipped Odoo test(s)"
    fi
    lines=$(grep -E "websocket-client|Chrome executable not found" "$log")
    if [[ -n "$lines" ]]; then
        show_lines "browser prerequisites missing (HttpCase/tours would be skipped)" "$lines"
        odoo_fail "websocket-client or Chrome missing"
    fi
    lines=$(grep -E "${TS_RE}(ERROR|CRITICAL) " "$log")
    if [[ -n "$lines" ]]; then
        show_lines "ERROR/CRITICAL log lines" "$lines"
        odoo_fail "$(printf '%s\n' "$lines" | grep -c .) ERROR/CRITICAL log line(s)"
    fi
    lines=$(grep -E "${TS_RE}WARNING " "$log" | grep -E "${PR_MODULE}")
    if [[ -n "$lines" ]]; then
        show_lines "WARNING lines from/about $PR_MODULE" "$lines"
        odoo_fail "$(printf '%s\n' "$lines" | grep -c .) WARNING line(s) about $PR_MODULE"
    fi
    return 0
}

# Odoo's Python need not have pytest: when it has none, the pytest pinned in requirements-dev.txt
# (pure Python) goes into .venv-tools/odoo-pytest for Odoo's Python version, and rides on PYTHONPATH.
# Nothing is installed into Odoo's own environment. Sets ODOO_PYTEST_PATH ("" when Odoo has pytest).
ensure_odoo_pytest() {
    ODOO_PYTEST_PATH=""
    "$ODOO_PYTHON" -c 'import pytest' 2>/dev/null && return 0
    ensure_tools || return 1
    local pin pyver target stamp
    pin=$(grep -E '^pytest==' "$ROOT/requirements-dev.txt" | head -n1)
    pyver=$("$ODOO_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])') || return 1
    target=$TOOLS_VENV/odoo-pytest
    stamp="$pin python$pyver"
    if [[ ! -f "$target/.stamp" || "$(cat "$target/.stamp")" != "$stamp" ]]; then
        rm -rf -- "$target"
        pr_say "installing $pin for Odoo's Python $pyver into .venv-tools/odoo-pytest"
        "$VPY" -m pip install -q --disable-pip-version-check --target "$target" --python-version "$pyver" \
            --only-binary=:all: "$pin" 2>&1 | grep -v 'is ignored: it is neither a file nor a directory'
        [[ ${PIPESTATUS[0]} == 0 ]] || return 1
        echo "$stamp" >"$target/.stamp"
    fi
    ODOO_PYTEST_PATH=$target
}

run_concurrency() {
    local dir=$ADDON_DIR/tests/concurrency junit=$RESULTS/pytest-concurrency.xml rc c
    [[ -d "$dir" ]] || {
        echo "no tests/concurrency directory"
        return 0
    }
    ensure_odoo_pytest || {
        odoo_fail "could not provide pytest to Odoo's Python for tests/concurrency"
        ODOO_FAILED=$((ODOO_FAILED + 1))
        return 1
    }
    banner "ODOO TIER: tests/concurrency (pytest with $ODOO_PYTHON, DB $1)"
    rm -f "$junit"
    (cd "$ROOT" && PYTHONPATH=${ODOO_PYTEST_PATH}${ODOO_PYTEST_PATH:+${PYTHONPATH:+:}}${PYTHONPATH:-} PR_TEST_DB=$1 PR_ODOO_CONF=$ODOO_CONF \
        timeout --foreground -k 30 "${PR_ODOO_TIMEOUT:-3600}" "$ODOO_PYTHON" -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning -W error::pytest.PytestUnhandledThreadExceptionWarning \
        -c "$ROOT/pyproject.toml" --rootdir "$ROOT" --junitxml="$junit" -o junit_family=xunit1 "$dir") 2>&1 |
        tee "$RESULTS/concurrency.log"
    rc=${PIPESTATUS[0]}
    read -r -a c <<<"$(junit_counts "$junit")"
    ODOO_PASSED=$((ODOO_PASSED + c[0] - c[1] - c[2] - c[3]))
    ODOO_FAILED=$((ODOO_FAILED + c[1] + c[2]))
    if [[ $rc == 5 ]]; then
        echo "concurrency: no tests collected (exit 5 accepted)"
    elif [[ $rc != 0 ]]; then
        odoo_fail "tests/concurrency pytest exited $rc (${c[1]} failed, ${c[2]} errors)"
        ((c[1] + c[2] == 0)) && ODOO_FAILED=$((ODOO_FAILED + 1))
    fi
}

# The bridge addons: install the apps they bridge to (their dependencies other than the addon) into the
# database the addon's tests ran on; the bridges must then install themselves (auto_install), and
# their tests run (--test-tags /<bridge>,...). Point of Sale and eCommerce take minutes to install.
run_bridges() {
    local db=$1 log=$RESULTS/odoo-bridges.log bridges=() apps rc bridge state
    while IFS= read -r bridge; do [[ -n "$bridge" ]] && bridges+=("$bridge"); done < <(pr_bridges "$ADDON_DIR")
    ((${#bridges[@]})) || return 0
    apps=$("$ODOO_PYTHON" - "$ADDON_DIR/$PR_BRIDGES_DIR" "$PR_MODULE" "${bridges[@]}" <<'PY'
import ast
import sys

root, main, bridges = sys.argv[1], sys.argv[2], sys.argv[3:]
apps = []
for bridge in bridges:
    with open(f"{root}/{bridge}/__manifest__.py", encoding="utf-8") as manifest:
        for depend in ast.literal_eval(manifest.read()).get("depends", []):
            if depend != main and depend not in bridges and depend not in apps:
                apps.append(depend)
print(",".join(apps))
PY
    ) || {
        odoo_fail "could not read the bridge addons' manifests"
        ODOO_FAILED=$((ODOO_FAILED + 1))
        return 1
    }
    banner "ODOO TIER: bridges ${bridges[*]} (installing $apps into $db)"
    local tags
    tags=$(printf ',/%s' "${bridges[@]}")
    timeout --foreground -k 30 "${PR_ODOO_TIMEOUT:-3600}" "$ODOO_BIN" -c "$ODOO_CONF" -d "$db" --http-port "$ODOO_PORT" \
        -i "$apps" --test-tags "${tags#,}" --stop-after-init --log-level=test 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    [[ $rc == 124 ]] && odoo_fail "bridges: timed out after ${PR_ODOO_TIMEOUT:-3600}s"
    banner "ODOO TIER: bridges log scan"
    scan_odoo_log "$log" "$rc"
    for bridge in "${bridges[@]}"; do
        state=$(pr_sql "SELECT state FROM ir_module_module WHERE name = '$bridge'" "$db")
        if [[ "$state" != installed ]]; then
            odoo_fail "bridge $bridge did not install itself with $apps (state: ${state:-unknown})"
            ODOO_FAILED=$((ODOO_FAILED + 1))
        fi
    done
}

# Uninstalling from the database the tests ran on (demo data, redemptions, cards) must log no error.
run_uninstall() {
    local log=$RESULTS/uninstall.log lines rc
    banner "ODOO TIER: uninstall the addon from $1"
    timeout --foreground -k 30 "${PR_ODOO_TIMEOUT:-3600}" "$ODOO_BIN" module uninstall -c "$ODOO_CONF" -d "$1" \
        "$PR_MODULE" >"$log" 2>&1
    rc=$?
    lines=$(grep -E "${TS_RE}(ERROR|CRITICAL) " "$log")
    if [[ $rc != 0 || -n "$lines" ]]; then
        [[ -n "$lines" ]] && show_lines "uninstall: ERROR/CRITICAL log lines" "$lines"
        odoo_fail "uninstalling the addon failed (exit $rc, see .test-results/uninstall.log)"
        ODOO_FAILED=$((ODOO_FAILED + 1))
        return 1
    fi
    echo "uninstalled cleanly"
    ODOO_PASSED=$((ODOO_PASSED + 1))
}

odoo_tier() {
    banner "ODOO TIER: install + tests in a throwaway database"
    rm -f -- "$RESULTS/odoo.log" "$RESULTS/concurrency.log" "$RESULTS/pytest-concurrency.xml"
    odoo_setup
    case $? in
        0) ;;
        2)
            ODOO_STATUS=SKIPPED
            return 0
            ;;
        *)
            ODOO_STATUS=FAILED
            ODOO_FAILED=$((ODOO_FAILED + 1))
            return 1
            ;;
    esac
    local db log=$RESULTS/odoo.log rc
    db=$(new_db_name test)
    CLEANUP_DB=$db
    CLEANUP_DATA_DIR=$ODOO_DATA_DIR
    rm -rf -- "$RESULTS/screenshots"
    pr_say "database $db (auto-created by Odoo, with demo data); log: .test-results/odoo.log"
    timeout --foreground -k 30 "${PR_ODOO_TIMEOUT:-3600}" "$ODOO_BIN" -c "$ODOO_CONF" -d "$db" --http-port "$ODOO_PORT" \
        -i "$PR_MODULE" --with-demo --test-tags "/$PR_MODULE" --stop-after-init --log-level=test 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    [[ $rc == 124 ]] && odoo_fail "timed out after ${PR_ODOO_TIMEOUT:-3600}s"
    banner "ODOO TIER: log scan"
    scan_odoo_log "$log" "$rc"
    if [[ -d "$WORK/odoo/screenshots" ]] && [[ -n "$(ls -A "$WORK/odoo/screenshots" 2>/dev/null)" ]]; then
        cp -r "$WORK/odoo/screenshots" "$RESULTS/screenshots"
        echo "browser screenshots copied to .test-results/screenshots"
    fi
    if grep -qE 'odoo\.tests\.result: ' "$log"; then
        run_concurrency "$db"
        run_bridges "$db"
        run_uninstall "$db"
    elif [[ -d "$ADDON_DIR/tests/concurrency" ]]; then
        echo "tests/concurrency not run: the addon did not install/test"
    fi
    pr_drop_db "$db" "$ODOO_DATA_DIR"
    CLEANUP_DB=""
    if ((${#ODOO_REASONS[@]})); then
        ODOO_STATUS=FAILED
        # A failure that is not a failed test (log scan, exit status) still counts once.
        ((ODOO_FAILED == 0)) && ODOO_FAILED=1
        return 1
    fi
    ODOO_STATUS=PASSED
}

# ---------------------------------------------------------------------------------------------
# other modes
# ---------------------------------------------------------------------------------------------
install_throwaway() { # install_throwaway PREFIX [--with-demo] -> sets DB; no demo unless asked
    DB=$(new_db_name "$1")
    CLEANUP_DB=$DB
    CLEANUP_DATA_DIR=$ODOO_DATA_DIR
    local demo=("${@:2}")
    pr_say "installing $PR_MODULE into throwaway database $DB (${demo[*]:-no demo})"
    timeout --foreground -k 30 "${PR_ODOO_TIMEOUT:-3600}" "$ODOO_BIN" -c "$ODOO_CONF" -d "$DB" --http-port "$ODOO_PORT" \
        "${demo[@]}" -i "$PR_MODULE" --stop-after-init 2>&1 | tee "$RESULTS/$1-install.log"
    local rc=${PIPESTATUS[0]}
    if [[ $rc != 0 ]] || grep -qE "${TS_RE}(ERROR|CRITICAL) " "$RESULTS/$1-install.log"; then
        pr_err "install failed (exit $rc), see .test-results/$1-install.log"
        return 1
    fi
}

mode_bench() {
    shopt -s nullglob
    local scripts=("$ROOT"/bench/bench_*.py) s rc failed=0
    shopt -u nullglob
    if ((${#scripts[@]} == 0)); then
        echo "no bench/bench_*.py scripts found: nothing to benchmark"
        return 0
    fi
    odoo_setup
    case $? in
        0) ;;
        2)
            echo "!!! BENCH SKIPPED: $PR_ODOO_MISSING_WHY !!!"
            return 1
            ;;
        *)
            printf '%s\n' "${ODOO_REASONS[@]}"
            return 1
            ;;
    esac
    install_throwaway bench || return 1
    : >"$RESULTS/bench.log"
    # Each script gets its own copy of the freshly installed database, so none measures another's data.
    local run_db
    for s in "${scripts[@]}"; do
        banner "bench: ${s#"$ROOT"/}"
        run_db="${DB}_run"
        pr_sql "CREATE DATABASE \"$run_db\" TEMPLATE \"$DB\"" postgres >/dev/null || {
            failed=$((failed + 1))
            continue
        }
        (cd "$ROOT" && PR_BENCH_DB=$run_db PR_ODOO_CONF=$ODOO_CONF "$ODOO_PYTHON" "$s") 2>&1 | tee -a "$RESULTS/bench.log"
        rc=${PIPESTATUS[0]}
        pr_drop_db "$run_db" "$ODOO_DATA_DIR"
        if [[ $rc != 0 ]]; then
            echo "!! ${s#"$ROOT"/} exited $rc"
            failed=$((failed + 1))
        fi
    done
    echo "bench: ${#scripts[@]} script(s), $failed failed; output in .test-results/bench.log"
    ((failed == 0))
}

mode_pot() {
    # Odoo's code-term extraction walks the whole module directory (os.walk), so export from a
    # clean copy: otherwise .venv-tools/ (site-packages) would end up in the .pot.
    local real_addon=$ADDON_DIR
    copy_addon "$WORK/potsrc"
    ADDON_DIR=$WORK/potsrc
    odoo_setup
    case $? in
        0) ;;
        2)
            pr_err "$PR_ODOO_MISSING_WHY"
            return 1
            ;;
        *)
            printf '%s\n' "${ODOO_REASONS[@]}"
            return 1
            ;;
    esac
    # With the demo data: its names (tiers, rewards, rules, badges...) are translated too.
    install_throwaway pot --with-demo || return 1
    local out=$real_addon/i18n/$PR_MODULE.pot
    mkdir -p "$real_addon/i18n"
    "$ODOO_BIN" i18n export -c "$ODOO_CONF" -d "$DB" -o "$out" "$PR_MODULE" || return 1
    if [[ ! -s "$out" ]]; then
        rm -f -- "$out"
        pr_err "no translatable terms found; no .pot written"
        return 1
    fi
    echo "wrote ${out#"$ROOT"/}"
}

mode_fmt() {
    ensure_tools || return 1
    "$TOOLS_VENV/bin/ruff" format . && "$TOOLS_VENV/bin/ruff" check --fix .
}

write_last_run() {
    {
        echo "tier 1: $1 at $COMMIT"
        echo "odoo tier: $2"
        echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    } >"$RESULTS/last-run.txt"
}

# ---------------------------------------------------------------------------------------------
case $MODE in
    tools)
        ensure_tools
        exit $?
        ;;
    fmt)
        mode_fmt
        exit $?
        ;;
    bench)
        mode_bench
        exit $?
        ;;
    pot)
        mode_pot
        exit $?
        ;;
esac

T1_OK=1
tier1 || T1_OK=0
T1_STATUS=PASSED
((T1_OK)) || T1_STATUS=FAILED
TOTAL_PASSED=$((TOTAL_PASSED + T1_PASSED_TESTS))
TOTAL_FAILED=$((TOTAL_FAILED + T1_FAILED_TESTS))
# A failed non-test check (lint step, tools install) counts as one failure in the summary line.
for s in "${T1_FAILED[@]}"; do
    [[ "$s" == "pytest pr_lib" ]] && ((T1_FAILED_TESTS > 0)) && continue
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
done

ODOO_OK=1
if [[ $MODE == test ]]; then
    odoo_tier || ODOO_OK=0
    TOTAL_PASSED=$((TOTAL_PASSED + ODOO_PASSED))
    TOTAL_FAILED=$((TOTAL_FAILED + ODOO_FAILED))
    ODOO_LINE=""
    case $ODOO_STATUS in
        PASSED) ODOO_LINE="PASSED at $COMMIT" ;;
        SKIPPED) ODOO_LINE="SKIPPED (no Odoo 19 found) at $COMMIT" ;;
        *)
            ODOO_STATUS=FAILED
            ODOO_LINE="FAILED at $COMMIT ($(printf '%s; ' "${ODOO_REASONS[@]}" | sed 's/; $//'))"
            ;;
    esac
    write_last_run "$T1_STATUS" "$ODOO_LINE"
else
    write_last_run "$T1_STATUS" "NOT RUN (tier 1 only) at $COMMIT"
fi

banner "SUMMARY"
if ((T1_OK)); then
    echo "tier 1:    PASSED (ruff, pylint_odoo, oca checks, check_po, pytest pr_lib: $T1_PASSED_TESTS passed)"
else
    echo "tier 1:    FAILED: ${T1_FAILED[*]}"
fi
if [[ $MODE == test ]]; then
    case $ODOO_STATUS in
        PASSED) echo "odoo tier: PASSED ($ODOO_PASSED tests passed incl. tests/concurrency)" ;;
        SKIPPED)
            echo "odoo tier: SKIPPED"
            echo "!!! ODOO TIER SKIPPED: $PR_ODOO_MISSING_WHY !!!"
            ;;
        *) printf 'odoo tier: FAILED:\n%s\n' "$(printf '  - %s\n' "${ODOO_REASONS[@]}")" ;;
    esac
else
    echo "odoo tier: not run (tier 1 only)"
fi
echo "(details: .test-results/last-run.txt)"
echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
((T1_OK && ODOO_OK)) || exit 1
exit 0
