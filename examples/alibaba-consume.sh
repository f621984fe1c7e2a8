#!/usr/bin/env bash
# What an Alibaba client does right after the PUT, with curl: AddFile at once (the lease is used up),
# DescribeFile until the file is ready, the lease's state, DeleteFile.
# Run: BROKER_URL=http://127.0.0.1:3000 bash examples/alibaba-consume.sh   (needs bash, curl >= 7.76, node)
set -euo pipefail
. "$(dirname "$0")/alibaba-upload.sh"   # the upload above: $broker, $lease, field, in its temporary folder

# No pause after the PUT: AddFile may follow as soon as the PUT has answered.
curl -sS --fail-with-body -X PUT "$broker/ws_demo/datacenter/file" \
  --data-urlencode LeaseId="$lease" -d Parser=DASHSCOPE_DOCMIND -d CategoryId=default --data-urlencode 'Tags=["demo"]' | tee added.json; echo
# {"Code":"Success","Data":{"FileId":"file_<32 hex>_<ms>","Parser":"DASHSCOPE_DOCMIND"},...}
file=$(field added.json Data.FileId)

# Like Alibaba's service, DescribeFile may say INIT before FILE_IS_READY: ask again, for up to a minute.
last=
for attempt in $(seq 240); do
  curl -sS --fail-with-body "$broker/ws_demo/datacenter/file/$file/" > described.json
  status=$(field described.json Data.Status)
  if [ "$status" != "$last" ]; then echo "DescribeFile: $status"; last=$status; fi
  if [ "$status" = FILE_IS_READY ]; then break; fi
  if [ "$attempt" = 240 ]; then echo "DescribeFile: $file is still $status after a minute" >&2; exit 1; fi
  sleep 0.25
done
cat described.json; echo

curl -sS --fail-with-body "$broker/leases/$lease"; echo
# {"leaseId":"...","status":"CONSUMED","location":{"key":"files/..."},"downloadUrl":"http://...",...}
curl -sS --fail-with-body -X DELETE "$broker/ws_demo/datacenter/file/$file/"; echo
