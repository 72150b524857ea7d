/** The real slsa-github-generator provenance in test/fixtures/slsa (see its README). */
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'slsa');
/** The sha256 of the four (byte-identical) binaries the provenance is about. */
export const BINARY_SHA256 = '376e7e01348585b6e6643bc6663146b9d525d9b41228bf180eaeb4d4a3706caa';
