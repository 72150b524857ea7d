/**
 * bin/sigstore-conformance: the sigstore-conformance client protocol, mapped onto the CLI.
 *
 *   verify-bundle --bundle FILE (--certificate-identity I --certificate-oidc-issuer U | --key KEY.pub)
 *                 [--trusted-root FILE] FILE_OR_DIGEST
 *   sign-bundle [--staging] [--in-toto] --identity-token TOKEN --bundle FILE [--trusted-root FILE]
 *               [--signing-config FILE] FILE
 */
import { main } from './main.js';

/** Translates a protocol invocation into `sigstore` arguments. */
export function translate(argv: string[]): string[] {
  const [command, ...rest] = argv;
  const out: string[] = [];
  const map: Record<string, string> = {
    '--certificate-identity': '--cert-identity',
    '--certificate-oidc-issuer': '--cert-oidc-issuer',
  };
  const args = rest.map((a) => map[a] ?? a);
  if (command === 'verify-bundle') {
    // A test harness: it verifies from the embedded root (or its --trusted-root), never over the network.
    out.push('verify', 'identity', '--offline', ...args);
  } else if (command === 'sign-bundle') {
    const staging = args.includes('--staging');
    const inToto = args.includes('--in-toto');
    const filtered = args.filter((a) => a !== '--staging' && a !== '--in-toto');
    if (staging) out.push('--staging');
    out.push(inToto ? 'attest' : 'sign', '--conformance', ...filtered);
  } else {
    out.push(command ?? '');
  }
  return out;
}

main(translate(process.argv.slice(2))).then((code) => {
  process.exitCode = code;
});
