#!/usr/bin/env bash
# The Node electisSpace server (the peer issues 18 and 37 compare with) on this machine, for `bench --peer-url … --peer-token …`.
# Not part of CI: it needs that server's source (a git dir or clone of AvivElectis/electisSpace at f87f6a8), npm and apt.
#   node-peer.sh setup GIT_DIR   build it under $NODE_PEER_DIR (default /tmp/node-peer): npm, Prisma client, tsc, its own
#                                PostgreSQL (its migrations applied in order) and Redis, 10,000 people, 200 spaces, 200 rooms (seed.sql)
#   node-peer.sh start           start PostgreSQL, Redis and the server (production mode, port 23000)
#   node-peer.sh token           log in (password, then the 2FA code it stored: no mail server here) and print the access token
#   node-peer.sh url             the people page of 50 to measure
#   node-peer.sh stop
set -euo pipefail
DIR=${NODE_PEER_DIR:-/tmp/node-peer}
HERE=$(cd "$(dirname "$0")" && pwd)
PG=/usr/lib/postgresql/15/bin
PGPORT=25432 REDISPORT=26379 PORT=23000
STORE=22222222-2222-2222-2222-222222222222 USER_ID=33333333-3333-3333-3333-333333333333
PSQL=(psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PGPORT -U postgres)

server_env() {
  export NODE_ENV=production PORT DATABASE_URL="postgresql://postgres:postgres@127.0.0.1:$PGPORT/electisspace?schema=public"
  export REDIS_URL="redis://127.0.0.1:$REDISPORT" JWT_ACCESS_EXPIRES_IN=4h CORS_ORIGINS=http://localhost:$PORT LOG_LEVEL=info
  export JWT_ACCESS_SECRET=$(printf 'a%.0s' {1..64}) JWT_REFRESH_SECRET=$(printf 'b%.0s' {1..64}) ENCRYPTION_KEY=$(printf 'c%.0s' {1..32})
  # Its rate limits would throttle a load generator.
  export RATE_LIMIT_WINDOW_MS=60000 RATE_LIMIT_MAX_REQUESTS=100000000 AUTH_RATE_LIMIT_MAX=1000 TWOFA_RATE_LIMIT_MAX=1000
  export EXCHANGE_HOST=127.0.0.1 EXCHANGE_PORT=25
}

start_db() {
  runuser -u postgres -- $PG/pg_ctl -D "$DIR/pgdata" -l "$DIR/pgdata/pg.log" -w start \
    -o "-p $PGPORT -k $DIR/pgsock -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null
  redis-server --port $REDISPORT --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
    --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log"
}

case "${1:-}" in
  setup)
    GIT_DIR_ARG=${2:?usage: node-peer.sh setup GIT_DIR}
    command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
    rm -rf "$DIR" && mkdir -p "$DIR/pgdata" "$DIR/pgsock" && chown postgres:postgres "$DIR/pgdata" "$DIR/pgsock"
    git --git-dir="$GIT_DIR_ARG" archive f87f6a8 server | tar -x -C "$DIR"
    cd "$DIR/server"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    npm rebuild bcrypt --loglevel=error   # its bundled linux-x64 build, nothing compiled
    server_env
    # The Prisma CLI downloads a schema engine even for `generate`, which does not use it (and the download host is not
    # reachable here): a stub stands in. The schema is applied from the repository's migration files instead.
    printf '#!/bin/sh\nexit 1\n' > "$DIR/schema-engine-stub" && chmod +x "$DIR/schema-engine-stub"
    PRISMA_SCHEMA_ENGINE_BINARY="$DIR/schema-engine-stub" npx prisma generate >/dev/null
    npx tsc
    runuser -u postgres -- $PG/initdb -D "$DIR/pgdata" -U postgres --auth=trust -E UTF8 >/dev/null
    start_db
    "${PSQL[@]}" -c "CREATE DATABASE electisspace"
    for m in $(ls -d prisma/migrations/*/ | sort); do "${PSQL[@]}" -d electisspace -f "$m/migration.sql" >/dev/null; done
    "${PSQL[@]}" -d electisspace -v pwhash="$(node -e "console.log(require('bcrypt').hashSync('BenchPass123!', 12))")" -f "$HERE/seed.sql"
    "$HERE/node-peer.sh" stop
    echo "set up in $DIR"
    ;;
  start)
    start_db
    cd "$DIR/server" && server_env
    nohup node dist/server.js > "$DIR/server.out" 2> "$DIR/server.err" &
    echo $! > "$DIR/server.pid"
    for _ in $(seq 50); do curl -sf "localhost:$PORT/health" >/dev/null && { echo "started on port $PORT"; exit 0; }; sleep 0.2; done
    echo "the server did not answer; see $DIR/server.err" >&2; exit 1
    ;;
  token)
    curl -s -o /dev/null -H 'Content-Type: application/json' -d '{"email":"bench@example.com","password":"BenchPass123!"}' \
      "localhost:$PORT/api/v1/auth/login"
    code=$("${PSQL[@]}" -d electisspace -Atc \
      "SELECT code FROM verification_codes WHERE user_id = '$USER_ID' AND used = false ORDER BY created_at DESC LIMIT 1")
    curl -s -H 'Content-Type: application/json' -d "{\"email\":\"bench@example.com\",\"code\":\"$code\"}" \
      "localhost:$PORT/api/v1/auth/verify-2fa" | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>process.stdout.write(JSON.parse(s).accessToken))"
    echo
    ;;
  url) echo "http://127.0.0.1:$PORT/api/v1/people?storeId=$STORE&page=1&limit=50" ;;
  stop)
    [ -f "$DIR/server.pid" ] && kill "$(cat "$DIR/server.pid")" 2>/dev/null || true
    rm -f "$DIR/server.pid"
    redis-cli -p $REDISPORT shutdown nosave >/dev/null 2>&1 || true
    runuser -u postgres -- $PG/pg_ctl -D "$DIR/pgdata" -m fast stop >/dev/null 2>&1 || true
    ;;
  *) sed -n '2,9p' "$0"; exit 2 ;;
esac
