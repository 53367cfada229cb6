/**
 * Do not edit: `npm run gen:sdk` writes this file with openapi-typescript 7.13.0.
 * Generated from docs/openapi.json sha256:440b95b129f7827d5ffbbce96d7ce250b7a08467a5312ed84b02422a14b41960
 */

export interface paths {
    "/v1/clusters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List clusters (cursor pagination, filters)
         * @description Requires the viewer role (or higher).
         */
        get: operations["getV1Clusters"];
        put?: never;
        /**
         * Create a cluster
         * @description Requires the editor role (or higher).
         */
        post: operations["postV1Clusters"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clusters/{clusterId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read a cluster
         * @description Requires the viewer role (or higher).
         */
        get: operations["getV1ClustersClusterId"];
        put?: never;
        post?: never;
        /**
         * Delete a cluster
         * @description Requires the editor role (or higher).
         */
        delete: operations["deleteV1ClustersClusterId"];
        options?: never;
        head?: never;
        /**
         * Scale, resize, upgrade, change settings, deletion protection or the backup schedule
         * @description Requires the editor role (or higher).
         */
        patch: operations["patchV1ClustersClusterId"];
        trace?: never;
    };
    "/v1/clusters/{clusterId}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Pause a cluster: its pods stop, its volumes, backups and credentials stay
         * @description Requires the editor role (or higher).
         */
        post: operations["postV1ClustersClusterIdPause"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clusters/{clusterId}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resume a paused cluster on the volumes it kept
         * @description Requires the editor role (or higher).
         */
        post: operations["postV1ClustersClusterIdResume"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clusters/{clusterId}/operations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A cluster's operations, newest first
         * @description Requires the viewer role (or higher).
         */
        get: operations["getV1ClustersClusterIdOperations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clusters/{clusterId}/backups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A cluster's backups, newest first (also after the cluster is deleted)
         * @description Requires the viewer role (or higher).
         */
        get: operations["getV1ClustersClusterIdBackups"];
        put?: never;
        /**
         * Back up a cluster now
         * @description Requires the editor role (or higher).
         */
        post: operations["postV1ClustersClusterIdBackups"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/backups/{backupId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read a backup
         * @description Requires the viewer role (or higher).
         */
        get: operations["getV1BackupsBackupId"];
        put?: never;
        post?: never;
        /**
         * Delete a backup: its objects are removed by the pipeline within a minute
         * @description Requires the editor role (or higher).
         */
        delete: operations["deleteV1BackupsBackupId"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clusters/{clusterId}/connection": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Endpoint, port and credential reference
         * @description Requires the viewer role (or higher).
         */
        get: operations["getV1ClustersClusterIdConnection"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clusters/{clusterId}/connection/reveal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reveal the credential value (admin, audited)
         * @description Requires the admin role (or higher).
         */
        post: operations["postV1ClustersClusterIdConnectionReveal"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/operations/{operationId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read an operation
         * @description Requires the viewer role (or higher).
         */
        get: operations["getV1OperationsOperationId"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/operations/{operationId}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel an operation that has not started applying
         * @description Requires the editor role (or higher).
         */
        post: operations["postV1OperationsOperationIdCancel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/api-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The tenant's API keys (never their secrets)
         * @description Requires the admin role (or higher).
         */
        get: operations["getV1ApiKeys"];
        put?: never;
        /**
         * Create an API key (the secret is shown once)
         * @description Requires the admin role (or higher).
         */
        post: operations["postV1ApiKeys"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/api-keys/{keyId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke an API key (effective on the next request)
         * @description Requires the admin role (or higher).
         */
        delete: operations["deleteV1ApiKeysKeyId"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * This API, as an OpenAPI 3.1 document
         * @description No authentication.
         */
        get: operations["getV1OpenapiJson"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Problem: {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: "VALIDATION_FAILED" | "MALFORMED_JSON" | "INVALID_REGION" | "UNSUPPORTED_ENGINE" | "UNSUPPORTED_VERSION" | "INVALID_QUERY" | "INVALID_PAGE_TOKEN" | "INVALID_HEADER" | "NO_CHANGES" | "STORAGE_SHRINK_NOT_ALLOWED" | "UPGRADE_NOT_ALLOWED" | "SETTING_IMMUTABLE" | "PAUSE_NOT_SUPPORTED" | "UNAUTHENTICATED" | "API_KEY_EXPIRED" | "FORBIDDEN_ROLE" | "QUOTA_EXCEEDED" | "API_KEY_NOT_FOUND" | "CLUSTER_NOT_FOUND" | "OPERATION_NOT_FOUND" | "BACKUP_NOT_FOUND" | "ROUTE_NOT_FOUND" | "METHOD_NOT_ALLOWED" | "CLUSTER_NAME_TAKEN" | "CLUSTER_BUSY" | "CLUSTER_NOT_READY" | "DELETION_PROTECTED" | "CLUSTER_PAUSED" | "CLUSTER_NOT_PAUSED" | "BACKUP_IN_PROGRESS" | "BACKUP_LOCKED" | "BACKUP_NOT_RESTORABLE" | "BACKUPS_NOT_CONFIGURED" | "ENDPOINTS_NOT_CONFIGURED" | "OPERATION_NOT_CANCELLABLE" | "CONCURRENT_MODIFICATION" | "PAYLOAD_TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE" | "WRONG_REGION" | "IDEMPOTENCY_KEY_REUSED" | "RATE_LIMITED" | "KUBERNETES_UNAVAILABLE" | "TEMPORARILY_UNAVAILABLE" | "INTERNAL";
            detail?: string;
            instance?: string;
            errors?: {
                path: string;
                message: string;
            }[];
            operationId?: string;
            regions?: string[];
            engines?: string[];
            versions?: string[];
            region?: string;
            apiUrl?: string;
            name?: string;
            engine?: string;
        } & {
            [key: string]: unknown;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getV1Clusters: {
        parameters: {
            query?: {
                limit?: number;
                nextToken?: string;
                region?: string;
                engine?: string;
                status?: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
            };
            header?: {
                "X-Correlation-Id"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of clusters, oldest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            id: string;
                            name: string;
                            engine: string;
                            version: string;
                            region: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            deletionProtection: boolean;
                            /** @enum {string} */
                            status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                            statusReason?: string;
                            generation: number;
                            observedGeneration: number;
                            activeOperationId?: string;
                            paused?: boolean;
                            endpoint?: string;
                            endpointSettings?: {
                                public: boolean;
                                allowedCidrs: string[];
                                tokenCheck?: boolean;
                            };
                            backup?: {
                                schedule: string;
                                retentionDays: number;
                                /** Format: date-time */
                                nextBackupAt: string;
                                restoreTest?: boolean;
                            };
                            restoreTestOf?: string;
                            restoredFrom?: {
                                backupId: string;
                                /** Format: date-time */
                                pointInTime?: string;
                                copiedFrom?: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                        }[];
                        nextToken?: string;
                    };
                };
            };
            /** @description INVALID_QUERY, INVALID_PAGE_TOKEN */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    postV1Clusters: {
        parameters: {
            query?: {
                dryRun?: "true" | "false";
            };
            header?: {
                "Idempotency-Key"?: string;
                "X-Correlation-Id"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                    /** @description The engine: one of dragonfly, mongodb, postgresql, qdrant, scylladb, valkey, yugabytedb (docs/engines.md). */
                    engine: string;
                    region: string;
                    version?: string;
                    /** @default 1 */
                    nodes?: number;
                    /**
                     * @default small
                     * @enum {string}
                     */
                    size?: "small" | "medium" | "large";
                    /** @default {} */
                    settings?: {
                        [key: string]: unknown;
                    };
                    /** @default false */
                    deletionProtection?: boolean;
                    /** @description The cluster's external endpoint: public (default false), the client CIDRs allowed (required when public; at most 32), and for HTTP engines the gateway's API key check (tokenCheck, default true). docs/endpoints.md. */
                    endpoint?: {
                        public?: boolean;
                        allowedCidrs?: (string)[];
                        tokenCheck?: boolean;
                    };
                    backup?: {
                        schedule: string;
                        retentionDays: number;
                        restoreTest?: boolean;
                    };
                    restoreFrom?: {
                        backupId: string;
                        /** Format: date-time */
                        pointInTime?: string;
                    };
                };
            };
        };
        responses: {
            /** @description dryRun=true: what would happen, nothing written */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        dryRun: true;
                        /** @enum {string} */
                        outcome: "CREATE" | "UPDATE" | "DELETE" | "METADATA_UPDATE" | "CANCEL" | "BACKUP" | "DELETE_BACKUP" | "PAUSE" | "RESUME";
                        cluster?: {
                            id: string;
                            name: string;
                            engine: string;
                            version: string;
                            region: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            deletionProtection: boolean;
                            /** @enum {string} */
                            status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                            statusReason?: string;
                            generation: number;
                            observedGeneration: number;
                            activeOperationId?: string;
                            paused?: boolean;
                            endpoint?: string;
                            endpointSettings?: {
                                public: boolean;
                                allowedCidrs: string[];
                                tokenCheck?: boolean;
                            };
                            backup?: {
                                schedule: string;
                                retentionDays: number;
                                /** Format: date-time */
                                nextBackupAt: string;
                                restoreTest?: boolean;
                            };
                            restoreTestOf?: string;
                            restoredFrom?: {
                                backupId: string;
                                /** Format: date-time */
                                pointInTime?: string;
                                copiedFrom?: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                        };
                        backup?: {
                            id: string;
                            clusterId: string;
                            region: string;
                            engine: string;
                            version: string;
                            /** @enum {string} */
                            status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "DELETING" | "DELETED";
                            sizeBytes?: number;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            endedAt?: string;
                            /** @description Where the backup is stored: the region's backup bucket and a key prefix. Never credentials. */
                            storage: {
                                bucket: string;
                                prefix: string;
                            };
                            source: {
                                name: string;
                                engine: string;
                                version: string;
                                nodes: number;
                                /** @enum {string} */
                                size: "small" | "medium" | "large";
                                settings: {
                                    [key: string]: unknown;
                                };
                                generation: number;
                            };
                            operationId: string;
                            scheduled?: boolean;
                            /** Format: date-time */
                            expiresAt?: string;
                            /** Format: date-time */
                            lockedUntil?: string;
                            error?: {
                                code: string;
                                message: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            deletedAt?: string;
                        };
                    };
                };
            };
            /** @description Creation accepted; poll the operation */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        cluster: {
                            id: string;
                            name: string;
                            engine: string;
                            version: string;
                            region: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            deletionProtection: boolean;
                            /** @enum {string} */
                            status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                            statusReason?: string;
                            generation: number;
                            observedGeneration: number;
                            activeOperationId?: string;
                            paused?: boolean;
                            endpoint?: string;
                            endpointSettings?: {
                                public: boolean;
                                allowedCidrs: string[];
                                tokenCheck?: boolean;
                            };
                            backup?: {
                                schedule: string;
                                retentionDays: number;
                                /** Format: date-time */
                                nextBackupAt: string;
                                restoreTest?: boolean;
                            };
                            restoreTestOf?: string;
                            restoredFrom?: {
                                backupId: string;
                                /** Format: date-time */
                                pointInTime?: string;
                                copiedFrom?: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                        };
                        operation: {
                            id: string;
                            /** @enum {string} */
                            type: "CREATE" | "UPDATE" | "DELETE" | "BACKUP" | "PAUSE" | "RESUME";
                            /** @enum {string} */
                            status: "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
                            clusterId: string;
                            region: string;
                            correlationId: string;
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            finishedAt?: string;
                            /** Format: date-time */
                            deadline: string;
                            /** @description Why the operation failed: a stable code and a message written for the tenant. Never raw Kubernetes or AWS text: the details are in Stratus's logs under the operation's correlationId. */
                            error?: {
                                code: string;
                                message: string;
                            };
                        };
                    };
                };
            };
            /** @description INVALID_QUERY, VALIDATION_FAILED, MALFORMED_JSON, INVALID_HEADER, INVALID_REGION, UNSUPPORTED_ENGINE, UNSUPPORTED_VERSION */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE, QUOTA_EXCEEDED */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description BACKUP_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CONCURRENT_MODIFICATION, CLUSTER_NAME_TAKEN, BACKUP_NOT_RESTORABLE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description WRONG_REGION */
            421: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description IDEMPOTENCY_KEY_REUSED */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getV1ClustersClusterId: {
        parameters: {
            query?: never;
            header?: {
                "X-Correlation-Id"?: string;
            };
            path: {
                clusterId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The cluster */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        name: string;
                        engine: string;
                        version: string;
                        region: string;
                        nodes: number;
                        /** @enum {string} */
                        size: "small" | "medium" | "large";
                        settings: {
                            [key: string]: unknown;
                        };
                        deletionProtection: boolean;
                        /** @enum {string} */
                        status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                        statusReason?: string;
                        generation: number;
                        observedGeneration: number;
                        activeOperationId?: string;
                        paused?: boolean;
                        endpoint?: string;
                        endpointSettings?: {
                            public: boolean;
                            allowedCidrs: string[];
                            tokenCheck?: boolean;
                        };
                        backup?: {
                            schedule: string;
                            retentionDays: number;
                            /** Format: date-time */
                            nextBackupAt: string;
                            restoreTest?: boolean;
                        };
                        restoreTestOf?: string;
                        restoredFrom?: {
                            backupId: string;
                            /** Format: date-time */
                            pointInTime?: string;
                            copiedFrom?: string;
                        };
                        /** Format: date-time */
                        createdAt: string;
                        /** Format: date-time */
                        updatedAt: string;
                    };
                };
            };
            /** @description INVALID_QUERY */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CLUSTER_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteV1ClustersClusterId: {
        parameters: {
            query?: {
                dryRun?: "true" | "false";
            };
            header?: {
                "Idempotency-Key"?: string;
                "X-Correlation-Id"?: string;
            };
            path: {
                clusterId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description dryRun=true: what would happen, nothing written */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        dryRun: true;
                        /** @enum {string} */
                        outcome: "CREATE" | "UPDATE" | "DELETE" | "METADATA_UPDATE" | "CANCEL" | "BACKUP" | "DELETE_BACKUP" | "PAUSE" | "RESUME";
                        cluster?: {
                            id: string;
                            name: string;
                            engine: string;
                            version: string;
                            region: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            deletionProtection: boolean;
                            /** @enum {string} */
                            status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                            statusReason?: string;
                            generation: number;
                            observedGeneration: number;
                            activeOperationId?: string;
                            paused?: boolean;
                            endpoint?: string;
                            endpointSettings?: {
                                public: boolean;
                                allowedCidrs: string[];
                                tokenCheck?: boolean;
                            };
                            backup?: {
                                schedule: string;
                                retentionDays: number;
                                /** Format: date-time */
                                nextBackupAt: string;
                                restoreTest?: boolean;
                            };
                            restoreTestOf?: string;
                            restoredFrom?: {
                                backupId: string;
                                /** Format: date-time */
                                pointInTime?: string;
                                copiedFrom?: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                        };
                        backup?: {
                            id: string;
                            clusterId: string;
                            region: string;
                            engine: string;
                            version: string;
                            /** @enum {string} */
                            status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "DELETING" | "DELETED";
                            sizeBytes?: number;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            endedAt?: string;
                            /** @description Where the backup is stored: the region's backup bucket and a key prefix. Never credentials. */
                            storage: {
                                bucket: string;
                                prefix: string;
                            };
                            source: {
                                name: string;
                                engine: string;
                                version: string;
                                nodes: number;
                                /** @enum {string} */
                                size: "small" | "medium" | "large";
                                settings: {
                                    [key: string]: unknown;
                                };
                                generation: number;
                            };
                            operationId: string;
                            scheduled?: boolean;
                            /** Format: date-time */
                            expiresAt?: string;
                            /** Format: date-time */
                            lockedUntil?: string;
                            error?: {
                                code: string;
                                message: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            deletedAt?: string;
                        };
                    };
                };
            };
            /** @description Deletion accepted; poll the operation */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        cluster: {
                            id: string;
                            name: string;
                            engine: string;
                            version: string;
                            region: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            deletionProtection: boolean;
                            /** @enum {string} */
                            status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                            statusReason?: string;
                            generation: number;
                            observedGeneration: number;
                            activeOperationId?: string;
                            paused?: boolean;
                            endpoint?: string;
                            endpointSettings?: {
                                public: boolean;
                                allowedCidrs: string[];
                                tokenCheck?: boolean;
                            };
                            backup?: {
                                schedule: string;
                                retentionDays: number;
                                /** Format: date-time */
                                nextBackupAt: string;
                                restoreTest?: boolean;
                            };
                            restoreTestOf?: string;
                            restoredFrom?: {
                                backupId: string;
                                /** Format: date-time */
                                pointInTime?: string;
                                copiedFrom?: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                        };
                        operation: {
                            id: string;
                            /** @enum {string} */
                            type: "CREATE" | "UPDATE" | "DELETE" | "BACKUP" | "PAUSE" | "RESUME";
                            /** @enum {string} */
                            status: "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
                            clusterId: string;
                            region: string;
                            correlationId: string;
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            finishedAt?: string;
                            /** Format: date-time */
                            deadline: string;
                            /** @description Why the operation failed: a stable code and a message written for the tenant. Never raw Kubernetes or AWS text: the details are in Stratus's logs under the operation's correlationId. */
                            error?: {
                                code: string;
                                message: string;
                            };
                        };
                    };
                };
            };
            /** @description INVALID_QUERY, INVALID_HEADER */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CLUSTER_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CONCURRENT_MODIFICATION, CLUSTER_BUSY, CLUSTER_NOT_READY, DELETION_PROTECTED */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description WRONG_REGION */
            421: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description IDEMPOTENCY_KEY_REUSED */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    patchV1ClustersClusterId: {
        parameters: {
            query?: {
                dryRun?: "true" | "false";
            };
            header?: {
                "Idempotency-Key"?: string;
                "X-Correlation-Id"?: string;
            };
            path: {
                clusterId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    nodes?: number;
                    /** @enum {string} */
                    size?: "small" | "medium" | "large";
                    version?: string;
                    settings?: {
                        [key: string]: unknown;
                    };
                    deletionProtection?: boolean;
                    backup?: {
                        schedule: string;
                        retentionDays: number;
                        restoreTest?: boolean;
                    } | null;
                    /** @description The cluster's external endpoint: public (default false), the client CIDRs allowed (required when public; at most 32), and for HTTP engines the gateway's API key check (tokenCheck, default true). docs/endpoints.md. */
                    endpoint?: {
                        public?: boolean;
                        allowedCidrs?: (string)[];
                        tokenCheck?: boolean;
                    };
                };
            };
        };
        responses: {
            /** @description Deletion protection or the backup schedule changed (no operation), or a dry run */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        name: string;
                        engine: string;
                        version: string;
                        region: string;
                        nodes: number;
                        /** @enum {string} */
                        size: "small" | "medium" | "large";
                        settings: {
                            [key: string]: unknown;
                        };
                        deletionProtection: boolean;
                        /** @enum {string} */
                        status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                        statusReason?: string;
                        generation: number;
                        observedGeneration: number;
                        activeOperationId?: string;
                        paused?: boolean;
                        endpoint?: string;
                        endpointSettings?: {
                            public: boolean;
                            allowedCidrs: string[];
                            tokenCheck?: boolean;
                        };
                        backup?: {
                            schedule: string;
                            retentionDays: number;
                            /** Format: date-time */
                            nextBackupAt: string;
                            restoreTest?: boolean;
                        };
                        restoreTestOf?: string;
                        restoredFrom?: {
                            backupId: string;
                            /** Format: date-time */
                            pointInTime?: string;
                            copiedFrom?: string;
                        };
                        /** Format: date-time */
                        createdAt: string;
                        /** Format: date-time */
                        updatedAt: string;
                    } | {
                        /** @constant */
                        dryRun: true;
                        /** @enum {string} */
                        outcome: "CREATE" | "UPDATE" | "DELETE" | "METADATA_UPDATE" | "CANCEL" | "BACKUP" | "DELETE_BACKUP" | "PAUSE" | "RESUME";
                        cluster?: {
                            id: string;
                            name: string;
                            engine: string;
                            version: string;
                            region: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            deletionProtection: boolean;
                            /** @enum {string} */
                            status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                            statusReason?: string;
                            generation: number;
                            observedGeneration: number;
                            activeOperationId?: string;
                            paused?: boolean;
                            endpoint?: string;
                            endpointSettings?: {
                                public: boolean;
                                allowedCidrs: string[];
                                tokenCheck?: boolean;
                            };
                            backup?: {
                                schedule: string;
                                retentionDays: number;
                                /** Format: date-time */
                                nextBackupAt: string;
                                restoreTest?: boolean;
                            };
                            restoreTestOf?: string;
                            restoredFrom?: {
                                backupId: string;
                                /** Format: date-time */
                                pointInTime?: string;
                                copiedFrom?: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                        };
                        backup?: {
                            id: string;
                            clusterId: string;
                            region: string;
                            engine: string;
                            version: string;
                            /** @enum {string} */
                            status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "DELETING" | "DELETED";
                            sizeBytes?: number;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            endedAt?: string;
                            /** @description Where the backup is stored: the region's backup bucket and a key prefix. Never credentials. */
                            storage: {
                                bucket: string;
                                prefix: string;
                            };
                            source: {
                                name: string;
                                engine: string;
                                version: string;
                                nodes: number;
                                /** @enum {string} */
                                size: "small" | "medium" | "large";
                                settings: {
                                    [key: string]: unknown;
                                };
                                generation: number;
                            };
                            operationId: string;
                            scheduled?: boolean;
                            /** Format: date-time */
                            expiresAt?: string;
                            /** Format: date-time */
                            lockedUntil?: string;
                            error?: {
                                code: string;
                                message: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            deletedAt?: string;
                        };
                    };
                };
            };
            /** @description Update accepted; poll the operation */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        cluster: {
                            id: string;
                            name: string;
                            engine: string;
                            version: string;
                            region: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            deletionProtection: boolean;
                            /** @enum {string} */
                            status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                            statusReason?: string;
                            generation: number;
                            observedGeneration: number;
                            activeOperationId?: string;
                            paused?: boolean;
                            endpoint?: string;
                            endpointSettings?: {
                                public: boolean;
                                allowedCidrs: string[];
                                tokenCheck?: boolean;
                            };
                            backup?: {
                                schedule: string;
                                retentionDays: number;
                                /** Format: date-time */
                                nextBackupAt: string;
                                restoreTest?: boolean;
                            };
                            restoreTestOf?: string;
                            restoredFrom?: {
                                backupId: string;
                                /** Format: date-time */
                                pointInTime?: string;
                                copiedFrom?: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                        };
                        operation: {
                            id: string;
                            /** @enum {string} */
                            type: "CREATE" | "UPDATE" | "DELETE" | "BACKUP" | "PAUSE" | "RESUME";
                            /** @enum {string} */
                            status: "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
                            clusterId: string;
                            region: string;
                            correlationId: string;
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            finishedAt?: string;
                            /** Format: date-time */
                            deadline: string;
                            /** @description Why the operation failed: a stable code and a message written for the tenant. Never raw Kubernetes or AWS text: the details are in Stratus's logs under the operation's correlationId. */
                            error?: {
                                code: string;
                                message: string;
                            };
                        };
                    };
                };
            };
            /** @description INVALID_QUERY, VALIDATION_FAILED, MALFORMED_JSON, INVALID_HEADER, NO_CHANGES, STORAGE_SHRINK_NOT_ALLOWED, UPGRADE_NOT_ALLOWED, SETTING_IMMUTABLE, UNSUPPORTED_VERSION, UNSUPPORTED_ENGINE */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE, QUOTA_EXCEEDED */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CLUSTER_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CONCURRENT_MODIFICATION, CLUSTER_BUSY, CLUSTER_NOT_READY, CLUSTER_PAUSED */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description WRONG_REGION */
            421: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description IDEMPOTENCY_KEY_REUSED */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    postV1ClustersClusterIdPause: {
        parameters: {
            query?: {
                dryRun?: "true" | "false";
            };
            header?: {
                "Idempotency-Key"?: string;
                "X-Correlation-Id"?: string;
            };
            path: {
                clusterId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description dryRun=true: what would happen, nothing written */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        dryRun: true;
                        /** @enum {string} */
                        outcome: "CREATE" | "UPDATE" | "DELETE" | "METADATA_UPDATE" | "CANCEL" | "BACKUP" | "DELETE_BACKUP" | "PAUSE" | "RESUME";
                        cluster?: {
                            id: string;
                            name: string;
                            engine: string;
                            version: string;
                            region: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            deletionProtection: boolean;
                            /** @enum {string} */
                            status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                            statusReason?: string;
                            generation: number;
                            observedGeneration: number;
                            activeOperationId?: string;
                            paused?: boolean;
                            endpoint?: string;
                            endpointSettings?: {
                                public: boolean;
                                allowedCidrs: string[];
                                tokenCheck?: boolean;
                            };
                            backup?: {
                                schedule: string;
                                retentionDays: number;
                                /** Format: date-time */
                                nextBackupAt: string;
                                restoreTest?: boolean;
                            };
                            restoreTestOf?: string;
                            restoredFrom?: {
                                backupId: string;
                                /** Format: date-time */
                                pointInTime?: string;
                                copiedFrom?: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                        };
                        backup?: {
                            id: string;
                            clusterId: string;
                            region: string;
                            engine: string;
                            version: string;
                            /** @enum {string} */
                            status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "DELETING" | "DELETED";
                            sizeBytes?: number;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            endedAt?: string;
                            /** @description Where the backup is stored: the region's backup bucket and a key prefix. Never credentials. */
                            storage: {
                                bucket: string;
                                prefix: string;
                            };
                            source: {
                                name: string;
                                engine: string;
                                version: string;
                                nodes: number;
                                /** @enum {string} */
                                size: "small" | "medium" | "large";
                                settings: {
                                    [key: string]: unknown;
                                };
                                generation: number;
                            };
                            operationId: string;
                            scheduled?: boolean;
                            /** Format: date-time */
                            expiresAt?: string;
                            /** Format: date-time */
                            lockedUntil?: string;
                            error?: {
                                code: string;
                                message: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            deletedAt?: string;
                        };
                    };
                };
            };
            /** @description Pause accepted; poll the operation */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        cluster: {
                            id: string;
                            name: string;
                            engine: string;
                            version: string;
                            region: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            deletionProtection: boolean;
                            /** @enum {string} */
                            status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                            statusReason?: string;
                            generation: number;
                            observedGeneration: number;
                            activeOperationId?: string;
                            paused?: boolean;
                            endpoint?: string;
                            endpointSettings?: {
                                public: boolean;
                                allowedCidrs: string[];
                                tokenCheck?: boolean;
                            };
                            backup?: {
                                schedule: string;
                                retentionDays: number;
                                /** Format: date-time */
                                nextBackupAt: string;
                                restoreTest?: boolean;
                            };
                            restoreTestOf?: string;
                            restoredFrom?: {
                                backupId: string;
                                /** Format: date-time */
                                pointInTime?: string;
                                copiedFrom?: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                        };
                        operation: {
                            id: string;
                            /** @enum {string} */
                            type: "CREATE" | "UPDATE" | "DELETE" | "BACKUP" | "PAUSE" | "RESUME";
                            /** @enum {string} */
                            status: "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
                            clusterId: string;
                            region: string;
                            correlationId: string;
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            finishedAt?: string;
                            /** Format: date-time */
                            deadline: string;
                            /** @description Why the operation failed: a stable code and a message written for the tenant. Never raw Kubernetes or AWS text: the details are in Stratus's logs under the operation's correlationId. */
                            error?: {
                                code: string;
                                message: string;
                            };
                        };
                    };
                };
            };
            /** @description INVALID_QUERY, INVALID_HEADER, PAUSE_NOT_SUPPORTED, UNSUPPORTED_ENGINE */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CLUSTER_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CONCURRENT_MODIFICATION, CLUSTER_BUSY, CLUSTER_PAUSED, CLUSTER_NOT_READY */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description WRONG_REGION */
            421: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description IDEMPOTENCY_KEY_REUSED */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    postV1ClustersClusterIdResume: {
        parameters: {
            query?: {
                dryRun?: "true" | "false";
            };
            header?: {
                "Idempotency-Key"?: string;
                "X-Correlation-Id"?: string;
            };
            path: {
                clusterId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description dryRun=true: what would happen, nothing written */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        dryRun: true;
                        /** @enum {string} */
                        outcome: "CREATE" | "UPDATE" | "DELETE" | "METADATA_UPDATE" | "CANCEL" | "BACKUP" | "DELETE_BACKUP" | "PAUSE" | "RESUME";
                        cluster?: {
                            id: string;
                            name: string;
                            engine: string;
                            version: string;
                            region: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            deletionProtection: boolean;
                            /** @enum {string} */
                            status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                            statusReason?: string;
                            generation: number;
                            observedGeneration: number;
                            activeOperationId?: string;
                            paused?: boolean;
                            endpoint?: string;
                            endpointSettings?: {
                                public: boolean;
                                allowedCidrs: string[];
                                tokenCheck?: boolean;
                            };
                            backup?: {
                                schedule: string;
                                retentionDays: number;
                                /** Format: date-time */
                                nextBackupAt: string;
                                restoreTest?: boolean;
                            };
                            restoreTestOf?: string;
                            restoredFrom?: {
                                backupId: string;
                                /** Format: date-time */
                                pointInTime?: string;
                                copiedFrom?: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                        };
                        backup?: {
                            id: string;
                            clusterId: string;
                            region: string;
                            engine: string;
                            version: string;
                            /** @enum {string} */
                            status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "DELETING" | "DELETED";
                            sizeBytes?: number;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            endedAt?: string;
                            /** @description Where the backup is stored: the region's backup bucket and a key prefix. Never credentials. */
                            storage: {
                                bucket: string;
                                prefix: string;
                            };
                            source: {
                                name: string;
                                engine: string;
                                version: string;
                                nodes: number;
                                /** @enum {string} */
                                size: "small" | "medium" | "large";
                                settings: {
                                    [key: string]: unknown;
                                };
                                generation: number;
                            };
                            operationId: string;
                            scheduled?: boolean;
                            /** Format: date-time */
                            expiresAt?: string;
                            /** Format: date-time */
                            lockedUntil?: string;
                            error?: {
                                code: string;
                                message: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            deletedAt?: string;
                        };
                    };
                };
            };
            /** @description Resume accepted; poll the operation */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        cluster: {
                            id: string;
                            name: string;
                            engine: string;
                            version: string;
                            region: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            deletionProtection: boolean;
                            /** @enum {string} */
                            status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                            statusReason?: string;
                            generation: number;
                            observedGeneration: number;
                            activeOperationId?: string;
                            paused?: boolean;
                            endpoint?: string;
                            endpointSettings?: {
                                public: boolean;
                                allowedCidrs: string[];
                                tokenCheck?: boolean;
                            };
                            backup?: {
                                schedule: string;
                                retentionDays: number;
                                /** Format: date-time */
                                nextBackupAt: string;
                                restoreTest?: boolean;
                            };
                            restoreTestOf?: string;
                            restoredFrom?: {
                                backupId: string;
                                /** Format: date-time */
                                pointInTime?: string;
                                copiedFrom?: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                        };
                        operation: {
                            id: string;
                            /** @enum {string} */
                            type: "CREATE" | "UPDATE" | "DELETE" | "BACKUP" | "PAUSE" | "RESUME";
                            /** @enum {string} */
                            status: "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
                            clusterId: string;
                            region: string;
                            correlationId: string;
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            finishedAt?: string;
                            /** Format: date-time */
                            deadline: string;
                            /** @description Why the operation failed: a stable code and a message written for the tenant. Never raw Kubernetes or AWS text: the details are in Stratus's logs under the operation's correlationId. */
                            error?: {
                                code: string;
                                message: string;
                            };
                        };
                    };
                };
            };
            /** @description INVALID_QUERY, INVALID_HEADER, PAUSE_NOT_SUPPORTED, UNSUPPORTED_ENGINE */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CLUSTER_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CONCURRENT_MODIFICATION, CLUSTER_BUSY, CLUSTER_NOT_PAUSED, CLUSTER_NOT_READY */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description WRONG_REGION */
            421: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description IDEMPOTENCY_KEY_REUSED */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getV1ClustersClusterIdOperations: {
        parameters: {
            query?: {
                limit?: number;
                nextToken?: string;
            };
            header?: {
                "X-Correlation-Id"?: string;
            };
            path: {
                clusterId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of operations */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            id: string;
                            /** @enum {string} */
                            type: "CREATE" | "UPDATE" | "DELETE" | "BACKUP" | "PAUSE" | "RESUME";
                            /** @enum {string} */
                            status: "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
                            clusterId: string;
                            region: string;
                            correlationId: string;
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            finishedAt?: string;
                            /** Format: date-time */
                            deadline: string;
                            /** @description Why the operation failed: a stable code and a message written for the tenant. Never raw Kubernetes or AWS text: the details are in Stratus's logs under the operation's correlationId. */
                            error?: {
                                code: string;
                                message: string;
                            };
                        }[];
                        nextToken?: string;
                    };
                };
            };
            /** @description INVALID_QUERY, INVALID_PAGE_TOKEN */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CLUSTER_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getV1ClustersClusterIdBackups: {
        parameters: {
            query?: {
                limit?: number;
                nextToken?: string;
            };
            header?: {
                "X-Correlation-Id"?: string;
            };
            path: {
                clusterId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of backups */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            id: string;
                            clusterId: string;
                            region: string;
                            engine: string;
                            version: string;
                            /** @enum {string} */
                            status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "DELETING" | "DELETED";
                            sizeBytes?: number;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            endedAt?: string;
                            /** @description Where the backup is stored: the region's backup bucket and a key prefix. Never credentials. */
                            storage: {
                                bucket: string;
                                prefix: string;
                            };
                            source: {
                                name: string;
                                engine: string;
                                version: string;
                                nodes: number;
                                /** @enum {string} */
                                size: "small" | "medium" | "large";
                                settings: {
                                    [key: string]: unknown;
                                };
                                generation: number;
                            };
                            operationId: string;
                            scheduled?: boolean;
                            /** Format: date-time */
                            expiresAt?: string;
                            /** Format: date-time */
                            lockedUntil?: string;
                            error?: {
                                code: string;
                                message: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            deletedAt?: string;
                        }[];
                        nextToken?: string;
                    };
                };
            };
            /** @description INVALID_QUERY, INVALID_PAGE_TOKEN */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CLUSTER_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    postV1ClustersClusterIdBackups: {
        parameters: {
            query?: {
                dryRun?: "true" | "false";
            };
            header?: {
                "Idempotency-Key"?: string;
                "X-Correlation-Id"?: string;
            };
            path: {
                clusterId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description dryRun=true: what would happen, nothing written */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        dryRun: true;
                        /** @enum {string} */
                        outcome: "CREATE" | "UPDATE" | "DELETE" | "METADATA_UPDATE" | "CANCEL" | "BACKUP" | "DELETE_BACKUP" | "PAUSE" | "RESUME";
                        cluster?: {
                            id: string;
                            name: string;
                            engine: string;
                            version: string;
                            region: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            deletionProtection: boolean;
                            /** @enum {string} */
                            status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                            statusReason?: string;
                            generation: number;
                            observedGeneration: number;
                            activeOperationId?: string;
                            paused?: boolean;
                            endpoint?: string;
                            endpointSettings?: {
                                public: boolean;
                                allowedCidrs: string[];
                                tokenCheck?: boolean;
                            };
                            backup?: {
                                schedule: string;
                                retentionDays: number;
                                /** Format: date-time */
                                nextBackupAt: string;
                                restoreTest?: boolean;
                            };
                            restoreTestOf?: string;
                            restoredFrom?: {
                                backupId: string;
                                /** Format: date-time */
                                pointInTime?: string;
                                copiedFrom?: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                        };
                        backup?: {
                            id: string;
                            clusterId: string;
                            region: string;
                            engine: string;
                            version: string;
                            /** @enum {string} */
                            status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "DELETING" | "DELETED";
                            sizeBytes?: number;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            endedAt?: string;
                            /** @description Where the backup is stored: the region's backup bucket and a key prefix. Never credentials. */
                            storage: {
                                bucket: string;
                                prefix: string;
                            };
                            source: {
                                name: string;
                                engine: string;
                                version: string;
                                nodes: number;
                                /** @enum {string} */
                                size: "small" | "medium" | "large";
                                settings: {
                                    [key: string]: unknown;
                                };
                                generation: number;
                            };
                            operationId: string;
                            scheduled?: boolean;
                            /** Format: date-time */
                            expiresAt?: string;
                            /** Format: date-time */
                            lockedUntil?: string;
                            error?: {
                                code: string;
                                message: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            deletedAt?: string;
                        };
                    };
                };
            };
            /** @description Backup accepted; poll the operation */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        backup: {
                            id: string;
                            clusterId: string;
                            region: string;
                            engine: string;
                            version: string;
                            /** @enum {string} */
                            status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "DELETING" | "DELETED";
                            sizeBytes?: number;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            endedAt?: string;
                            /** @description Where the backup is stored: the region's backup bucket and a key prefix. Never credentials. */
                            storage: {
                                bucket: string;
                                prefix: string;
                            };
                            source: {
                                name: string;
                                engine: string;
                                version: string;
                                nodes: number;
                                /** @enum {string} */
                                size: "small" | "medium" | "large";
                                settings: {
                                    [key: string]: unknown;
                                };
                                generation: number;
                            };
                            operationId: string;
                            scheduled?: boolean;
                            /** Format: date-time */
                            expiresAt?: string;
                            /** Format: date-time */
                            lockedUntil?: string;
                            error?: {
                                code: string;
                                message: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            deletedAt?: string;
                        };
                        operation: {
                            id: string;
                            /** @enum {string} */
                            type: "CREATE" | "UPDATE" | "DELETE" | "BACKUP" | "PAUSE" | "RESUME";
                            /** @enum {string} */
                            status: "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
                            clusterId: string;
                            region: string;
                            correlationId: string;
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            finishedAt?: string;
                            /** Format: date-time */
                            deadline: string;
                            /** @description Why the operation failed: a stable code and a message written for the tenant. Never raw Kubernetes or AWS text: the details are in Stratus's logs under the operation's correlationId. */
                            error?: {
                                code: string;
                                message: string;
                            };
                        };
                    };
                };
            };
            /** @description INVALID_QUERY, INVALID_HEADER, UNSUPPORTED_ENGINE */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CLUSTER_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CONCURRENT_MODIFICATION, CLUSTER_BUSY, CLUSTER_NOT_READY, CLUSTER_PAUSED, BACKUPS_NOT_CONFIGURED */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description WRONG_REGION */
            421: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description IDEMPOTENCY_KEY_REUSED */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getV1BackupsBackupId: {
        parameters: {
            query?: never;
            header?: {
                "X-Correlation-Id"?: string;
            };
            path: {
                backupId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The backup */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        clusterId: string;
                        region: string;
                        engine: string;
                        version: string;
                        /** @enum {string} */
                        status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "DELETING" | "DELETED";
                        sizeBytes?: number;
                        /** Format: date-time */
                        startedAt?: string;
                        /** Format: date-time */
                        endedAt?: string;
                        /** @description Where the backup is stored: the region's backup bucket and a key prefix. Never credentials. */
                        storage: {
                            bucket: string;
                            prefix: string;
                        };
                        source: {
                            name: string;
                            engine: string;
                            version: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            generation: number;
                        };
                        operationId: string;
                        scheduled?: boolean;
                        /** Format: date-time */
                        expiresAt?: string;
                        /** Format: date-time */
                        lockedUntil?: string;
                        error?: {
                            code: string;
                            message: string;
                        };
                        /** Format: date-time */
                        createdAt: string;
                        /** Format: date-time */
                        updatedAt: string;
                        /** Format: date-time */
                        deletedAt?: string;
                    };
                };
            };
            /** @description INVALID_QUERY */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description BACKUP_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteV1BackupsBackupId: {
        parameters: {
            query?: {
                dryRun?: "true" | "false";
            };
            header?: {
                "Idempotency-Key"?: string;
                "X-Correlation-Id"?: string;
            };
            path: {
                backupId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description dryRun=true: what would happen, nothing written */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        dryRun: true;
                        /** @enum {string} */
                        outcome: "CREATE" | "UPDATE" | "DELETE" | "METADATA_UPDATE" | "CANCEL" | "BACKUP" | "DELETE_BACKUP" | "PAUSE" | "RESUME";
                        cluster?: {
                            id: string;
                            name: string;
                            engine: string;
                            version: string;
                            region: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            deletionProtection: boolean;
                            /** @enum {string} */
                            status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                            statusReason?: string;
                            generation: number;
                            observedGeneration: number;
                            activeOperationId?: string;
                            paused?: boolean;
                            endpoint?: string;
                            endpointSettings?: {
                                public: boolean;
                                allowedCidrs: string[];
                                tokenCheck?: boolean;
                            };
                            backup?: {
                                schedule: string;
                                retentionDays: number;
                                /** Format: date-time */
                                nextBackupAt: string;
                                restoreTest?: boolean;
                            };
                            restoreTestOf?: string;
                            restoredFrom?: {
                                backupId: string;
                                /** Format: date-time */
                                pointInTime?: string;
                                copiedFrom?: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                        };
                        backup?: {
                            id: string;
                            clusterId: string;
                            region: string;
                            engine: string;
                            version: string;
                            /** @enum {string} */
                            status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "DELETING" | "DELETED";
                            sizeBytes?: number;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            endedAt?: string;
                            /** @description Where the backup is stored: the region's backup bucket and a key prefix. Never credentials. */
                            storage: {
                                bucket: string;
                                prefix: string;
                            };
                            source: {
                                name: string;
                                engine: string;
                                version: string;
                                nodes: number;
                                /** @enum {string} */
                                size: "small" | "medium" | "large";
                                settings: {
                                    [key: string]: unknown;
                                };
                                generation: number;
                            };
                            operationId: string;
                            scheduled?: boolean;
                            /** Format: date-time */
                            expiresAt?: string;
                            /** Format: date-time */
                            lockedUntil?: string;
                            error?: {
                                code: string;
                                message: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            deletedAt?: string;
                        };
                    };
                };
            };
            /** @description The backup, DELETING (then DELETED once its objects are gone) */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        clusterId: string;
                        region: string;
                        engine: string;
                        version: string;
                        /** @enum {string} */
                        status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "DELETING" | "DELETED";
                        sizeBytes?: number;
                        /** Format: date-time */
                        startedAt?: string;
                        /** Format: date-time */
                        endedAt?: string;
                        /** @description Where the backup is stored: the region's backup bucket and a key prefix. Never credentials. */
                        storage: {
                            bucket: string;
                            prefix: string;
                        };
                        source: {
                            name: string;
                            engine: string;
                            version: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            generation: number;
                        };
                        operationId: string;
                        scheduled?: boolean;
                        /** Format: date-time */
                        expiresAt?: string;
                        /** Format: date-time */
                        lockedUntil?: string;
                        error?: {
                            code: string;
                            message: string;
                        };
                        /** Format: date-time */
                        createdAt: string;
                        /** Format: date-time */
                        updatedAt: string;
                        /** Format: date-time */
                        deletedAt?: string;
                    };
                };
            };
            /** @description INVALID_QUERY, INVALID_HEADER */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description BACKUP_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CONCURRENT_MODIFICATION, BACKUP_IN_PROGRESS, BACKUP_LOCKED */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description WRONG_REGION */
            421: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description IDEMPOTENCY_KEY_REUSED */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getV1ClustersClusterIdConnection: {
        parameters: {
            query?: never;
            header?: {
                "X-Correlation-Id"?: string;
            };
            path: {
                clusterId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Connection details (no secret value) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        clusterId: string;
                        endpoint: string;
                        host: string;
                        port: number;
                        grpcPort?: number;
                        tls?: {
                            required: boolean;
                            serverName: string;
                            caBundle?: string;
                        };
                        credential?: {
                            secretName: string;
                            key: string;
                        };
                        /** @description The cluster's public endpoint through the region's gateway, when `endpoint.public` is on and it is READY (docs/endpoints.md). */
                        external?: {
                            endpoint: string;
                            host: string;
                            port: number;
                            hosts?: string[];
                            grpc?: {
                                host: string;
                                port: number;
                            };
                            tls: {
                                /** @constant */
                                required: true;
                                serverName?: string;
                                caBundle?: string;
                            };
                        };
                    };
                };
            };
            /** @description INVALID_QUERY */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CLUSTER_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CLUSTER_NOT_READY, CLUSTER_PAUSED */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    postV1ClustersClusterIdConnectionReveal: {
        parameters: {
            query?: never;
            header?: {
                "X-Correlation-Id"?: string;
            };
            path: {
                clusterId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Connection details with the secret */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        clusterId: string;
                        endpoint: string;
                        host: string;
                        port: number;
                        grpcPort?: number;
                        tls?: {
                            required: boolean;
                            serverName: string;
                            caBundle?: string;
                        };
                        credential?: {
                            secretName: string;
                            key: string;
                        };
                        /** @description The cluster's public endpoint through the region's gateway, when `endpoint.public` is on and it is READY (docs/endpoints.md). */
                        external?: {
                            endpoint: string;
                            host: string;
                            port: number;
                            hosts?: string[];
                            grpc?: {
                                host: string;
                                port: number;
                            };
                            tls: {
                                /** @constant */
                                required: true;
                                serverName?: string;
                                caBundle?: string;
                            };
                        };
                        secret: string;
                    };
                };
            };
            /** @description INVALID_QUERY */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CLUSTER_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CLUSTER_NOT_READY, CLUSTER_PAUSED */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description WRONG_REGION */
            421: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE, KUBERNETES_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getV1OperationsOperationId: {
        parameters: {
            query?: never;
            header?: {
                "X-Correlation-Id"?: string;
            };
            path: {
                operationId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The operation */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        /** @enum {string} */
                        type: "CREATE" | "UPDATE" | "DELETE" | "BACKUP" | "PAUSE" | "RESUME";
                        /** @enum {string} */
                        status: "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
                        clusterId: string;
                        region: string;
                        correlationId: string;
                        /** Format: date-time */
                        createdAt: string;
                        /** Format: date-time */
                        updatedAt: string;
                        /** Format: date-time */
                        startedAt?: string;
                        /** Format: date-time */
                        finishedAt?: string;
                        /** Format: date-time */
                        deadline: string;
                        /** @description Why the operation failed: a stable code and a message written for the tenant. Never raw Kubernetes or AWS text: the details are in Stratus's logs under the operation's correlationId. */
                        error?: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description INVALID_QUERY */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description OPERATION_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    postV1OperationsOperationIdCancel: {
        parameters: {
            query?: {
                dryRun?: "true" | "false";
            };
            header?: {
                "Idempotency-Key"?: string;
                "X-Correlation-Id"?: string;
            };
            path: {
                operationId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The cancelled operation, or a dry run */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        /** @enum {string} */
                        type: "CREATE" | "UPDATE" | "DELETE" | "BACKUP" | "PAUSE" | "RESUME";
                        /** @enum {string} */
                        status: "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
                        clusterId: string;
                        region: string;
                        correlationId: string;
                        /** Format: date-time */
                        createdAt: string;
                        /** Format: date-time */
                        updatedAt: string;
                        /** Format: date-time */
                        startedAt?: string;
                        /** Format: date-time */
                        finishedAt?: string;
                        /** Format: date-time */
                        deadline: string;
                        /** @description Why the operation failed: a stable code and a message written for the tenant. Never raw Kubernetes or AWS text: the details are in Stratus's logs under the operation's correlationId. */
                        error?: {
                            code: string;
                            message: string;
                        };
                    } | {
                        /** @constant */
                        dryRun: true;
                        /** @enum {string} */
                        outcome: "CREATE" | "UPDATE" | "DELETE" | "METADATA_UPDATE" | "CANCEL" | "BACKUP" | "DELETE_BACKUP" | "PAUSE" | "RESUME";
                        cluster?: {
                            id: string;
                            name: string;
                            engine: string;
                            version: string;
                            region: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            deletionProtection: boolean;
                            /** @enum {string} */
                            status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                            statusReason?: string;
                            generation: number;
                            observedGeneration: number;
                            activeOperationId?: string;
                            paused?: boolean;
                            endpoint?: string;
                            endpointSettings?: {
                                public: boolean;
                                allowedCidrs: string[];
                                tokenCheck?: boolean;
                            };
                            backup?: {
                                schedule: string;
                                retentionDays: number;
                                /** Format: date-time */
                                nextBackupAt: string;
                                restoreTest?: boolean;
                            };
                            restoreTestOf?: string;
                            restoredFrom?: {
                                backupId: string;
                                /** Format: date-time */
                                pointInTime?: string;
                                copiedFrom?: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                        };
                        backup?: {
                            id: string;
                            clusterId: string;
                            region: string;
                            engine: string;
                            version: string;
                            /** @enum {string} */
                            status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "DELETING" | "DELETED";
                            sizeBytes?: number;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            endedAt?: string;
                            /** @description Where the backup is stored: the region's backup bucket and a key prefix. Never credentials. */
                            storage: {
                                bucket: string;
                                prefix: string;
                            };
                            source: {
                                name: string;
                                engine: string;
                                version: string;
                                nodes: number;
                                /** @enum {string} */
                                size: "small" | "medium" | "large";
                                settings: {
                                    [key: string]: unknown;
                                };
                                generation: number;
                            };
                            operationId: string;
                            scheduled?: boolean;
                            /** Format: date-time */
                            expiresAt?: string;
                            /** Format: date-time */
                            lockedUntil?: string;
                            error?: {
                                code: string;
                                message: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            deletedAt?: string;
                        };
                    };
                };
            };
            /** @description INVALID_QUERY, INVALID_HEADER */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description OPERATION_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CONCURRENT_MODIFICATION, OPERATION_NOT_CANCELLABLE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description WRONG_REGION */
            421: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description IDEMPOTENCY_KEY_REUSED */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getV1ApiKeys: {
        parameters: {
            query?: {
                limit?: number;
                nextToken?: string;
            };
            header?: {
                "X-Correlation-Id"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of keys */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            id: string;
                            name: string;
                            /** @enum {string} */
                            role: "admin" | "editor" | "viewer";
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            expiresAt?: string;
                            /** Format: date-time */
                            revokedAt?: string;
                            secret?: string;
                        }[];
                        nextToken?: string;
                    };
                };
            };
            /** @description INVALID_QUERY, INVALID_PAGE_TOKEN */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    postV1ApiKeys: {
        parameters: {
            query?: {
                dryRun?: "true" | "false";
            };
            header?: {
                "Idempotency-Key"?: string;
                "X-Correlation-Id"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                    /** @enum {string} */
                    role: "admin" | "editor" | "viewer";
                    /** Format: date-time */
                    expiresAt?: string;
                };
            };
        };
        responses: {
            /** @description dryRun=true: what would happen, nothing written */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        dryRun: true;
                        /** @enum {string} */
                        outcome: "CREATE" | "UPDATE" | "DELETE" | "METADATA_UPDATE" | "CANCEL" | "BACKUP" | "DELETE_BACKUP" | "PAUSE" | "RESUME";
                        cluster?: {
                            id: string;
                            name: string;
                            engine: string;
                            version: string;
                            region: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            deletionProtection: boolean;
                            /** @enum {string} */
                            status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                            statusReason?: string;
                            generation: number;
                            observedGeneration: number;
                            activeOperationId?: string;
                            paused?: boolean;
                            endpoint?: string;
                            endpointSettings?: {
                                public: boolean;
                                allowedCidrs: string[];
                                tokenCheck?: boolean;
                            };
                            backup?: {
                                schedule: string;
                                retentionDays: number;
                                /** Format: date-time */
                                nextBackupAt: string;
                                restoreTest?: boolean;
                            };
                            restoreTestOf?: string;
                            restoredFrom?: {
                                backupId: string;
                                /** Format: date-time */
                                pointInTime?: string;
                                copiedFrom?: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                        };
                        backup?: {
                            id: string;
                            clusterId: string;
                            region: string;
                            engine: string;
                            version: string;
                            /** @enum {string} */
                            status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "DELETING" | "DELETED";
                            sizeBytes?: number;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            endedAt?: string;
                            /** @description Where the backup is stored: the region's backup bucket and a key prefix. Never credentials. */
                            storage: {
                                bucket: string;
                                prefix: string;
                            };
                            source: {
                                name: string;
                                engine: string;
                                version: string;
                                nodes: number;
                                /** @enum {string} */
                                size: "small" | "medium" | "large";
                                settings: {
                                    [key: string]: unknown;
                                };
                                generation: number;
                            };
                            operationId: string;
                            scheduled?: boolean;
                            /** Format: date-time */
                            expiresAt?: string;
                            /** Format: date-time */
                            lockedUntil?: string;
                            error?: {
                                code: string;
                                message: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            deletedAt?: string;
                        };
                    };
                };
            };
            /** @description The key, with its secret (never shown again) */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        name: string;
                        /** @enum {string} */
                        role: "admin" | "editor" | "viewer";
                        /** Format: date-time */
                        createdAt: string;
                        /** Format: date-time */
                        expiresAt?: string;
                        /** Format: date-time */
                        revokedAt?: string;
                        secret?: string;
                    };
                };
            };
            /** @description INVALID_QUERY, VALIDATION_FAILED, MALFORMED_JSON, INVALID_HEADER */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CONCURRENT_MODIFICATION */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description WRONG_REGION */
            421: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description IDEMPOTENCY_KEY_REUSED */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteV1ApiKeysKeyId: {
        parameters: {
            query?: {
                dryRun?: "true" | "false";
            };
            header?: {
                "Idempotency-Key"?: string;
                "X-Correlation-Id"?: string;
            };
            path: {
                keyId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The revoked key, or a dry run */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        name: string;
                        /** @enum {string} */
                        role: "admin" | "editor" | "viewer";
                        /** Format: date-time */
                        createdAt: string;
                        /** Format: date-time */
                        expiresAt?: string;
                        /** Format: date-time */
                        revokedAt?: string;
                        secret?: string;
                    } | {
                        /** @constant */
                        dryRun: true;
                        /** @enum {string} */
                        outcome: "CREATE" | "UPDATE" | "DELETE" | "METADATA_UPDATE" | "CANCEL" | "BACKUP" | "DELETE_BACKUP" | "PAUSE" | "RESUME";
                        cluster?: {
                            id: string;
                            name: string;
                            engine: string;
                            version: string;
                            region: string;
                            nodes: number;
                            /** @enum {string} */
                            size: "small" | "medium" | "large";
                            settings: {
                                [key: string]: unknown;
                            };
                            deletionProtection: boolean;
                            /** @enum {string} */
                            status: "PENDING" | "PROVISIONING" | "READY" | "UPDATING" | "DELETING" | "DELETED" | "FAILED" | "PAUSING" | "PAUSED" | "RESUMING";
                            statusReason?: string;
                            generation: number;
                            observedGeneration: number;
                            activeOperationId?: string;
                            paused?: boolean;
                            endpoint?: string;
                            endpointSettings?: {
                                public: boolean;
                                allowedCidrs: string[];
                                tokenCheck?: boolean;
                            };
                            backup?: {
                                schedule: string;
                                retentionDays: number;
                                /** Format: date-time */
                                nextBackupAt: string;
                                restoreTest?: boolean;
                            };
                            restoreTestOf?: string;
                            restoredFrom?: {
                                backupId: string;
                                /** Format: date-time */
                                pointInTime?: string;
                                copiedFrom?: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                        };
                        backup?: {
                            id: string;
                            clusterId: string;
                            region: string;
                            engine: string;
                            version: string;
                            /** @enum {string} */
                            status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "DELETING" | "DELETED";
                            sizeBytes?: number;
                            /** Format: date-time */
                            startedAt?: string;
                            /** Format: date-time */
                            endedAt?: string;
                            /** @description Where the backup is stored: the region's backup bucket and a key prefix. Never credentials. */
                            storage: {
                                bucket: string;
                                prefix: string;
                            };
                            source: {
                                name: string;
                                engine: string;
                                version: string;
                                nodes: number;
                                /** @enum {string} */
                                size: "small" | "medium" | "large";
                                settings: {
                                    [key: string]: unknown;
                                };
                                generation: number;
                            };
                            operationId: string;
                            scheduled?: boolean;
                            /** Format: date-time */
                            expiresAt?: string;
                            /** Format: date-time */
                            lockedUntil?: string;
                            error?: {
                                code: string;
                                message: string;
                            };
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            updatedAt: string;
                            /** Format: date-time */
                            deletedAt?: string;
                        };
                    };
                };
            };
            /** @description INVALID_QUERY, INVALID_HEADER */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description UNAUTHENTICATED, API_KEY_EXPIRED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description FORBIDDEN_ROLE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description API_KEY_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description CONCURRENT_MODIFICATION */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description WRONG_REGION */
            421: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description IDEMPOTENCY_KEY_REUSED */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description With RATE_LIMITED: seconds until the tenant may send requests again (its rate-limit window ends). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description INTERNAL */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description TEMPORARILY_UNAVAILABLE */
            503: {
                headers: {
                    /** @description With TEMPORARILY_UNAVAILABLE: seconds to wait before retrying (a mutation with the same Idempotency-Key). */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getV1OpenapiJson: {
        parameters: {
            query?: never;
            header?: {
                "X-Correlation-Id"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OpenAPI 3.1 document */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        openapi: string;
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description INVALID_QUERY */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
