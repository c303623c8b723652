# Sourced by scripts/test.sh: starts a private PostgreSQL cluster on 127.0.0.1 for the tests
# and exports YIM_TEST_POSTGRES_URL. stop_throwaway_postgres stops it and removes its files.
find_pg_bin() {
  local d
  if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir; return 0
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  done
  return 1
}
if ! PG_BIN=$(find_pg_bin); then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's postgresql (running as root)…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    PG_BIN=$(find_pg_bin) || { echo "postgresql installation failed" >&2; exit 1; }
  else
    echo "PostgreSQL server binaries (initdb, pg_ctl) not found." >&2
    echo "Install them (sudo apt-get install postgresql) or set YIM_TEST_POSTGRES_URL." >&2
    exit 1
  fi
fi
PG_DIR=$(mktemp -d /tmp/yim-pg.XXXXXX)
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
run_pg() {
  if [ "$(id -u)" = "0" ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$PG_DIR" postgres
    chown -R postgres "$PG_DIR"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
run_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
run_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
  -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
run_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres yim
stop_throwaway_postgres() {
  run_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
export YIM_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$PG_PORT/yim"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT (throwaway cluster in $PG_DIR)"
