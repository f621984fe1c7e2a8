/**
 * KMS for the template run (auth=contracts: the access-key secrets' key): the JSON 1.1 protocol the SDK
 * speaks (POST /, `X-Amz-Target: TrentService.<Operation>`), Encrypt and Decrypt only, over HTTP on
 * 127.0.0.1. The functions reach it through AWS_ENDPOINT_URL_KMS, with their KMS client unchanged.
 *
 * As KMS does: a ciphertext names its key and is bound to the EncryptionContext it was made with (here
 * AES-256-GCM with the canonical context as additional data), so a Decrypt with any other context, or
 * of a blob that is not one of this emulator's, fails with InvalidCiphertextException; a Decrypt naming
 * another KeyId than the ciphertext's fails with IncorrectKeyException. A request without a SigV4
 * Authorization for service kms in the run's region is refused, as KMS refuses it. Signatures are not
 * verified.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KmsRequest {
  readonly operation: string;
  /** The key the request named (as given) or the ciphertext's, when there was one. */
  readonly keyId?: string;
  readonly encryptionContext?: Readonly<Record<string, string>>;
  /** The error type answered, or undefined when it succeeded. */
  readonly error?: string;
}

export interface KmsEmulator {
  readonly url: string;
  /** A new symmetric key; its ARN is what a template's key resolves to. */
  createKey(): { keyId: string; arn: string };
  /** Every request, in order. */
  readonly requests: KmsRequest[];
  close(): Promise<void>;
}

class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const MAGIC = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The context as additional authenticated data: keys sorted, so member order does not matter (as in KMS). */
const aad = (keyId: string, context: Record<string, string> | undefined) =>
  Buffer.from(JSON.stringify([keyId, Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]));

export async function startKmsEmulator(options: { region: string; accountId: string }): Promise<KmsEmulator> {
  const keys = new Map<string, Buffer>();
  const requests: KmsRequest[] = [];
  const arnOf = (keyId: string) => `arn:aws:kms:${options.region}:${options.accountId}:key/${keyId}`;

  /** A key id or key ARN of this account and region (aliases are not emulated). */
  function keyOf(given: unknown): string {
    if (typeof given !== 'string' || given === '') throw new KmsError('ValidationException', 'KeyId is required');
    const arn = /^arn:aws:kms:([^:]+):(\d{12}):key\/(.+)$/.exec(given);
    if (arn && (arn[1] !== options.region || arn[2] !== options.accountId)) throw new KmsError('NotFoundException', `Key '${given}' does not exist`);
    const id = arn ? arn[3]! : given;
    if (!keys.has(id)) throw new KmsError('NotFoundException', `Key '${given}' does not exist`);
    return id;
  }

  function context(given: unknown): Record<string, string> | undefined {
    if (given === undefined || given === null) return undefined;
    if (typeof given !== 'object' || Array.isArray(given) || Object.values(given).some((v) => typeof v !== 'string')) {
      throw new KmsError('ValidationException', 'EncryptionContext must be a map of strings');
    }
    return given as Record<string, string>;
  }

  function encrypt(body: any) {
    const keyId = keyOf(body.KeyId);
    const plaintext = Buffer.from(String(body.Plaintext ?? ''), 'base64');
    if (plaintext.length < 1 || plaintext.length > 4096) throw new KmsError('ValidationException', 'Plaintext must be 1 to 4096 bytes');
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', keys.get(keyId)!, iv).setAAD(aad(keyId, context(body.EncryptionContext)));
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const id = Buffer.from(keyId);
    const blob = Buffer.concat([Buffer.from([MAGIC, id.length]), id, iv, cipher.getAuthTag(), sealed]);
    return { CiphertextBlob: blob.toString('base64'), KeyId: arnOf(keyId), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  }

  function decrypt(body: any) {
    const blob = Buffer.from(String(body.CiphertextBlob ?? ''), 'base64');
    const invalid = () => new KmsError('InvalidCiphertextException', '');
    if (blob.length < 2 || blob[0] !== MAGIC) throw invalid();
    const idEnd = 2 + blob[1]!;
    if (blob.length < idEnd + IV_BYTES + TAG_BYTES) throw invalid();
    const keyId = blob.subarray(2, idEnd).toString();
    const material = keys.get(keyId);
    if (!material) throw invalid();
    if (body.KeyId !== undefined && keyOf(body.KeyId) !== keyId) {
      throw new KmsError('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.');
    }
    const iv = blob.subarray(idEnd, idEnd + IV_BYTES);
    const tag = blob.subarray(idEnd + IV_BYTES, idEnd + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', material, iv).setAAD(aad(keyId, context(body.EncryptionContext)));
    decipher.setAuthTag(tag);
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(blob.subarray(idEnd + IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw invalid(); // another context (or a tampered blob): KMS answers exactly this, with no message
    }
    return { Plaintext: plaintext.toString('base64'), KeyId: arnOf(keyId), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  }

  const OPERATIONS: Record<string, (body: any) => unknown> = { Encrypt: encrypt, Decrypt: decrypt };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : target;
      let body: any = {};
      const record = (error?: string) =>
        requests.push({
          operation,
          ...(typeof body?.KeyId === 'string' ? { keyId: body.KeyId } : {}),
          ...(body?.EncryptionContext ? { encryptionContext: body.EncryptionContext } : {}),
          ...(error ? { error } : {}),
        });
      const answer = (status: number, payload: unknown, errorType?: string) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
        res.end(JSON.stringify(payload));
      };
      try {
        const credential = /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ''));
        if (!credential) throw new KmsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
        if (credential[2] !== 'kms' || credential[1] !== options.region) {
          throw new KmsError('InvalidSignatureException', `Credential should be scoped to a valid region and service kms in ${options.region}`);
        }
        if (req.method !== 'POST' || !target.startsWith('TrentService.')) throw new KmsError('UnknownOperationException', '');
        try {
          body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
        } catch {
          throw new KmsError('SerializationException', 'Malformed JSON');
        }
        const run = OPERATIONS[operation];
        if (!run) throw new KmsError('UnknownOperationException', `${operation} is not emulated`);
        const out = run(body);
        record();
        answer(200, out);
      } catch (error) {
        const e = error instanceof KmsError ? error : new KmsError('KMSInternalException', String(error), 500);
        record(e.type);
        answer(e.status, { __type: e.type, message: e.message }, e.type);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    createKey() {
      const keyId = randomUUID();
      keys.set(keyId, randomBytes(32));
      return { keyId, arn: arnOf(keyId) };
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
