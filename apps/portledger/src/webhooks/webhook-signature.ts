import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-portledger-signature';

/** `sha256=<hex HMAC-SHA256 of the raw body>`, keyed with WEBHOOK_SECRET. */
export function signWebhookBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}
