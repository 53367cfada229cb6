/**
 * The Kubernetes protobuf encoding, read for the few objects kubectl 1.32+ sends that way: its
 * imperative generators (`kubectl create namespace|configmap|secret|serviceaccount`) encode the new object as
 * protobuf, whatever the server. An envelope (`k8s\0` + runtime.Unknown: TypeMeta, raw bytes) holds
 * the object's message; the field numbers below are those of k8s.io/api's generated.proto.
 * Other kinds, and every response, stay JSON (415 for a protobuf body of another kind).
 */
import type { JsonObject } from './fields.js';
import { ApiError } from './store.js';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

interface Field {
  readonly num: number;
  readonly value: bigint | Buffer;
}

class ProtobufError extends Error {}

function varint(buf: Buffer, at: { i: number }): bigint {
  let result = 0n;
  for (let shift = 0n; ; shift += 7n) {
    const byte = buf[at.i++];
    if (byte === undefined || shift > 63n) throw new ProtobufError('truncated varint');
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return result;
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  const at = { i: 0 };
  while (at.i < buf.length) {
    const key = Number(varint(buf, at));
    const num = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ num, value: varint(buf, at) });
    else if (wire === 2) {
      const len = Number(varint(buf, at));
      if (at.i + len > buf.length) throw new ProtobufError('truncated field');
      out.push({ num, value: buf.subarray(at.i, at.i + len) });
      at.i += len;
    } else if (wire === 1) at.i += 8;
    else if (wire === 5) at.i += 4;
    else throw new ProtobufError(`unsupported wire type ${wire}`);
  }
  return out;
}

const bytesOf = (fs: Field[], num: number): Buffer[] =>
  fs.filter((f) => f.num === num && Buffer.isBuffer(f.value)).map((f) => f.value as Buffer);
const stringOf = (fs: Field[], num: number): string | undefined => bytesOf(fs, num)[0]?.toString('utf8');
const boolOf = (fs: Field[], num: number): boolean | undefined => {
  const f = fs.find((x) => x.num === num && typeof x.value === 'bigint');
  return f ? f.value !== 0n : undefined;
};

/** A `map<string, string>` (or `map<string, bytes>`, as base64, the JSON form of bytes). */
function mapOf(fs: Field[], num: number, values: 'string' | 'bytes'): Record<string, string> | undefined {
  const entries = bytesOf(fs, num);
  if (entries.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const e = fields(entry);
    const value = bytesOf(e, 2)[0] ?? Buffer.alloc(0);
    out[stringOf(e, 1) ?? ''] = values === 'bytes' ? value.toString('base64') : value.toString('utf8');
  }
  return out;
}

const defined = (o: Record<string, unknown>): JsonObject =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as JsonObject;

/** ObjectMeta: name 1, generateName 2, namespace 3, resourceVersion 6, labels 11, annotations 12, finalizers 14. */
function objectMeta(buf: Buffer | undefined): JsonObject {
  const fs = buf ? fields(buf) : [];
  const finalizers = bytesOf(fs, 14).map((b) => b.toString('utf8'));
  return defined({
    name: stringOf(fs, 1),
    generateName: stringOf(fs, 2),
    namespace: stringOf(fs, 3),
    resourceVersion: stringOf(fs, 6),
    labels: mapOf(fs, 11, 'string'),
    annotations: mapOf(fs, 12, 'string'),
    finalizers: finalizers.length > 0 ? finalizers : undefined,
  });
}

const DECODERS: Readonly<Record<string, (fs: Field[]) => JsonObject>> = {
  // Namespace: metadata 1, spec 2 (finalizers 1).
  'v1/Namespace': (fs) => {
    const spec = bytesOf(fs, 2)[0];
    const finalizers = spec ? bytesOf(fields(spec), 1).map((b) => b.toString('utf8')) : [];
    return defined({ spec: finalizers.length > 0 ? { finalizers } : undefined });
  },
  // ConfigMap: metadata 1, data 2, binaryData 3, immutable 4.
  'v1/ConfigMap': (fs) =>
    defined({ data: mapOf(fs, 2, 'string'), binaryData: mapOf(fs, 3, 'bytes'), immutable: boolOf(fs, 4) }),
  // ServiceAccount: metadata 1, automountServiceAccountToken 4 (secrets and pull secrets not read).
  'v1/ServiceAccount': (fs) => defined({ automountServiceAccountToken: boolOf(fs, 4) }),
  // Secret: metadata 1, data 2 (bytes), type 3, stringData 4, immutable 5.
  'v1/Secret': (fs) =>
    defined({
      data: mapOf(fs, 2, 'bytes'),
      type: stringOf(fs, 3),
      stringData: mapOf(fs, 4, 'string'),
      immutable: boolOf(fs, 5),
    }),
};

/** The JSON form of a protobuf-encoded Namespace, ConfigMap, Secret or ServiceAccount; 415 for another kind, 400 when malformed. */
export function decodeProtobufObject(body: Buffer): JsonObject {
  try {
    if (!body.subarray(0, 4).equals(MAGIC)) throw new ProtobufError('no k8s protobuf envelope');
    const unknown = fields(body.subarray(4));
    const typeMeta = fields(bytesOf(unknown, 1)[0] ?? Buffer.alloc(0));
    const apiVersion = stringOf(typeMeta, 1) ?? '';
    const kind = stringOf(typeMeta, 2) ?? '';
    const decode = DECODERS[`${apiVersion}/${kind}`];
    if (!decode) {
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the kube stand-in reads protobuf bodies of Namespaces, ConfigMaps, Secrets and ServiceAccounts only (got ${apiVersion} ${kind}): send JSON (kubectl create -f, kubectl apply)`,
      );
    }
    const raw = fields(bytesOf(unknown, 2)[0] ?? Buffer.alloc(0));
    return { apiVersion, kind, metadata: objectMeta(bytesOf(raw, 1)[0]), ...decode(raw) };
  } catch (e) {
    if (e instanceof ProtobufError)
      throw new ApiError(400, 'BadRequest', `error decoding protobuf: ${e.message}`);
    throw e;
  }
}
