#!/usr/bin/env bash
# The local AUTH=contracts walkthrough: an access key and a grant kept in DATA_DIR, a bearer token from
# the development issuer, one upload per contract with ulb (each signed as its own clients sign), and
# an unsigned request refused. Start the broker first, in the project folder:
#   AUTH=contracts JWT_ISSUER=dev npm start
# Run: BROKER_URL=http://127.0.0.1:3000 bash examples/contracts-auth.sh   (same DATA_DIR as the broker; needs bash, curl >= 7.76, node, npm)
set -euo pipefail
broker=${BROKER_URL:-http://127.0.0.1:3000}
project=$(cd "$(dirname "$0")/.." && pwd)
npm_run() { npm --prefix "$project" run --silent "$@"; }   # this project's npm scripts, from any folder
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# field FILE A.B.C: one value of a saved JSON answer; fails, showing the answer, when it is not there.
field() {
  node -e 'const [file, path] = process.argv.slice(1); let v = require(require("path").resolve(file));
    for (const k of path.split(".")) v = v?.[k];
    if (v === undefined) { console.error(`no ${path} in ${require("fs").readFileSync(file, "utf8")}`); process.exit(1); }
    console.log(typeof v === "string" ? v : JSON.stringify(v));' "$1" "$2"
}
subscription=00000000-1111-2222-3333-444444444444
start_pending_upload="$broker/subscriptions/$subscription/resourceGroups/test-rg/providers/Microsoft.MachineLearningServices/workspaces/my-aml-workspace/codes/my-code/versions/1/startPendingUpload?api-version=2025-09-01"

# Without credentials: ARM's 401, with the scheme to use in WWW-Authenticate.
status=$(curl -sS -o refused.json -w '%{http_code}' -X POST "$start_pending_upload" -H 'content-type: application/json' -d '{}')
if [ "$status" != 401 ]; then echo "an unsigned startPendingUpload got HTTP $status, not 401: $(cat refused.json)" >&2; exit 1; fi
echo "unsigned: HTTP $status $(cat refused.json)"

# Alibaba: an access key for the workspace ws_demo (the secret is printed this once), then an upload
# signed with it (ACS3-HMAC-SHA256, as the official SDKs sign) and AddFile.
npm_run access-keys -- create --local --workspace ws_demo > key.json
# (Assigned, then exported: `export X=$(...)` would hide a failing command from set -e.)
key_id=$(field key.json AccessKeyId)
key_secret=$(field key.json AccessKeySecret)
export ALIBABA_CLOUD_ACCESS_KEY_ID=$key_id ALIBABA_CLOUD_ACCESS_KEY_SECRET=$key_secret
printf 'quarterly numbers\n' > report.txt
npm_run ulb -- upload report.txt --contract alibaba --workspace ws_demo --consume --base-url "$broker" | tee alibaba.json
# {"lease":{"leaseId":"...","status":"CONSUMED",...},"fileId":"file_..."}

# Azure: a grant of the subscription to the principal dev-user, a token for it from the development
# issuer, then an upload with that bearer token and the code version.
npm_run access-keys -- grant --local --principal dev-user --subscription "$subscription"
token=$(npm_run dev-token -- --principal dev-user)
export AZURE_ACCESS_TOKEN=$token
printf 'print("hello")\n' > main.py
npm_run ulb -- upload main.py --contract azure --subscription "$subscription" --resource-group test-rg \
  --workspace my-aml-workspace --name my-code --version 1 --consume --base-url "$broker" | tee azure.json
# {"lease":{"leaseId":"...","status":"CONSUMED",...},"codeVersionId":"/subscriptions/.../versions/1"}
