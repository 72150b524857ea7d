/**
 * The `chain` step with a forged PKI (test/helpers/forge.ts): RFC 5280 name constraints on an
 * intermediate or root (email, DNS, URI, IP; permitted and excluded), unsupported constraint
 * forms and policy constraints refused, and the leaf's and path's validity at the trusted times.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode, Tag } from '../../src/lib/der.js';
import type { TrustMaterial } from '../../src/trust/trusted-root.js';
import { refuseShippedRoot, verifyChain } from '../../src/verify/chain.js';
import { basicConstraintsExt, codeSigningExtensions, ext, extKeyUsageExt, forgeCA, forgeLeaf, generalName, HOUR, type Issued, keyUsageExt, nameDer, OIDS, otherName, sanExtension, T0, utf8String } from '../helpers/forge-pki.js';
import { rejectsAt } from '../helpers/tamper.js';

const rejects = (f: () => unknown, code: string, message?: RegExp) => rejectsAt('chain', f, code, message);

/** NameConstraints DER: permitted and excluded GeneralNames (DER each). */
function nameConstraints(permitted: Buffer[], excluded: Buffer[] = []): ReturnType<typeof ext> {
  const subtrees = (names: Buffer[]) => names.map((n) => encode(Tag.SEQUENCE, n));
  const parts: Buffer[] = [];
  if (permitted.length) parts.push(encode(0xa0, subtrees(permitted)));
  if (excluded.length) parts.push(encode(0xa1, subtrees(excluded)));
  return ext('2.5.29.30', true, encode(Tag.SEQUENCE, parts));
}

function trustOf(chain: Issued[], validFor = { start: new Date('2020-01-01T00:00:00Z'), end: undefined as Date | undefined }): TrustMaterial {
  return {
    tlogs: [],
    ctlogs: [],
    certificateAuthorities: [{ uri: 'https://fulcio.forged.example', certs: chain.map((c) => c.cert), validFor }],
    timestampAuthorities: [],
    source: 'test',
    mediaType: '',
    json: {} as never,
  } as TrustMaterial;
}

/** A root and an intermediate carrying `constraints` (or the root carrying them). */
function pki(constraints: ReturnType<typeof ext>[], on: 'intermediate' | 'root' = 'intermediate') {
  const root = forgeCA('forged root', { extensions: on === 'root' ? constraints : [] });
  const intermediate = forgeCA('forged intermediate', { issuer: root, pathLen: 0, extensions: on === 'intermediate' ? constraints : [] });
  return { root, intermediate, trust: trustOf([intermediate, root]) };
}

function leafWith(issuer: Issued, names: Buffer[], opts: { subject?: { commonName?: string } } = {}) {
  return forgeLeaf(issuer, codeSigningExtensions(sanExtension(names)), opts).cert;
}

