#!/usr/bin/env bash
# What an Azure ML client does right after the PUT, with curl: create the code version with codeUri = the
# blobUri startPendingUpload returned (201), read it back, the lease's state.
# Run: BROKER_URL=http://127.0.0.1:3000 bash examples/azure-consume.sh   (needs bash, curl >= 7.76, node)
set -euo pipefail
. "$(dirname "$0")/azure-upload.sh"   # the upload above: $broker, $codes, $lease, field, in its temporary folder

# No pause after the PUT: the code version may be created as soon as the PUT has answered.
blob=$(field azure.json blobReferenceForConsumption.blobUri)
status=$(curl -sS --fail-with-body -X PUT "$codes?api-version=2025-09-01" -H 'content-type: application/json' \
  -d "{\"properties\":{\"codeUri\":\"$blob\",\"description\":\"demo\"}}" -o version.json -w '%{http_code}')
echo "code version: HTTP $status $(cat version.json)"   # 201 when created, 200 when updated
curl -sS --fail-with-body "$codes?api-version=2025-09-01"; echo

curl -sS --fail-with-body "$broker/leases/$lease"; echo
# {"leaseId":"...","status":"CONSUMED","consumedBy":{"kind":"azure-code-version",...},...}
