#!/bin/sh
# A streaming replica (hot standby) of the primary at $PRIMARY_HOST, for DATABASE_REPLICA_URLS.
# First start: an empty data directory is filled with `pg_basebackup --write-recovery-conf`
# (a copy of the primary that then streams its WAL). Every start: postgres runs as a hot
# standby, read-only, replaying the primary. PGPASSWORD is the primary's POSTGRES_PASSWORD.
set -eu
: "${PRIMARY_HOST:?set PRIMARY_HOST}" "${POSTGRES_USER:?set POSTGRES_USER}" "${PGDATA:?set PGDATA}"
if [ ! -s "${PGDATA}/PG_VERSION" ]; then
  until pg_isready --host="${PRIMARY_HOST}" --username="${POSTGRES_USER}" --quiet; do
    sleep 2
  done
  pg_basebackup --host="${PRIMARY_HOST}" --username="${POSTGRES_USER}" --pgdata="${PGDATA}" \
    --write-recovery-conf --wal-method=stream --checkpoint=fast --progress
  chmod 0700 "${PGDATA}"
fi
# hot_standby_feedback: long reads on the replica (exports) are not cancelled by the
# primary's vacuum; the primary keeps the rows they still need instead.
exec postgres -c hot_standby=on -c hot_standby_feedback=on "$@"
