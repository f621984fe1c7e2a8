import type { KoaContext } from '../emulator-packages.js';
import { refusalXml, type S3Refusal } from './s3-refusal.js';

/** Answers with S3's XML error document (Koa leaves the body out of a HEAD response, as S3 does). */
export function refuse(ctx: KoaContext, refusal: S3Refusal): void {
  ctx.status = refusal.status;
  ctx.type = 'application/xml';
  ctx.body = refusalXml(refusal);
}
