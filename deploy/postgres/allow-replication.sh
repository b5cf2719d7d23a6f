#!/bin/sh
# Runs once, when the official postgres image initialises an empty primary
# (/docker-entrypoint-initdb.d): its pg_hba.conf lets the application user reach every
# database but not the replication protocol, which pg_basebackup and streaming replicas use.
set -eu
echo "host replication ${POSTGRES_USER} all scram-sha-256" >> "${PGDATA}/pg_hba.conf"
