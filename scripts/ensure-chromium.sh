# Sourced by scripts/test.sh: sets YIM_CHROMIUM to the system Chromium, installing it if we can.
find_chromium() {
  for c in "${YIM_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -n "$c" ] && [ -x "$c" ]; then echo "$c"; return 0; fi
  done
  return 1
}
if ! YIM_CHROMIUM=$(find_chromium); then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium (running as root)…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    YIM_CHROMIUM=$(find_chromium) || { echo "chromium installation failed" >&2; exit 1; }
  elif [ "${CI:-}" = "true" ]; then
    echo "CI: the system Chromium is missing. Install it: sudo apt-get install chromium" >&2
    exit 1
  else
    echo "WARNING: no system Chromium; browser tests will be skipped."
    echo "         Install it with: sudo apt-get install chromium"
    YIM_CHROMIUM=""
  fi
fi
export YIM_CHROMIUM
[ -n "$YIM_CHROMIUM" ] && echo "Chromium: $YIM_CHROMIUM ($("$YIM_CHROMIUM" --version 2>/dev/null || true))"
true
