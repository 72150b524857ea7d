/** `sigstore verify` (not implemented yet). */
import { SigstoreError } from '../errors.js';

export async function run(_argv: string[]): Promise<number> {
  throw new SigstoreError('NOT_IMPLEMENTED', 'sigstore verify is not implemented yet');
}