describe('name constraints', () => {
  it('an unconstrained forged chain verifies', () => {
    const { intermediate, trust } = pki([]);
    const path = verifyChain(leafWith(intermediate, [generalName(1, 'alice@example.com')]), trust, [T0]).path;
    assert.equal(path.length, 3);
  });

  it('email: a permitted domain, host or mailbox', () => {
    const { intermediate, trust } = pki([nameConstraints([generalName(1, 'example.com'), generalName(1, '.corp.example'), generalName(1, 'bob@other.example')])]);
    for (const ok of ['alice@example.com', 'alice@EXAMPLE.com', 'x@dev.corp.example', 'bob@other.example']) {
      verifyChain(leafWith(intermediate, [generalName(1, ok)]), trust, [T0]);
    }
    for (const bad of ['alice@sub.example.com', 'alice@evil.example', 'x@corp.example', 'carol@other.example', 'no-at-sign', '@example.com']) {
      rejects(() => verifyChain(leafWith(intermediate, [generalName(1, bad)]), trust, [T0]), 'CHAIN_NAME_CONSTRAINT_VIOLATION');
    }
  });

  it('URI: the host of the URI against a permitted host or domain', () => {
    const { intermediate, trust } = pki([nameConstraints([generalName(6, 'github.com'), generalName(6, '.example.dev')])]);
    verifyChain(leafWith(intermediate, [generalName(6, 'https://github.com/org/repo/.github/workflows/r.yml@refs/heads/main')]), trust, [T0]);
    verifyChain(leafWith(intermediate, [generalName(6, 'spiffe://ci.example.dev/builder')]), trust, [T0]);
    for (const bad of ['https://github.com.evil.example/x', 'https://evil.example/github.com', 'https://user@evil.example/', 'urn:example:github.com', 'https://[::1]/x', 'https://10.0.0.1/']) {
      rejects(() => verifyChain(leafWith(intermediate, [generalName(6, bad)]), trust, [T0]), 'CHAIN_NAME_CONSTRAINT_VIOLATION');
    }
  });

  it('URI: a host that is an IP literal is never compared with a host constraint', () => {
    const { intermediate, trust } = pki([nameConstraints([generalName(6, '10.0.0.1'), generalName(6, '[::1]')])]);
    for (const bad of ['https://10.0.0.1/x', 'https://[::1]/x']) {
      rejects(() => verifyChain(leafWith(intermediate, [generalName(6, bad)]), trust, [T0]), 'CHAIN_NAME_CONSTRAINT_VIOLATION');
    }
  });

  it('DNS: the domain and its subdomains', () => {
    const { intermediate, trust } = pki([nameConstraints([generalName(2, 'example.com')])]);
    const email = generalName(1, 'alice@example.com');
    verifyChain(leafWith(intermediate, [email, generalName(2, 'build.example.com')]), trust, [T0]);
    rejects(() => verifyChain(leafWith(intermediate, [email, generalName(2, 'badexample.com')]), trust, [T0]), 'CHAIN_NAME_CONSTRAINT_VIOLATION');
  });

  it('IP: address and mask', () => {
    const { intermediate, trust } = pki([nameConstraints([generalName(7, Buffer.from([10, 1, 0, 0, 255, 255, 0, 0]))])]);
    const email = generalName(1, 'alice@example.com');
    verifyChain(leafWith(intermediate, [email, generalName(7, Buffer.from([10, 1, 2, 3]))]), trust, [T0]);
    rejects(() => verifyChain(leafWith(intermediate, [email, generalName(7, Buffer.from([10, 2, 2, 3]))]), trust, [T0]), 'CHAIN_NAME_CONSTRAINT_VIOLATION');
    // An IPv6 subtree does not permit an IPv4 address (nor the other way round).
    const v6 = pki([nameConstraints([generalName(7, Buffer.alloc(32))])]);
    rejects(() => verifyChain(leafWith(v6.intermediate, [email, generalName(7, Buffer.from([10, 1, 2, 3]))]), v6.trust, [T0]), 'CHAIN_NAME_CONSTRAINT_VIOLATION');
  });

  it('name forms without a permitted subtree of their own are unconstrained (RFC 5280)', () => {
    const { intermediate, trust } = pki([nameConstraints([generalName(1, 'example.com')])]);
    verifyChain(leafWith(intermediate, [generalName(6, 'https://anything.example/')]), trust, [T0]);
  });

  it('excluded subtrees win over permitted ones', () => {
    const { intermediate, trust } = pki([nameConstraints([generalName(1, 'example.com'), generalName(1, '.example.com')], [generalName(1, 'mallory@example.com'), generalName(6, '.evil.example')])]);
    verifyChain(leafWith(intermediate, [generalName(1, 'alice@example.com')]), trust, [T0]);
    rejects(() => verifyChain(leafWith(intermediate, [generalName(1, 'mallory@example.com')]), trust, [T0]), 'CHAIN_NAME_CONSTRAINT_VIOLATION', /excluded/);
    rejects(() => verifyChain(leafWith(intermediate, [generalName(6, 'https://ci.evil.example/x')]), trust, [T0]), 'CHAIN_NAME_CONSTRAINT_VIOLATION', /excluded/);
    // A URI without a host cannot be shown to be outside an excluded subtree.
    rejects(() => verifyChain(leafWith(intermediate, [generalName(6, 'urn:x')]), trust, [T0]), 'CHAIN_NAME_CONSTRAINT_VIOLATION');
  });

  it("the trust anchor's constraints apply too, and to every name of the leaf", () => {
    const { intermediate, trust } = pki([nameConstraints([generalName(1, 'example.com')])], 'root');
    rejects(() => verifyChain(leafWith(intermediate, [generalName(1, 'alice@example.com'), generalName(1, 'eve@evil.example')]), trust, [T0]), 'CHAIN_NAME_CONSTRAINT_VIOLATION');
  });

  it('an emailAddress in the subject is constrained like an email SAN', () => {
    const { intermediate, trust } = pki([nameConstraints([generalName(1, 'example.com')])]);
    const subject = (email: string) => nameDer([['2.5.4.3', encode(Tag.UTF8_STRING, Buffer.from('x'))], ['1.2.840.113549.1.9.1', encode(Tag.IA5_STRING, Buffer.from(email))]]);
    const san = codeSigningExtensions(sanExtension([generalName(1, 'alice@example.com')]));
    verifyChain(forgeLeaf(intermediate, san, { subjectDer: subject('alice@example.com') }).cert, trust, [T0]);
    rejects(() => verifyChain(forgeLeaf(intermediate, san, { subjectDer: subject('eve@evil.example') }).cert, trust, [T0]), 'CHAIN_NAME_CONSTRAINT_VIOLATION');
  });

  it('unsupported constraint forms, distances and malformed constraints are refused, never ignored', () => {
    const dn = encode(0xa4, encode(Tag.SEQUENCE, []));
    const cases: [ReturnType<typeof ext>, string][] = [
      [nameConstraints([dn]), 'CHAIN_NAME_CONSTRAINT_UNSUPPORTED'],
      [nameConstraints([], [otherName('1.3.6.1.4.1.57264.1.7', utf8String('x'))]), 'CHAIN_NAME_CONSTRAINT_UNSUPPORTED'],
      [ext('2.5.29.30', true, encode(Tag.SEQUENCE, encode(0xa0, encode(Tag.SEQUENCE, [generalName(1, 'example.com'), encode(0x80, Buffer.from([1]))])))), 'CHAIN_NAME_CONSTRAINT_UNSUPPORTED'],
      [ext('2.5.29.30', true, encode(Tag.SEQUENCE, [])), 'CHAIN_NAME_CONSTRAINTS_MALFORMED'],
      [ext('2.5.29.30', true, encode(Tag.SEQUENCE, [encode(0xa1, encode(Tag.SEQUENCE, generalName(1, 'a'))), encode(0xa0, encode(Tag.SEQUENCE, generalName(1, 'b')))])), 'CHAIN_NAME_CONSTRAINTS_MALFORMED'],
      [ext('2.5.29.30', true, Buffer.from([0x30, 0x02, 0xa0])), 'CHAIN_NAME_CONSTRAINTS_MALFORMED'],
      // permittedSubtrees present but empty; an iPAddress that is not address + mask; a DNS name that is not printable ASCII
      [ext('2.5.29.30', true, encode(Tag.SEQUENCE, encode(0xa0, []))), 'CHAIN_NAME_CONSTRAINTS_MALFORMED'],
      [nameConstraints([generalName(7, Buffer.from([10, 0, 0, 1, 255]))]), 'CHAIN_NAME_CONSTRAINTS_MALFORMED'],
      [nameConstraints([], [generalName(2, Buffer.from('exa\x01mple.com', 'latin1'))]), 'CHAIN_NAME_CONSTRAINTS_MALFORMED'],
    ];
    for (const [constraint, code] of cases) {
      const { intermediate, trust } = pki([constraint]);
      rejects(() => verifyChain(leafWith(intermediate, [generalName(1, 'alice@example.com')]), trust, [T0]), code);
    }
  });

  it('policy constraints on any certificate of the path are refused as unsupported', () => {
    const policyConstraints = ext('2.5.29.36', true, encode(Tag.SEQUENCE, encode(0x80, Buffer.from([0]))));
    for (const on of ['intermediate', 'root'] as const) {
      const { intermediate, trust } = pki([policyConstraints], on);
      rejects(() => verifyChain(leafWith(intermediate, [generalName(1, 'alice@example.com')]), trust, [T0]), 'CHAIN_POLICY_CONSTRAINTS_UNSUPPORTED');
    }
  });
});

