#!/usr/bin/env bash
# Starts the local PostgreSQL 15 cluster if it is down and makes a database
# for the tests; prints the URL to use (postgresql:///leadboard_test over
# the local socket). Needs root or sudo.
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! pg_lsclusters -h 2>/dev/null | grep -q " online"; then
  version=$(pg_lsclusters -h | awk 'NR==1{print $1}')
  cluster=$(pg_lsclusters -h | awk 'NR==1{print $2}')
  $sudo pg_ctlcluster "$version" "$cluster" start
fi
user=$(id -un)
$sudo su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$user'\"" | grep -q 1 ||
  $sudo su postgres -c "createuser -s $user"
psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='leadboard_test'" | grep -q 1 ||
  createdb leadboard_test
echo "postgresql:///leadboard_test"
