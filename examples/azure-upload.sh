#!/usr/bin/env bash
# Azure ML startPendingUpload with curl: a pending upload, the PUT of the bytes to its sasUri (no extra
# headers), the lease's state. Run: BROKER_URL=http://127.0.0.1:3000 bash examples/azure-upload.sh
# (needs bash, curl >= 7.76, node)
set -euo pipefail
broker=${BROKER_URL:-http://127.0.0.1:3000}
# field FILE A.B.C: one value of a saved JSON answer; fails, showing the answer, when it is not there.
field() {
  node -e 'const [file, path] = process.argv.slice(1); let v = require(require("path").resolve(file));
    for (const k of path.split(".")) v = v?.[k];
    if (v === undefined) { console.error(`no ${path} in ${require("fs").readFileSync(file, "utf8")}`); process.exit(1); }
    console.log(typeof v === "string" ? v : JSON.stringify(v));' "$1" "$2"
}

# Everything below happens in a fresh temporary folder, removed at the end.
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT && cd "$tmp"
printf 'print("hello from the curl example")\n' > main.py

# A new version and pendingUploadId each run: the same pendingUploadId gets the same lease back, and a
# version whose code is already set cannot take another upload.
version=$(node -p 'Date.now()')
upload_id=$(node -p 'crypto.randomUUID()')
codes="$broker/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/test-rg/providers/Microsoft.MachineLearningServices/workspaces/my-aml-workspace/codes/my-code/versions/$version"

curl -sS --fail-with-body -X POST "$codes/startPendingUpload?api-version=2025-09-01" \
  -H 'content-type: application/json' -d "{\"pendingUploadId\":\"$upload_id\"}" -D headers.txt | tee azure.json; echo
# {"blobReferenceForConsumption":{"blobUri":"http://...","credential":{"credentialType":"SAS","sasUri":"http://...?X-Amz-..."},...},...}
sas=$(field azure.json blobReferenceForConsumption.credential.sasUri)
lease=$(grep -i '^x-lease-id:' headers.txt | cut -d' ' -f2 | tr -d '\r')   # the broker's lease, in a header

curl -sS --fail-with-body -X PUT "$sas" --data-binary @main.py
echo "PUT: $(node -p "require('fs').statSync('main.py').size") bytes to the sasUri"

curl -sS --fail-with-body "$broker/leases/$lease"; echo
# {"leaseId":"...","contract":"azure-ml","status":"UPLOADED",...} (PENDING until the broker has seen the object)
