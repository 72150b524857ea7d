/** The sigstore-conformance client protocol entrypoint (bin/sigstore-conformance). */
export {};