describe('validity at the trusted times', () => {
  const { root, intermediate, trust } = pki([]);
  const leaf = leafWith(intermediate, [generalName(1, 'alice@example.com')]);

  it("every trusted time must fall inside the leaf's validity", () => {
    verifyChain(leaf, trust, [T0, new Date(T0.getTime() + 60_000)]);
    rejects(() => verifyChain(leaf, trust, [T0, new Date(T0.getTime() + HOUR)]), 'CERT_NOT_VALID_AT_TIME');
    rejects(() => verifyChain(leaf, trust, [new Date(T0.getTime() - HOUR)]), 'CERT_NOT_VALID_AT_TIME');
  });

  it("every trusted time must fall inside each CA certificate's validity and the CA's trusted window", () => {
    const shortRoot = forgeCA('short root', { notBefore: new Date(T0.getTime() - 2 * HOUR), notAfter: new Date(T0.getTime() - HOUR) });
    const inter = forgeCA('inter', { issuer: shortRoot, pathLen: 0 });
    rejects(() => verifyChain(leafWith(inter, [generalName(1, 'a@example.com')]), trustOf([inter, shortRoot]), [T0]), 'CHAIN_NOT_VALID_AT_TIME');
    const closed = trustOf([intermediate, root], { start: new Date('2020-01-01T00:00:00Z'), end: new Date(T0.getTime() - HOUR) });
    rejects(() => verifyChain(leaf, closed, [T0]), 'CHAIN_NOT_VALID_AT_TIME');
  });

  it('a leaf from another CA does not chain', () => {
    const other = pki([]);
    rejects(() => verifyChain(leafWith(other.intermediate, [generalName(1, 'a@example.com')]), trust, [T0]), 'CHAIN_UNTRUSTED');
  });
});

