#!/usr/bin/env bash
# A throwaway WordPress on 127.0.0.1 for the end-to-end tests (tests/e2e/wordpress).
#
#   scripts/e2e/wordpress.sh up     install packages if missing, start MariaDB and WordPress,
#                                   write $STATE_DIR/wordpress.json (base_url, username,
#                                   application_password) for the tests; fast when already up
#   scripts/e2e/wordpress.sh down   stop both servers (data is kept, so the next `up` is fast)
#   scripts/e2e/wordpress.sh reset  down, then delete the state dir (next `up` starts clean)
#   scripts/e2e/wordpress.sh permalinks plain|pretty
#                                   switch the permalink structure (tests of ?rest_route=);
#                                   `up` always restores pretty (/%postname%/) permalinks
#
# Everything lives in $WP_STATE_DIR (default /tmp/publisher-e2e-wp), except the Debian
# host config /etc/wordpress/config-127.0.0.1.php: Debian's wp-config.php picks its config
# by the request's Host without the port, so the site must be reached as 127.0.0.1.
# MariaDB listens on a private socket only (no TCP); PHP's built-in server on a free port.

# The single-quoted `php -r` snippets are PHP code, not shell expansions:
# shellcheck disable=SC2016
set -euo pipefail

STATE_DIR="${WP_STATE_DIR:-/tmp/publisher-e2e-wp}"
WP_ROOT=/usr/share/wordpress
HOST=127.0.0.1
WP_CONFIG="/etc/wordpress/config-${HOST}.php"
CONFIG_MARKER="written by publisher scripts/e2e/wordpress.sh"
PACKAGES=(wordpress mariadb-server php-cli php-mysql)
SOCKET="$STATE_DIR/run/mysqld.sock"
OUTPUT="$STATE_DIR/wordpress.json"

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi

log() { echo "wordpress.sh: $*" >&2; }

alive() { # alive <pidfile> <program>: the process recorded there is still that program
    [ -s "$1" ] && grep -qa -- "$2" "/proc/$(cat "$1")/cmdline" 2>/dev/null
}

wait_for() { # wait_for <what> <seconds> <command...>: poll until the command succeeds
    local what=$1 seconds=$2
    shift 2
    for _ in $(seq $((seconds * 10))); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    log "$what did not come up within ${seconds}s; see $STATE_DIR/log/"
    return 1
}

ensure_packages() {
    local missing=()
    for pkg in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]} (apt)"
    # The packages' maintainer scripts would start system-wide Apache and MariaDB; we run our
    # own, so forbid service starts during the install unless a policy is already in place.
    local own_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
        "${SUDO[@]}" chmod +x /usr/sbin/policy-rc.d
        own_policy=1
    fi
    local wait_for_lock=(-o DPkg::Lock::Timeout=300)  # other jobs may be running apt too
    "${SUDO[@]}" apt-get "${wait_for_lock[@]}" update -q >/dev/null
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${wait_for_lock[@]}" install -y -q \
        --no-install-recommends \
        "${PACKAGES[@]}" >"$STATE_DIR/log/apt.log" 2>&1 || { tail -20 "$STATE_DIR/log/apt.log" >&2; exit 1; }
    if [ -n "$own_policy" ]; then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; fi
}

free_port() {
    php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo explode(":", stream_socket_get_name($s, false))[1];'
}

port_open() {
    php -r 'exit(@fsockopen("127.0.0.1", (int) $argv[1], $e, $s, 1) ? 0 : 1);' "$1"
}

