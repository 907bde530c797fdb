package io.qcow2j.cli;

import io.qcow2j.gcs.GcsCredentials;
import io.qcow2j.gcs.GcsSettings;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Google Cloud Storage settings from the environment, two ways: Google's usual variables (for
 * {@code restore gs://…} and {@code restore-vm --gcs-bucket}), and the kubevirt-datamover
 * controller's BSL variables with its credentials file (for {@code datamover-restore}). Every
 * problem is an {@link IllegalArgumentException} naming the variable.
 */
final class GcsEnvironment {
    static final String APPLICATION_CREDENTIALS = "GOOGLE_APPLICATION_CREDENTIALS";
    /** The emulator's {@code host:port} (or URL), as Google's client libraries read it. */
    static final String EMULATOR_HOST = "STORAGE_EMULATOR_HOST";
    /** The controller's: a service account the credentials impersonate (Velero's {@code serviceAccount}). */
    static final String DM_SERVICE_ACCOUNT = "KUBEVIRT_DM_BSL_SERVICE_ACCOUNT";

    private GcsEnvironment() {
    }

    /**
     * Google's variables: {@code STORAGE_EMULATOR_HOST} points at an emulator (no credentials unless
     * {@code GOOGLE_APPLICATION_CREDENTIALS} names a file); otherwise Cloud Storage with that file, or
     * application default credentials (the metadata server: GKE workload identity).
     */
    static GcsSettings fromEnvironment(Map<String, String> env) {
        URI emulator = emulator(env);
        String file = get(env, APPLICATION_CREDENTIALS);
        GcsCredentials credentials = file != null ? new GcsCredentials.KeyFile(Path.of(file), APPLICATION_CREDENTIALS)
                : emulator != null ? new GcsCredentials.None() : new GcsCredentials.ApplicationDefault();
        return GcsSettings.of(emulator != null ? emulator : GcsSettings.GOOGLE, credentials);
    }

    /**
     * The controller's variables and its credentials file (a service account key, or an external
     * account configuration), as Velero's GCP plugin reads them; {@code KUBEVIRT_DM_BSL_SERVICE_ACCOUNT}
     * is impersonated with them. A file that does not exist: application default credentials (or none
     * for an emulator), said in {@code notes}.
     *
     * @param credentials  the credentials file
     * @param fileVariable the variable that named it, for messages
     */
    static GcsSettings forDatamover(Map<String, String> env, Path credentials, String fileVariable,
                                    List<String> notes) {
        URI emulator = emulator(env);
        GcsCredentials c;
        if (Files.exists(credentials)) { // whatever it is: GcsStore.create refuses a non-file, naming it
            c = new GcsCredentials.KeyFile(credentials, fileVariable);
        } else if (emulator != null) {
            notes.add(fileVariable + ": " + credentials + " does not exist; no credentials for the emulator at "
                    + emulator);
            c = new GcsCredentials.None();
        } else {
            notes.add(fileVariable + ": " + credentials + " does not exist; using Google's application default"
                    + " credentials (" + APPLICATION_CREDENTIALS + ", the metadata server)");
            c = new GcsCredentials.ApplicationDefault();
        }
        String account = get(env, DM_SERVICE_ACCOUNT);
        if (account != null && !account.trim().matches("[^@\\s]+@[^@\\s]+")) {
            throw new IllegalArgumentException(DM_SERVICE_ACCOUNT + "=" + account + ": not a service account's e-mail"
                    + " address (name@project.iam.gserviceaccount.com)");
        }
        return GcsSettings.of(emulator != null ? emulator : GcsSettings.GOOGLE, c)
                .withImpersonation(account == null ? null : account.trim());
    }

    /** {@code STORAGE_EMULATOR_HOST} as an endpoint: {@code host:port}, or an http(s) URL; null when unset. */
    static URI emulator(Map<String, String> env) {
        String v = get(env, EMULATOR_HOST);
        if (v == null) {
            return null;
        }
        String t = v.trim();
        String lower = t.toLowerCase(Locale.ROOT);
        try {
            URI u = URI.create(lower.startsWith("http://") || lower.startsWith("https://") ? t : "http://" + t);
            if (u.getHost() != null && (u.getPath() == null || u.getPath().isEmpty() || u.getPath().equals("/"))
                    && u.getQuery() == null) {
                return URI.create(u.getScheme() + "://" + u.getRawAuthority());
            }
        } catch (IllegalArgumentException e) {
            // said below
        }
        throw new IllegalArgumentException(EMULATOR_HOST + "=" + v + ": expected host:port or http://host:port");
    }

    private static String get(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v;
    }
}
