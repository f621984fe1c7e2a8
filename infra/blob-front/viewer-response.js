// Blob front, viewer response (cloudfront-js-2.0, issue 23): S3's answers, as Azure clients expect them.
// CloudFront runs this only when S3 answered below 400, so S3's refusals reach the client as S3 sent
// them: a HEAD of a missing blob is 404 (HEAD has no body, the status is all clients read), If-None-Match
// on an existing blob is 412. S3 answers 403, not 404, for a missing key unless the caller may list the
// bucket: the distribution's OAC needs s3:ListBucket on the bucket for azure-ai-ml's HEAD to see 404.
// Only documented runtime features: test/unit/blob-front/runtime-limits.test.ts checks it.

const VERSION = '2025-01-05';

// CloudFront's own id for the request (x-amz-cf-id), so a client's report can be traced.
function requestId(event) {
  return (event.context && event.context.requestId) || Date.now().toString(36) + Math.random().toString(36).slice(2);
}

async function handler(event) {
  const response = event.response;
  const headers = response.headers;
  // Set Blob Metadata is answered by the viewer-request function, with its own id: left as it is.
  if (headers['x-ms-request-id']) return response;
  headers['x-ms-request-id'] = { value: requestId(event) };
  headers['x-ms-version'] = { value: VERSION };
  const method = event.request.method;
  // Put Blob: S3 says 200, Azure says 201, and Azure's generated clients accept 201 only.
  if (method === 'PUT' && response.statusCode === 200) {
    response.statusCode = 201;
    response.statusDescription = 'Created';
    headers['x-ms-request-server-encrypted'] = { value: 'true' };
  }
  // Blob properties: every blob here is a block blob, kept encrypted at rest (SSE-S3).
  if ((method === 'HEAD' || method === 'GET') && response.statusCode < 300) {
    headers['x-ms-blob-type'] = { value: 'BlockBlob' };
    headers['x-ms-server-encrypted'] = { value: 'true' };
  }
  return response;
}
