#!/usr/bin/env bash
# Sourced by .ci/run (as root). Installs what is missing (redis-server, chromium) with apt,
# starts a throwaway PostgreSQL 15 on 127.0.0.1:5432 (trust, database "test") and Redis on
# 127.0.0.1:6379 unless something already listens there, and stops only what it started.
export DEBIAN_FRONTEND=noninteractive
PGBIN=/usr/lib/postgresql/15/bin
CI_STARTED_PG=""; CI_STARTED_REDIS=""; CI_PGDATA=""

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && exec 3>&- 3<&-; }

ci_services_install() {
  local need=()
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  [ -x /usr/bin/chromium ] || need+=(chromium)
  [ -x "$PGBIN/initdb" ] || need+=(postgresql-15)
  if [ ${#need[@]} -gt 0 ]; then
    echo "apt: installing ${need[*]}"
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "apt: redis-server, chromium and postgresql already present"
  fi
}

ci_services_start() {
  if port_open 5432; then
    echo "postgres: already listening on 127.0.0.1:5432, reusing it"
  else
    CI_PGDATA=$(mktemp -d /tmp/ci-pgdata.XXXXXX)
    chown postgres:postgres "$CI_PGDATA"; chmod 700 "$CI_PGDATA"
    install -d -o postgres -g postgres /var/run/postgresql
    runuser -u postgres -- "$PGBIN/initdb" -D "$CI_PGDATA" -U postgres --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 --no-sync >/tmp/ci-initdb.log 2>&1
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$CI_PGDATA" -l "$CI_PGDATA/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p 5432 -c unix_socket_directories=/var/run/postgresql -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null
    CI_STARTED_PG=$(head -1 "$CI_PGDATA/postmaster.pid")
    echo "postgres: started pid $CI_STARTED_PG"
  fi
  "$PGBIN/psql" -h 127.0.0.1 -p 5432 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
    || "$PGBIN/createdb" -h 127.0.0.1 -p 5432 -U postgres test
  if port_open 6379; then
    echo "redis: already listening on 127.0.0.1:6379, reusing it"
  else
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no \
      --dir /tmp --pidfile /tmp/ci-redis.pid --logfile /tmp/ci-redis.log
    for _ in $(seq 1 100); do redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
    CI_STARTED_REDIS=$(cat /tmp/ci-redis.pid)
    echo "redis: started pid $CI_STARTED_REDIS"
  fi
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 CHROME_PATH=/usr/bin/chromium
}

ci_services_stop() {
  # Idempotent: called before the summary and again by the EXIT trap on early exits.
  if [ -n "$CI_STARTED_PG" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$CI_PGDATA" -m immediate -w stop >/dev/null 2>&1 || kill "$CI_STARTED_PG" 2>/dev/null || true
    rm -rf "$CI_PGDATA"
    echo "postgres: stopped"
    CI_STARTED_PG=""
  fi
  if [ -n "$CI_STARTED_REDIS" ]; then kill "$CI_STARTED_REDIS" 2>/dev/null || true; echo "redis: stopped"; CI_STARTED_REDIS=""; fi
}