start_mariadb() {
    alive "$STATE_DIR/run/mariadb.pid" mariadbd && return 0
    # mariadbd refuses to run as root; as root we hand it to the `mysql` system user.
    local as_user=()
    if [ "$(id -u)" -eq 0 ]; then
        as_user=(--user=mysql)
        touch "$STATE_DIR/log/mariadb.log"
        chown -R mysql:mysql "$STATE_DIR/mysql" "$STATE_DIR/run" "$STATE_DIR/log/mariadb.log"
    fi
    if [ ! -d "$STATE_DIR/mysql/mysql" ]; then
        log "initialising MariaDB in $STATE_DIR/mysql"
        mariadb-install-db --no-defaults --datadir="$STATE_DIR/mysql" "${as_user[@]}" \
            --auth-root-authentication-method=normal --skip-test-db \
            >"$STATE_DIR/log/mariadb-install.log" 2>&1
    fi
    rm -f "$SOCKET"
    setsid mariadbd --no-defaults --datadir="$STATE_DIR/mysql" --socket="$SOCKET" --skip-networking \
        --pid-file="$STATE_DIR/run/mariadbd.pid" --log-error="$STATE_DIR/log/mariadb.log" \
        --innodb-buffer-pool-size=32M "${as_user[@]}" </dev/null >/dev/null 2>&1 &
    echo $! >"$STATE_DIR/run/mariadb.pid"
    wait_for MariaDB 60 mariadb-admin --no-defaults --socket="$SOCKET" -uroot ping
    mariadb --no-defaults --socket="$SOCKET" -uroot -e "CREATE DATABASE IF NOT EXISTS wordpress"
}

