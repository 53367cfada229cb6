/**
 * The stand-in's TLS: a CA made once per process, and a server certificate it signs for the
 * loopback names (`127.0.0.1`, `::1`, `localhost`) and the host the stand-in binds. Clients trust
 * the CA through the kubeconfig's `certificate-authority-data`: kubectl and every Go client send
 * credentials only over HTTPS, and verify the server's name against the certificate.
 */
import { isIP } from 'node:net';
import { generate } from 'selfsigned';

export interface ServerCertificate {
  /** PEM of the CA certificate: what kubeconfigs trust. */
  readonly caCert: string;
  /** PEM of the server's certificate and key. */
  readonly cert: string;
  readonly key: string;
}

const DAY_MS = 86_400_000;
/** By bind host: one CA and certificate per process (P-256 keys: a few milliseconds each). */
const made = new Map<string, Promise<ServerCertificate>>();

export function serverCertificate(host: string): Promise<ServerCertificate> {
  let pending = made.get(host);
  if (!pending) {
    pending = make(host);
    made.set(host, pending);
  }
  return pending;
}

async function make(host: string): Promise<ServerCertificate> {
  // Valid from a day ago: a client whose clock runs a little behind still accepts it.
  const notBeforeDate = new Date(Date.now() - DAY_MS);
  const notAfterDate = new Date(Date.now() + 365 * DAY_MS);
  const ca = await generate([{ name: 'commonName', value: 'stratus-kube-standin-ca' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const names = new Set(['127.0.0.1', '::1', 'localhost', host]);
  const server = await generate([{ name: 'commonName', value: 'stratus-kube-standin' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...names]
          .filter((n) => n !== '' && n !== '0.0.0.0' && n !== '::')
          .map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })),
      },
    ],
  });
  return { caCert: ca.cert, cert: server.cert, key: server.private };
}
