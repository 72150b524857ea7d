/**
 * Freezing the models that caches and results share (certificates, trust material, parsed
 * bundles), so that no holder can change what another one reads. JavaScript cannot freeze a
 * Buffer's bytes or a Date's time: models that must stay fixed hand out copies of those instead
 * (see src/trust/material.ts), and caches key on the bytes, never on the object.
 */
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
    for (const y of Array.isArray(x) ? x : Object.values(x)) if (typeof y === 'object' && y !== null) todo.push(y);
  }
  return v;
}