write_site_files() { # write_site_files <port>
    local port=$1 url="http://$HOST:$1" salt
    [ -s "$STATE_DIR/salt" ] || php -r 'echo bin2hex(random_bytes(32));' >"$STATE_DIR/salt"
    salt=$(cat "$STATE_DIR/salt")
    if [ -e "$WP_CONFIG" ] && ! grep -q "$CONFIG_MARKER" "$WP_CONFIG"; then
        log "$WP_CONFIG exists and is not ours; refusing to overwrite it"
        exit 1
    fi
    "${SUDO[@]}" tee "$WP_CONFIG" >/dev/null <<PHP
<?php
// $CONFIG_MARKER; state in $STATE_DIR
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:$SOCKET');
define('WP_HOME', '$url');
define('WP_SITEURL', '$url');
define('WP_CONTENT_DIR', '$STATE_DIR/docroot/wp-content');
define('WP_CONTENT_URL', '$url/wp-content');
define('WP_ENVIRONMENT_TYPE', 'local'); // Application Passwords over plain http
define('DISABLE_WP_CRON', true);        // no loopback self-requests that stall requests
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
foreach (['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT',
          'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'] as \$key) {
    define(\$key, \$key . '$salt');
}
PHP
    # The docroot mirrors WordPress with symlinks but owns wp-content, so uploads land in
    # the state dir and PHP's built-in server serves them as static files.
    mkdir -p "$STATE_DIR/docroot/wp-content/uploads" "$STATE_DIR/docroot/wp-content/mu-plugins"
    for entry in "$WP_ROOT"/*; do
        [ "$(basename "$entry")" = wp-content ] && continue
        ln -sfn "$entry" "$STATE_DIR/docroot/$(basename "$entry")"
    done
    # A custom post type whose REST base differs from its slug, to exercise type resolution.
    cat >"$STATE_DIR/docroot/wp-content/mu-plugins/publisher-e2e.php" <<'PHP'
<?php
add_action('init', function () {
    register_post_type('book', [
        'label' => 'Books',
        'public' => true,
        'show_in_rest' => true,
        'rest_base' => 'books',
        'supports' => ['title', 'editor', 'excerpt', 'thumbnail'],
        'taxonomies' => ['category', 'post_tag'],
    ]);
});
PHP
}

install_wordpress() { # runs WordPress' own installer from the CLI and mints an app password
    php -d display_errors=stderr "$STATE_DIR/install.php" \
        "$WP_ROOT" "$OUTPUT.tmp" "$OUTPUT" 2>>"$STATE_DIR/log/install.log"
    mv "$OUTPUT.tmp" "$OUTPUT"
}

write_installer() {
    cat >"$STATE_DIR/install.php" <<'PHP'
<?php
// Install WordPress (once), use /%postname%/ permalinks, and make sure user "publisher" has
// an Application Password named "publisher" (reused while it exists). Writes the JSON the
// tests read. argv: wordpress root, output path, previous output path.
[, $root, $output, $previous] = $argv;
$_SERVER['HTTP_HOST'] = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
define('WP_INSTALLING', true);
function wp_mail() { return true; }                 // no MTA here: installing must not mail
function wp_new_blog_notification() {}
require $root . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

if (!is_blog_installed()) {
    wp_install('Publisher e2e', 'publisher', 'publisher@example.com', false, '', wp_generate_password(24));
}
global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%postname%/');
$wp_rewrite->flush_rules(false);

$user = get_user_by('login', 'publisher');
$old = is_readable($previous) ? json_decode(file_get_contents($previous), true) : null;
$password = null;
foreach (WP_Application_Passwords::get_user_application_passwords($user->ID) as $item) {
    if ($old && $item['uuid'] === ($old['application_password_uuid'] ?? '')) {
        $password = $old['application_password'];
        $uuid = $item['uuid'];
    }
}
if ($password === null) {
    [$password, $item] = WP_Application_Passwords::create_new_application_password(
        $user->ID, ['name' => 'publisher']
    );
    $uuid = $item['uuid'];
}
file_put_contents($output, json_encode([
    'base_url' => home_url(),
    'username' => 'publisher',
    'application_password' => $password,
    'application_password_uuid' => $uuid,
], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES) . "\n");
PHP
}

start_php() { # start_php <port>
    alive "$STATE_DIR/run/php.pid" php && return 0
    # php -S forks PHP_CLI_SERVER_WORKERS workers: run it in its own session so `down`
    # can stop the whole process group.
    PHP_CLI_SERVER_WORKERS=4 setsid php -d display_errors=0 -d log_errors=1 \
        -d error_log="$STATE_DIR/log/php-errors.log" -d post_max_size=32M -d upload_max_filesize=32M \
        -S "$HOST:$1" -t "$STATE_DIR/docroot" </dev/null >>"$STATE_DIR/log/php.log" 2>&1 &
    echo $! >"$STATE_DIR/run/php.pid"
    wait_for "PHP server on port $1" 30 port_open "$1"
}

stop() { # stop <name> <program>: TERM the process group recorded in run/<name>.pid, wait for it
    local pidfile="$STATE_DIR/run/$1.pid" pid
    alive "$pidfile" "$2" || { rm -f "$pidfile"; return 0; }
    pid=$(cat "$pidfile")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    for _ in $(seq 300); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
    rm -f "$pidfile"
}

up() {
    mkdir -p "$STATE_DIR/log" "$STATE_DIR/run" "$STATE_DIR/mysql"
    ensure_packages
    local port
    if alive "$STATE_DIR/run/php.pid" php && [ -s "$STATE_DIR/port" ]; then
        port=$(cat "$STATE_DIR/port")
    else
        port=$(cat "$STATE_DIR/port" 2>/dev/null || true)
        if [ -z "$port" ] || port_open "$port"; then port=$(free_port); fi
        echo "$port" >"$STATE_DIR/port"
    fi
    start_mariadb
    write_site_files "$port"
    write_installer
    install_wordpress
    start_php "$port"
    log "WordPress is up at http://$HOST:$port (credentials in $OUTPUT)"
}

set_permalinks() { # set_permalinks plain|pretty
    local structure
    case "$1" in
        plain) structure="" ;;
        pretty) structure="/%postname%/" ;;
        *) log "permalinks: plain or pretty"; exit 2 ;;
    esac
    php -r '$_SERVER["HTTP_HOST"] = "127.0.0.1"; $_SERVER["REQUEST_URI"] = "/";
        require $argv[1] . "/wp-load.php";
        $GLOBALS["wp_rewrite"]->set_permalink_structure($argv[2]);
        $GLOBALS["wp_rewrite"]->flush_rules(false);' "$WP_ROOT" "$structure"
}

case "${1:-}" in
    up) up ;;
    permalinks) set_permalinks "${2:-}" ;;
    down) stop php php; stop mariadb mariadbd ;;
    reset)
        stop php php
        stop mariadb mariadbd
        rm -rf "$STATE_DIR"
        if [ -e "$WP_CONFIG" ] && grep -q "$CONFIG_MARKER" "$WP_CONFIG"; then "${SUDO[@]}" rm -f "$WP_CONFIG"; fi
        ;;
    *)
        echo "usage: $0 up|down|reset|permalinks plain|pretty" >&2
        exit 2
        ;;
esac