describe('the leaf profile and the CA path', () => {
  const { root, intermediate, trust } = pki([]);
  const san = sanExtension([generalName(1, 'alice@example.com')]);

  it('the leaf must not be a CA, and needs digitalSignature and codeSigning', () => {
    rejects(() => verifyChain(forgeLeaf(intermediate, [basicConstraintsExt(true), keyUsageExt([0]), extKeyUsageExt([OIDS.codeSigning], false), san]).cert, trust, [T0]), 'LEAF_IS_CA');
    rejects(() => verifyChain(forgeLeaf(intermediate, [keyUsageExt([5]), extKeyUsageExt([OIDS.codeSigning], false), san]).cert, trust, [T0]), 'LEAF_KEY_USAGE');
    rejects(() => verifyChain(forgeLeaf(intermediate, [extKeyUsageExt([OIDS.codeSigning], false), san]).cert, trust, [T0]), 'LEAF_KEY_USAGE');
    rejects(() => verifyChain(forgeLeaf(intermediate, [keyUsageExt([0]), extKeyUsageExt([OIDS.timeStamping], false), san]).cert, trust, [T0]), 'LEAF_EXT_KEY_USAGE');
  });

  it('unknown critical extensions on the leaf or a CA certificate are refused', () => {
    const odd = ext('1.2.3.4.5', true, Buffer.from([0x05, 0x00]));
    rejects(() => verifyChain(forgeLeaf(intermediate, codeSigningExtensions(san, [odd])).cert, trust, [T0]), 'CERT_UNKNOWN_CRITICAL_EXTENSION', /signing certificate/);
    const oddCa = pki([odd]);
    rejects(() => verifyChain(forgeLeaf(oddCa.intermediate, codeSigningExtensions(san)).cert, oddCa.trust, [T0]), 'CERT_UNKNOWN_CRITICAL_EXTENSION', /CA certificate/);
    // Non-critical unknown extensions are fine.
    verifyChain(forgeLeaf(intermediate, codeSigningExtensions(san, [ext('1.2.3.4.5', false, Buffer.from([0x05, 0x00]))])).cert, trust, [T0]);
  });

  it("a CA's pathLen bounds the CA certificates below it", () => {
    const strictRoot = forgeCA('pathLen 0 root', { pathLen: 0 });
    const inter = forgeCA('under pathLen 0', { issuer: strictRoot, pathLen: 0 });
    rejects(() => verifyChain(forgeLeaf(inter, codeSigningExtensions(san)).cert, trustOf([inter, strictRoot]), [T0]), 'CHAIN_UNTRUSTED');
  });

  it('a bundle must not ship its root', () => {
    rejects(() => refuseShippedRoot([intermediate.cert, root.cert]), 'CHAIN_HAS_ROOT');
    refuseShippedRoot([intermediate.cert]);
  });
});
