#!/bin/sh
# Runs the console's browser tests: builds ward, starts `ward demo` on a
# free loopback port in a temporary directory, waits for /healthz, runs the
# tests in headless Chromium and stops the demo. Screenshots land in
# e2e/artifacts/. Needs Go, Node 20+ and /usr/bin/chromium (or $CHROMIUM).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
tmp=$(mktemp -d)
pid=""
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

(cd "$root" && go build -o "$tmp/ward" ./cmd/ward)
[ -d "$here/node_modules/playwright-core" ] || (cd "$here" && npm ci --no-audit --no-fund)

port=${WARD_E2E_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
"$tmp/ward" demo --dir "$tmp/demo" --addr "127.0.0.1:$port" >"$tmp/demo.log" 2>&1 &
pid=$!
i=0
until curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && [ -f "$tmp/demo/demo-credentials.json" ]; do
	i=$((i + 1))
	if [ "$i" -gt 120 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "e2e: ward demo did not become healthy:" >&2
		cat "$tmp/demo.log" >&2
		exit 1
	fi
	sleep 0.5
done
mkdir -p "$here/artifacts"
status=0
(cd "$here" && WARD_DEMO_DIR="$tmp/demo" node --test --test-concurrency=1 tests/) || status=$?
cp "$tmp/demo.log" "$here/artifacts/demo.log" 2>/dev/null || true
exit "$status"
