import { accessKeysFileIn, azureGrantsFileIn, localDataDir } from './data-files.js';
import type { LocalBroker } from './server.js';

/**
 * What `npm start` prints once it listens: commands that work against this broker as it was started.
 * Under AUTH=contracts an unsigned curl gets a 401, so the examples there sign the way each contract's
 * clients do (ulb with an access key; a bearer token from the development issuer or the one configured).
 */
export type BannerBroker = Pick<LocalBroker, 'url' | 's3Endpoint' | 'blobFrontUrl' | 'eventsFile' | 'contractsAuth'>;

const SUBSCRIPTION = '00000000-1111-2222-3333-444444444444';
const AZURE_PATH = `/subscriptions/${SUBSCRIPTION}/resourceGroups/test-rg/providers/Microsoft.MachineLearningServices/workspaces/my-aml-workspace/codes/my-code/versions/1/startPendingUpload?api-version=2025-09-01`;
const AZURE_TARGET = `--subscription ${SUBSCRIPTION} --resource-group test-rg --workspace my-aml-workspace --name my-code --version 1`;

export function startBanner(broker: BannerBroker, dataDir: string): string {
  const { url } = broker;
  const front = broker.blobFrontUrl
    ? `\nAzure uploads go through the Blob front on ${broker.blobFrontUrl} (AZURE_UPLOADS=blob-front): the sasUri is a container SAS for @azure/storage-blob and azure-ai-ml.\n`
    : '';
  const examples = broker.contractsAuth ? signedExamples(url, broker.contractsAuth, dataDir) : openExamples(url);
  return `upload-lease-broker listening on ${url} (embedded S3 on ${broker.s3Endpoint}, data in ${dataDir})
${front}
${examples}

Lease status:  curl -s ${url}/leases/<x-lease-id header or FileUploadLeaseId>${broker.contractsAuth ? ' -H "authorization: Bearer $AZURE_ACCESS_TOKEN"   (an Azure lease; ulb prints either)' : ''}
Lease events:  ${broker.eventsFile} (one JSON line each, also printed here)
Press Ctrl-C to stop.`;
}

/** AUTH=none: plain curl. */
function openExamples(url: string): string {
  return `Azure ML startPendingUpload:
  curl -s -X POST '${url}${AZURE_PATH}' \\
    -H 'content-type: application/json' -d '{"pendingUploadId":"my-upload-1"}'

Alibaba ApplyFileUploadLease:
  curl -s -X POST '${url}/ws_3AXoiweeTyTd03IN/datacenter/category/default' \\
    -d FileName=report.pdf -d Md5=<32 hex, the file's MD5> -d SizeInBytes=<bytes>

A whole upload in one command (size, MD5, lease, PUT, verdict):
  npm run ulb -- upload report.pdf --contract alibaba --workspace ws_demo --base-url ${url}`;
}

/** AUTH=contracts: keys and grants made with access-keys --local, tokens from the issuer in use. */
function signedExamples(url: string, auth: NonNullable<BannerBroker['contractsAuth']>, dataDir: string): string {
  // access-keys --local and dev-token find this broker's files through DATA_DIR: named unless it is the
  // default; a keys or grants file named by its variable is named to access-keys the same way.
  const data = dataDir === localDataDir({}) ? '' : `DATA_DIR=${shellQuoted(dataDir)} `;
  const keysTarget = auth.keysFile === accessKeysFileIn(dataDir) ? '--local' : `--keys-file ${shellQuoted(auth.keysFile)}`;
  const grantsTarget = auth.grantsFile === azureGrantsFileIn(dataDir) ? '--local' : `--grants-file ${shellQuoted(auth.grantsFile)}`;
  const token = auth.devIssuer
    ? `  export AZURE_ACCESS_TOKEN=$(${data}npm run --silent dev-token -- --principal dev-user)`
    : `  export AZURE_ACCESS_TOKEN=<a token of ${auth.issuer} for ${auth.audience} whose oid (else sub) is dev-user>`;
  return `AUTH=contracts: every request is authenticated as the contract's own clients do; an unsigned one gets 401.
Access keys are read from ${auth.keysFile}, Azure grants from ${auth.grantsFile} (changes apply at once);
Azure tokens must come from ${auth.issuer}${auth.devIssuer ? ' (the development issuer, JWT_ISSUER=dev)' : ''} for the audience ${auth.audience}.

Alibaba (ACS3-HMAC-SHA256, as the official SDKs sign):
  ${keysTarget === '--local' ? data : ''}npm run access-keys -- create ${keysTarget} --workspace ws_demo     # prints AccessKeyId and AccessKeySecret once
  export ALIBABA_CLOUD_ACCESS_KEY_ID=<AccessKeyId> ALIBABA_CLOUD_ACCESS_KEY_SECRET=<AccessKeySecret>
  npm run ulb -- upload report.pdf --contract alibaba --workspace ws_demo --consume --base-url ${url}

Azure ML (bearer token):
  ${grantsTarget === '--local' ? data : ''}npm run access-keys -- grant ${grantsTarget} --principal dev-user --subscription ${SUBSCRIPTION}
${token}
  npm run ulb -- upload code.zip --contract azure ${AZURE_TARGET} --consume --base-url ${url}
  curl -s -X POST '${url}${AZURE_PATH}' -H "authorization: Bearer $AZURE_ACCESS_TOKEN" \\
    -H 'content-type: application/json' -d '{"pendingUploadId":"my-upload-1"}'`;
}

/** A path as one shell word: as it is when it needs no quoting, else in single quotes. */
const shellQuoted = (text: string) => (/^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);
