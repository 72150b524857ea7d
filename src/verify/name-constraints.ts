/**
 * RFC 5280 name constraints (4.2.1.10, 6.1.3 (b) and (c)) and policy constraints on a verified
 * certification path. Private deployments constrain their intermediates; a constraint is either
 * enforced here or the path is refused as unsupported, never ignored.
 *
 * Enforced: rfc822Name, dNSName, uniformResourceIdentifier and iPAddress subtrees, permitted and
 * excluded, from every CA certificate of the path (the trust anchor included, as Go's
 * crypto/x509 does) over the SANs of every certificate below it, and over emailAddress
 * attributes of their subjects. Refused as unsupported: subtrees of any other name form
 * (directoryName, otherName, ...), a `minimum` or `maximum` distance, and policy constraints
 * (this verifier does no certificate policy processing, which requireExplicitPolicy demands).
 */
import { VerificationError } from '../errors.js';
import { Der, Tag } from '../lib/der.js';
import type { Certificate } from '../lib/x509.js';
import type { ErrorCode } from '../errors.js';

const NAME_CONSTRAINTS = '2.5.29.30';
const POLICY_CONSTRAINTS = '2.5.29.36';
const SUBJECT_ALT_NAME = '2.5.29.17';
const EMAIL_ADDRESS_ATTRIBUTE = '1.2.840.113549.1.9.1';

type Kind = 'email' | 'dns' | 'uri' | 'ip';
/** GeneralName tags: [1] rfc822Name 0x81, [2] dNSName 0x82, [6] URI 0x86, [7] iPAddress 0x87. */
const KIND_BY_TAG: Record<number, Kind> = { 129: 'email', 130: 'dns', 134: 'uri', 135: 'ip' };

interface Subtree {
  kind: Kind;
  /** Lower-cased text for email, DNS and URI; address then mask bytes for IP. */
  value: string | Buffer;
}

interface Constraints {
  permitted: Subtree[];
  excluded: Subtree[];
}

interface Name {
  kind: Kind;
  value: string | Buffer;
}

function fail(code: ErrorCode, message: string): never {
  throw new VerificationError('chain', code, message);
}

const latin1 = (b: Buffer): string => b.toString('latin1');

function parseSubtrees(el: Der, what: string): Subtree[] {
  const out: Subtree[] = [];
  if (el.children.length === 0) throw new Error(`${what} is empty`);
  for (const sub of el.children) {
    sub.expect(Tag.SEQUENCE, 'GeneralSubtree');
    if (sub.children.length !== 1) {
      // A minimum other than the default 0 or any maximum: RFC 5280 forbids both.
      fail('CHAIN_NAME_CONSTRAINT_UNSUPPORTED', `a CA certificate's name constraint has a minimum or maximum distance (unsupported, RFC 5280 4.2.1.10)`);
    }
    const base = sub.child(0);
    const kind = KIND_BY_TAG[base.tag];
    if (!kind) fail('CHAIN_NAME_CONSTRAINT_UNSUPPORTED', `a CA certificate has a name constraint of an unsupported form (GeneralName tag 0x${base.tag.toString(16)})`);
    if (kind === 'ip') {
      if (base.value.length !== 8 && base.value.length !== 32) throw new Error('iPAddress constraint is not an address and a mask');
      out.push({ kind, value: base.value });
    } else {
      if (!/^[\x21-\x7e]*$/.test(latin1(base.value))) throw new Error(`${kind} constraint is not printable ASCII`);
      out.push({ kind, value: latin1(base.value).toLowerCase() });
    }
  }
  return out;
}

/** The certificate's name constraints, or undefined when it has none. */
export function nameConstraints(cert: Certificate): Constraints | undefined {
  const ext = cert.extension(NAME_CONSTRAINTS);
  if (!ext) return undefined;
  const out: Constraints = { permitted: [], excluded: [] };
  try {
    const seq = Der.parse(ext.value).expect(Tag.SEQUENCE, 'NameConstraints');
    if (seq.children.length === 0) throw new Error('NameConstraints is empty');
    let last = -1;
    for (const c of seq.children) {
      const n = c.tag === 0xa0 ? 0 : c.tag === 0xa1 ? 1 : -1;
      if (n <= last) throw new Error('NameConstraints fields are unknown, repeated or out of order');
      last = n;
      (n === 0 ? out.permitted : out.excluded).push(...parseSubtrees(c, n === 0 ? 'permittedSubtrees' : 'excludedSubtrees'));
    }
  } catch (e) {
    if (e instanceof VerificationError) throw e;
    return fail('CHAIN_NAME_CONSTRAINTS_MALFORMED', `a CA certificate's name constraints are malformed (${(e as Error).message})`);
  }
  return out;
}

