#!/usr/bin/env bash
# Alibaba ApplyFileUploadLease with curl: a lease, the PUT with exactly what it returned, the lease's state.
# Run: BROKER_URL=http://127.0.0.1:3000 bash examples/alibaba-upload.sh   (needs bash, curl >= 7.76, node)
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
printf 'hello from the curl example\n' > hello.txt
md5=$(node -p "require('crypto').createHash('md5').update(require('fs').readFileSync('hello.txt')).digest('hex')")
size=$(node -p "require('fs').statSync('hello.txt').size")

# --fail-with-body: a refusal stops the script, and its body says why.
curl -sS --fail-with-body -X POST "$broker/ws_demo/datacenter/category/default" \
  --data-urlencode FileName=hello.txt -d Md5="$md5" -d SizeInBytes="$size" | tee lease.json; echo
# {"Code":"Success","Data":{"FileUploadLeaseId":"<32 hex>.<ms>","Param":{"Method":"PUT","Url":"http://...","Headers":{"Content-Type":"text/plain","Content-MD5":"..."}},...},...}
lease=$(field lease.json Data.FileUploadLeaseId)

# The URL's signature covers the method and the headers: node turns Param into a curl config, as returned.
node -e 'const p = require("./lease.json").Data.Param;
  console.log([`request = ${JSON.stringify(p.Method)}`, `url = ${JSON.stringify(p.Url)}`,
    ...Object.entries(p.Headers).map(([k, v]) => `header = ${JSON.stringify(`${k}: ${v}`)}`)].join("\n"))' > put.curlrc
curl -sS --fail-with-body -K put.curlrc --data-binary @hello.txt
echo "PUT: $size bytes, MD5 $md5"

curl -sS --fail-with-body "$broker/leases/$lease"; echo
# {"leaseId":"...","contract":"alibaba-model-studio","status":"UPLOADED","size":28,...} (PENDING until the broker has seen the object)
