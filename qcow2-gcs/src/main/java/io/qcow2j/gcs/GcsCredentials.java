package io.qcow2j.gcs;

import java.nio.file.Path;
import java.util.Objects;

/** How requests to Cloud Storage are authorised. No secret is held: files are read when the store is made. */
public sealed interface GcsCredentials {
    /** None: an emulator ({@code STORAGE_EMULATOR_HOST}), or public objects. */
    record None() implements GcsCredentials {
    }

    /**
     * A JSON credentials file: a service account's key, or an external account (workload identity
     * federation) configuration, as {@code GOOGLE_APPLICATION_CREDENTIALS} or the controller's
     * {@code /credentials/cloud} holds one.
     *
     * @param file   the file
     * @param origin what named it, for messages (e.g. {@code KUBEVIRT_DM_CREDENTIALS_FILE})
     */
    record KeyFile(Path file, String origin) implements GcsCredentials {
        public KeyFile {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(origin, "origin");
        }
    }

    /**
     * Application default credentials: {@code GOOGLE_APPLICATION_CREDENTIALS}, gcloud's, else the
     * metadata server (GKE workload identity, a Compute Engine service account).
     */
    record ApplicationDefault() implements GcsCredentials {
    }
}