/** The names of a certificate that name constraints apply to: its SANs and subject emails. */
function constrainedNames(cert: Certificate): Name[] {
  const out: Name[] = [];
  const san = cert.extension(SUBJECT_ALT_NAME);
  try {
    if (san) {
      for (const gn of Der.parse(san.value).expect(Tag.SEQUENCE, 'SubjectAltName').children) {
        const kind = KIND_BY_TAG[gn.tag];
        if (kind) out.push({ kind, value: kind === 'ip' ? gn.value : latin1(gn.value) });
      }
    }
    for (const rdn of Der.parse(cert.subjectRaw).children) {
      for (const atv of rdn.children) {
        if (atv.child(0).oid() === EMAIL_ADDRESS_ATTRIBUTE) out.push({ kind: 'email', value: latin1(atv.child(1).value) });
      }
    }
  } catch (e) {
    return fail('CHAIN_NAME_CONSTRAINT_VIOLATION', `a certificate's names cannot be read to check name constraints (${(e as Error).message})`);
  }
  return out;
}

/** `host` equals `domain`, or (when `domain` starts with a dot, or `subdomains`) lies under it. */
function inDomain(host: string, domain: string, subdomains: boolean): boolean {
  if (domain === '') return true;
  if (domain.startsWith('.')) return host.endsWith(domain);
  return host === domain || (subdomains && host.endsWith(`.${domain}`));
}

/** The host of a URI, lower-cased, or undefined without a host name (no authority, an IP literal). */
function uriHost(uri: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(uri);
  const host = m?.[1]?.toLowerCase();
  if (!host || host.startsWith('[') || /^[0-9.]+$/.test(host)) return undefined;
  return host;
}

/** Whether `name` lies in `tree`; undefined when the name cannot be compared (then it is refused). */
function within(name: Name, tree: Subtree): boolean | undefined {
  const c = tree.value;
  if (name.kind === 'ip') {
    const ip = name.value as Buffer;
    const base = c as Buffer;
    if (base.length !== ip.length * 2) return false;
    for (let i = 0; i < ip.length; i++) {
      const mask = base[ip.length + i]!;
      if ((ip[i]! & mask) !== (base[i]! & mask)) return false;
    }
    return true;
  }
  const text = (name.value as string).toLowerCase();
  const constraint = c as string;
  if (name.kind === 'dns') return inDomain(text.replace(/\.$/, ''), constraint, true);
  if (name.kind === 'uri') {
    const host = uriHost(text);
    return host === undefined ? undefined : inDomain(host, constraint, false);
  }
  // rfc822Name: a mailbox, a host (exact), or a domain starting with a dot (subdomains only).
  const at = text.lastIndexOf('@');
  if (at <= 0) return undefined;
  if (constraint.includes('@')) return text === constraint;
  return inDomain(text.slice(at + 1), constraint, false);
}

function describe(name: Name): string {
  return name.kind === 'ip' ? `IP address ${[...(name.value as Buffer)].join('.')}` : `${name.kind} ${JSON.stringify(name.value)}`;
}

/**
 * Checks the name and policy constraints of a verified path (`path[0]` the leaf, then its CAs up
 * to the trust anchor); throws a {@link VerificationError} (step `chain`) when a name breaks a
 * constraint or a constraint is not supported.
 */
export function checkPathConstraints(path: Certificate[]): void {
  for (const c of path) {
    if (c.extension(POLICY_CONSTRAINTS)) {
      fail('CHAIN_POLICY_CONSTRAINTS_UNSUPPORTED', 'a certificate of the chain has policy constraints, which this verifier does not support (no certificate policy processing)');
    }
  }
  for (let i = 1; i < path.length; i++) {
    const nc = nameConstraints(path[i]!);
    if (!nc) continue;
    for (let j = 0; j < i; j++) {
      // Every certificate below, self-issued intermediates included (stricter than RFC 5280
      // 6.1.3 (b), which exempts them; Fulcio and TSA intermediates carry no names).
      const below = path[j]!;
      for (const name of constrainedNames(below)) {
        const who = j === 0 ? 'the signing certificate' : `CA certificate #${j + 1}`;
        for (const t of nc.excluded) {
          if (t.kind !== name.kind) continue;
          const r = within(name, t);
          if (r !== false) fail('CHAIN_NAME_CONSTRAINT_VIOLATION', `the ${describe(name)} of ${who} is excluded by the name constraints of CA certificate #${i + 1}`);
        }
        const permitted = nc.permitted.filter((t) => t.kind === name.kind);
        if (permitted.length > 0 && !permitted.some((t) => within(name, t) === true)) {
          fail('CHAIN_NAME_CONSTRAINT_VIOLATION', `the ${describe(name)} of ${who} is not permitted by the name constraints of CA certificate #${i + 1}`);
        }
      }
    }
  }
}
