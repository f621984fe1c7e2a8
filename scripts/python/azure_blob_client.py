"""azure-ai-ml's upload of a code directory, done with Debian's python3-azure-storage (azure-storage-blob
12) against a broker in Blob front mode, the way azure-ai-ml's _blob_storage_helper.py drives it:

1. startPendingUpload; the sasUri is read as a container URL (ContainerClient.from_container_url);
2. HEAD of the first blob: ResourceNotFoundError means "not uploaded yet";
3. upload_blob per file with validate_content=True (Content-MD5) and overwrite=False (If-None-Match: *);
4. set_blob_metadata on the first blob (upload_status=completed, name, version);
5. the code version with codeUri = urljoin(blobUri, "<container>/<dir>").

Usage: /usr/bin/python3 scripts/python/azure_blob_client.py <broker URL>   (npm run test:python-client)
Exit status 0 when every step answered as Azure would; the first failure is printed.
"""
import json
import os
import sys
import tempfile
import urllib.request
from urllib.parse import urljoin

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import ContainerClient

BASE = sys.argv[1].rstrip("/")
SCOPE = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/test-rg/providers/Microsoft.MachineLearningServices/workspaces/ws-python/codes/py-code/versions/" + os.environ.get("CODE_VERSION", "1")
API = "?api-version=2025-09-01"


def call(method, path, body):
    request = urllib.request.Request(BASE + path, method=method, data=json.dumps(body).encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return response.status, json.loads(response.read() or b"{}")


def main():
    status, started = call("POST", SCOPE + "/startPendingUpload" + API, {})
    assert status == 200, status
    ref = started["blobReferenceForConsumption"]
    container = ContainerClient.from_container_url(ref["credential"]["sasUri"])
    print("container", container.container_name)

    with tempfile.TemporaryDirectory() as root:
        src = os.path.join(root, "src")
        os.makedirs(os.path.join(src, "pkg"))
        files = {"main.py": b"print('hello')\n", "pkg/util.py": b"X = 1\n" * 1000}
        for name, data in files.items():
            with open(os.path.join(src, name), "wb") as f:
                f.write(data)

        first = container.get_blob_client("src/main.py")
        try:
            first.get_blob_properties()
            raise AssertionError("the first blob exists before the upload")
        except ResourceNotFoundError:
            print("HEAD before upload: 404")

        for name in files:
            with open(os.path.join(src, name), "rb") as data:
                container.upload_blob(name="src/" + name, data=data, validate_content=True, overwrite=False)
            print("uploaded", name)
        try:
            with open(os.path.join(src, "main.py"), "rb") as data:
                container.upload_blob(name="src/main.py", data=data, validate_content=True, overwrite=False)
            raise AssertionError("an existing blob was overwritten")
        except ResourceExistsError:
            print("overwrite refused")
        except Exception as error:  # 412 maps to another azure-core error in some versions
            assert getattr(error, "status_code", None) == 412, error
            print("overwrite refused (412)")

        first.set_blob_metadata({"upload_status": "completed", "name": "py-code", "version": "1"})
        props = first.get_blob_properties()
        assert props.size == len(files["main.py"]), props.size
        print("metadata set; size", props.size)

    code_uri = urljoin(ref["blobUri"], container.container_name + "/src")
    status, created = call("PUT", SCOPE + API, {"properties": {"codeUri": code_uri}})
    assert status == 201, (status, created)
    print("code version created:", created["properties"]["codeUri"])


if __name__ == "__main__":
    try:
        main()
    except Exception as error:
        print("FAILED:", repr(error))
        sys.exit(1)
