#!/bin/sh
# The container's entrypoint: run Guestlist as the user PUID:PGID (so files in /config belong
# to the host user who owns the folder), then hand over to the command with exec.
set -eu

data_dir="${GUESTLIST_DATA_DIR:-/config}"

if [ "$(id -u)" != "0" ]; then
  # Started with --user: nothing to adjust, and nothing we could.
  exec "$@"
fi

case "${PUID:-1000}${PGID:-1000}" in
  *[!0-9]*) echo "guestlist-entrypoint: PUID and PGID must be numbers (got PUID=${PUID:-} PGID=${PGID:-})" >&2; exit 2 ;;
esac
puid="${PUID:-1000}"
pgid="${PGID:-1000}"

# The image's user follows PUID/PGID, so `podman exec` and logs name the same account.
if [ "$(id -g guestlist)" != "$pgid" ]; then groupmod --non-unique --gid "$pgid" guestlist; fi
if [ "$(id -u guestlist)" != "$puid" ]; then usermod --non-unique --uid "$puid" --gid "$pgid" guestlist >/dev/null; fi

mkdir -p "$data_dir"
# Only what does not belong to PUID:PGID yet (a new volume, a changed PUID, a restore made as root).
find "$data_dir" -xdev \( ! -user "$puid" -o ! -group "$pgid" \) -exec chown -h "$puid:$pgid" {} +

exec setpriv --reuid="$puid" --regid="$pgid" --init-groups -- "$@"
