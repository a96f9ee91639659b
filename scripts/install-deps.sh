#!/usr/bin/env bash
# Installs what Reel needs on Debian/Ubuntu: ffmpeg (and ffprobe) to render, SQLite's headers for the
# spend ledger (GRDB links the system SQLite), libcurl's headers for the remote cache transport (the
# library itself is already there: Foundation's networking links it); with --test, also what
# the test suite uses (Python's jsonschema for the schema agreement test, chromium for the report test,
# nginx and wsgidav as remote cache servers on 127.0.0.1, PostgreSQL for the shared-ledger tests, which
# start their own server as an unprivileged user).
set -euo pipefail

packages=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || packages+=(ffmpeg)
[[ -f /usr/include/sqlite3.h ]] || packages+=(libsqlite3-dev)
[[ -f /usr/include/x86_64-linux-gnu/curl/curl.h || -f /usr/include/curl/curl.h || -f /usr/include/aarch64-linux-gnu/curl/curl.h ]] \
  || packages+=(libcurl4-openssl-dev)
if [[ "${1:-}" == "--test" ]]; then
  command -v python3 >/dev/null 2>&1 || packages+=(python3 python3-pip)
  # The storyboard test opens the HTML report in a real headless browser (Debian's chromium plays
  # H.264); fonts-liberation so its text renders without the package's recommends.
  command -v chromium >/dev/null 2>&1 || packages+=(chromium fonts-liberation)
  # The remote cache's reference server: nginx with its WebDAV module (Debian builds it in). The
  # tests run their own nginx, in the foreground on a free loopback port; the package's service is
  # not used.
  [[ -x /usr/sbin/nginx ]] || packages+=(nginx)
  # The shared ledger tests run a real PostgreSQL (initdb/postgres under /usr/lib/postgresql/*/bin).
  compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || packages+=(postgresql)
  # runuser/useradd start it as an unprivileged user when the tests run as root.
  command -v runuser >/dev/null 2>&1 || packages+=(util-linux)
fi

if ((${#packages[@]})); then
  sudo=""
  if [[ "$(id -u)" -ne 0 ]]; then sudo="sudo"; fi
  echo "installing: ${packages[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

if [[ "${1:-}" == "--test" ]]; then
  if ! python3 -c 'import jsonschema, yaml' >/dev/null 2>&1; then
    echo "installing: jsonschema pyyaml (pip)" >&2
    python3 -m pip install --quiet jsonschema pyyaml || python3 -m pip install --quiet --break-system-packages jsonschema pyyaml
  fi
  # wsgidav: the hostile WebDAV server of the remote cache tests (it keeps truncated uploads).
  # Pinned: the tests rely on that behaviour of this version.
  if ! python3 -c 'import wsgidav, cheroot' >/dev/null 2>&1; then
    echo "installing: wsgidav cheroot (pip)" >&2
    python3 -m pip install --quiet wsgidav==4.4.0 cheroot==11.1.2 \
      || python3 -m pip install --quiet --break-system-packages wsgidav==4.4.0 cheroot==11.1.2
  fi
fi
