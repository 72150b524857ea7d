/**
 * Freezing the models that caches and results share (certificates, trust material, parsed
 * bundles), so that no holder can change what another one reads. JavaScript cannot freeze a
 * Buffer's bytes or a Date's time: models that must stay fixed hand out copies of those instead
 * (see src/trust/material.ts), and caches key on the bytes, never on the object.
 */
import type { TimeStampToken } from './cms.js';
import type { Certificate } from './x509.js';

/**
 * Freezes a certificate: its fields, its extensions, and its validity (the dates become getters
 * that return a copy). Its lazily computed key and fingerprint are private fields, which a
 * frozen object still fills in. Returns `cert`.
 */
export function freezeCertificate(cert: Certificate): Certificate {
  if (Object.isFrozen(cert)) return cert;
  for (const e of cert.extensions) Object.freeze(e);
  Object.freeze(cert.extensions);
  const notBefore = cert.notBefore.getTime();
  const notAfter = cert.notAfter.getTime();
  Object.defineProperties(cert, {
    notBefore: { enumerable: true, get: () => new Date(notBefore) },
    notAfter: { enumerable: true, get: () => new Date(notAfter) },
  });
  Object.freeze(cert);
  return cert;
}

/**
 * Freezes plain objects and arrays, recursively (JSON-shaped data: what it holds besides objects
 * and arrays are strings, numbers, booleans and null). Iterative, so depth costs no stack.
 * Returns `v`.
 */
export function deepFreezeJson<T>(v: T): T {
  const todo: unknown[] = [v];
  while (todo.length > 0) {
    const x = todo.pop();
    if (typeof x !== 'object' || x === null || Object.isFrozen(x) || ArrayBuffer.isView(x)) continue;
    Object.freeze(x);
    if (Array.isArray(x)) {
      for (const y of x) if (typeof y === 'object' && y !== null) todo.push(y);
    } else {
      for (const k in x) {
        const y = (x as Record<string, unknown>)[k];
        if (typeof y === 'object' && y !== null) todo.push(y);
      }
    }
  }
  return v;
}

/**
 * Freezes a parsed time-stamp token, which parseTimeStampToken shares between its callers: its
 * SignedData (certificates frozen too), SignerInfos and TSTInfo; `genTime` becomes a getter that
 * returns a copy, so a result that reports it cannot change the next one. Returns `token`.
 */
export function freezeTimeStampToken(token: TimeStampToken): TimeStampToken {
  const { signedData: sd, tstInfo } = token;
  for (const c of sd.certificates) freezeCertificate(c);
  for (const si of sd.signerInfos) {
    for (const a of si.signedAttrs) Object.freeze(a.values);
    freezeEach([si.sid, si.digestAlgorithm, si.signatureAlgorithm, ...si.signedAttrs, si.signedAttrs, si]);
  }
  freezeEach([...sd.digestAlgorithms, sd.digestAlgorithms, sd.certificates, sd.signerInfos, sd]);
  const genTime = tstInfo.genTime.getTime();
  Object.defineProperty(tstInfo, 'genTime', { enumerable: true, get: () => new Date(genTime) });
  freezeEach([tstInfo.messageImprint.hashAlgorithm, tstInfo.messageImprint, tstInfo.accuracy, tstInfo, token]);
  return token;
}

/** Object.freeze on each (skipping undefined): their Der and Buffer fields are left as they are. */
function freezeEach(objects: (object | undefined)[]): void {
  for (const o of objects) if (o !== undefined) Object.freeze(o);
}
