package io.qcow2j.azure;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How requests to Blob Storage are authorised. The secrets never appear in {@code toString()}.
 */
public sealed interface AzureCredentials {
    /**
     * The storage account's shared key (Velero's {@code AZURE_STORAGE_ACCOUNT_ACCESS_KEY}).
     *
     * @param account the storage account name
     * @param key     the base64 account key
     */
    record SharedKey(String account, String key) implements AzureCredentials {
        public SharedKey {
            Objects.requireNonNull(account, "account");
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "SharedKey[account=" + account + "]";
        }
    }

    /**
     * A storage connection string ({@code AccountName=…;AccountKey=…;BlobEndpoint=…} or a SAS); it
     * names the endpoint too.
     */
    record ConnectionString(String value) implements AzureCredentials {
        public ConnectionString {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public String toString() {
            return "ConnectionString[…]";
        }
    }

    /**
     * A Microsoft Entra ID service principal with a client secret (Velero's {@code AZURE_TENANT_ID},
     * {@code AZURE_CLIENT_ID}, {@code AZURE_CLIENT_SECRET}).
     *
     * @param authority the authority host, or null for the public cloud's
     */
    record ServicePrincipal(String tenantId, String clientId, String clientSecret, URI authority)
            implements AzureCredentials {
        public ServicePrincipal {
            Objects.requireNonNull(tenantId, "tenantId");
            Objects.requireNonNull(clientId, "clientId");
            Objects.requireNonNull(clientSecret, "clientSecret");
        }

        @Override
        public String toString() {
            return "ServicePrincipal[tenant=" + tenantId + ", client=" + clientId + "]";
        }
    }

    /**
     * Workload identity: a federated token file exchanged for an Entra ID token ({@code AZURE_TENANT_ID},
     * {@code AZURE_CLIENT_ID}, {@code AZURE_FEDERATED_TOKEN_FILE} in the pod's environment).
     *
     * @param authority the authority host, or null for the public cloud's
     */
    record WorkloadIdentity(String tenantId, String clientId, Path tokenFile, URI authority)
            implements AzureCredentials {
        public WorkloadIdentity {
            Objects.requireNonNull(tenantId, "tenantId");
            Objects.requireNonNull(clientId, "clientId");
            Objects.requireNonNull(tokenFile, "tokenFile");
        }
    }
}
