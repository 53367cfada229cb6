/**
 * The container image of every engine version Stratus runs, pinned by digest.
 *
 * A tag can be re-pushed; a digest cannot. Every reference is `repository:tag@sha256:<index digest>`
 * (except the engines in TAG_ONLY, whose custom resource cannot carry a digest):
 * the runtime pulls by digest (the tag is ignored once a digest is present) and the tag stays for
 * people reading a manifest or `kubectl describe`. The digest is the multi-arch index (manifest
 * list) digest, so each node still pulls the variant for its own architecture.
 *
 * Each entry names the public file the digest was taken from. To add a version, see
 * docs/engines.md ("Images"): resolve the index digest with `crane digest <repo>:<tag>` (or
 * `docker buildx imagetools inspect`), add it here with its source, then add the version to the
 * blueprint. test/unit/engines/images.test.ts fails while a supported version has no entry.
 */

/** The engine version has no pinned image: the blueprint lists a version this catalog lacks. */
export class ImageNotPinnedError extends Error {
  constructor(
    readonly engine: string,
    readonly version: string,
  ) {
    super(`${engine} ${version} has no pinned image in functions/shared/engines/images.ts`);
    this.name = 'ImageNotPinnedError';
  }
}

type Catalog = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** Engine -> version -> image reference. */
export const IMAGES: Catalog = Object.freeze({
  qdrant: Object.freeze({
    // neuralisapp/neuralis, scripts/setup/qdrantVersion.mts (QDRANT_RELEASES, "Multi-arch image index
    // digest of qdrant/qdrant:v<version>"), for all three entries.
    '1.13.6': 'qdrant/qdrant:v1.13.6@sha256:bd67306b6cc77c98122cada2321eb60b20d00b19d26cb61c86681e7bd5951498',
    '1.14.1': 'qdrant/qdrant:v1.14.1@sha256:419d72603f5346ee22ffc4606bdb7beb52fcb63077766fab678e6622ba247366',
    // Docker Hub only: the ghcr.io/qdrant mirror publishes a different digest for the same tag.
    '1.15.5': 'qdrant/qdrant:v1.15.5@sha256:0fb8897412abc81d1c0430a899b9a81eb8328aa634e7242d1bc804c1fe8fe863',
  }),
  valkey: Object.freeze({
    // A fil-forge Go `testutil` package (`defaultValkeyImage`, next to ghcr.io/fil-forge/minio);
    // which fil-forge repository was not resolved. 7.2.5 is the only 7.2 patch release with a
    // published digest found, so it stands in for 7.2.8.
    '7.2.5': 'valkey/valkey:7.2.5@sha256:57361de39073ea1ef5e7bcfd8068871b21c0a197f01d460e15511f27070fc49b',
    // SageSeekerSociety/cheese, deploy/ci-runner/resident-services.sh, pulled through mirror.gcr.io
    // (Google's pull-through cache of Docker Hub, which serves Docker Hub's manifests unchanged).
    // Stands in for 8.0.3, for which no digest was found.
    '8.0.2': 'valkey/valkey:8.0.2@sha256:57bcc49c6ade1813ef25206c571b65b66bb0094235ff7fb767941622892297d9',
    // A compose end-to-end script (`VALKEY_IMAGE=docker.io/valkey/valkey:8.1.1@...`, repository not
    // resolved); a NixOS immich config pins `docker.io/valkey/valkey:8-bookworm` to the same digest,
    // which 8.1.1 was at the time.
    '8.1.1': 'valkey/valkey:8.1.1@sha256:a19bebed6a91bd5e6e2106fef015f9602a3392deeb7c9ed47548378dcee3dfc2',
  }),
  postgresql: Object.freeze({
    // digiorg/core, platform/base/cnpg/cluster.yaml (`imageName`, "verified against GHCR").
    '16.9':
      'ghcr.io/cloudnative-pg/postgresql:16.9@sha256:cca50a94e2da46ddcaefb23260c805ed3b466763bd2a25e1617410176d5fd0ab',
    // Nortezh/deployer, database/cnpg/cnpg_integration_test.go; the same digest is the `imageID` a
    // node reported for a pod running `ghcr.io/cloudnative-pg/postgresql:17.5`.
    '17.5':
      'ghcr.io/cloudnative-pg/postgresql:17.5@sha256:b1deeed2aa998b2f381e39c5cadb9ec06127708c8bd62965743af19abf21628f',
  }),
  dragonfly: Object.freeze({
    // docker.dragonflydb.io serves ghcr.io/dragonflydb's manifests: both hosts give v1.39.0 the same
    // digest below.
    // A homelab README's "Managed Images" table (with registry.arthurvardevanyan.com/homelab images:
    // ArthurVardevanyan/HomeLab, not confirmed at a stored commit).
    '1.35.1':
      'docker.dragonflydb.io/dragonflydb/dragonfly:v1.35.1@sha256:af7f7f1143269c7ffe4128451dff8f8fc09e157d885abcc9bafeec832d2928e6',
    // A Dockerfile `FROM docker.dragonflydb.io/dragonflydb/dragonfly:v1.39.0@...`, and a nix
    // dockerTools pin of ghcr.io/dragonflydb/dragonfly v1.39.0 with the same digest (repositories
    // not resolved).
    '1.39.0':
      'docker.dragonflydb.io/dragonflydb/dragonfly:v1.39.0@sha256:0fa01a2b929e704c7a9300d23e7f52002ebd39e90996fb8bb63826aed92fa06f',
  }),
  mongodb: Object.freeze({
    // The mongod container's image (the operator's agent, version hook and readiness probe images
    // are the operator installation's, docs/eks.md). hakopod/hakopod, its MongoDB cluster client
    // (`mongodbServerImage`), the same reference in two other public files (a Python test fixture
    // and a provisioning script, repositories not resolved).
    '8.0.32':
      'quay.io/mongodb/mongodb-community-server:8.0.32-ubi8@sha256:7c905b7efb6d7713ded906b88483d68776fbd37722a47fdaf7444b9ccdb0a86d',
  }),
  scylladb: Object.freeze({
    // Tag only (TAG_ONLY below): ScyllaCluster v1 has no image field; the operator pulls
    // `<repository>:<version>` and reads the running version back from that tag.
    // 6.2.3: a public README building FROM `scylladb/scylla:6.2.3` (lpgauth, erlang-scylla image).
    '6.2.3': 'docker.io/scylladb/scylla:6.2.3',
    // 2025.1.9: a public development guide running `scylladb/scylla:2025.1.9` (repository not resolved).
    '2025.1.9': 'docker.io/scylladb/scylla:2025.1.9',
  }),
  yugabytedb: Object.freeze({
    // Tag only (TAG_ONLY below): a YBUniverse names a YBA release (`ybSoftwareVersion`), and YBA
    // pulls that release's image itself; the release must be imported into YBA first.
    // 2024.2.2.1-b6: a public yugabyted walkthrough running `yugabytedb/yugabyte:2024.2.2.1-b6`.
    '2024.2.2.1': 'yugabytedb/yugabyte:2024.2.2.1-b6',
    // 2025.1.0.1-b3: several public Testcontainers fixtures (`yugabytedb/yugabyte:2025.1.0.1-b3`).
    '2025.1.0.1': 'yugabytedb/yugabyte:2025.1.0.1-b3',
  }),
});

/**
 * Engines whose custom resource cannot carry a digest, with why: their catalog entries are
 * `repository:tag` and docs/engines.md says so. Every other entry is pinned by digest.
 */
export const TAG_ONLY: Readonly<Record<string, string>> = Object.freeze({
  scylladb:
    'ScyllaCluster v1 takes `repository` and `version`; the operator derives the rack version from the tag',
  yugabytedb: 'YBUniverse names a YugabyteDB Anywhere release; YBA chooses and pulls its image',
});

/** The pinned image of `engine` at `version`; throws ImageNotPinnedError when there is none. */
export function imageFor(engine: string, version: string): string {
  const versions = Object.hasOwn(IMAGES, engine) ? IMAGES[engine] : undefined;
  const image = versions && Object.hasOwn(versions, version) ? versions[version] : undefined;
  if (!image) throw new ImageNotPinnedError(engine, version);
  return image;
}

/** The versions of `engine` the catalog pins, in catalog order. */
export function pinnedVersions(engine: string): string[] {
  return Object.hasOwn(IMAGES, engine) ? Object.keys(IMAGES[engine] ?? {}) : [];
}
