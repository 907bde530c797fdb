package io.qcow2j.s3;

import io.qcow2j.s3.internal.ConfigFile;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.profiles.Profile;
import software.amazon.awssdk.profiles.ProfileFile;

/**
 * The shared AWS profile files of a store, read once with {@link ConfigFile}'s bounds and parsed
 * here, so that neither the SDK's clients nor its credentials providers open them again (they get
 * this {@link ProfileFile}): a FIFO or {@code /dev/zero} named by {@code AWS_CONFIG_FILE} must not
 * hang or exhaust the heap inside the SDK.
 *
 * <p>A named credentials file is read as both the credentials and the config file, as the
 * kubevirt-datamover controller's SDK loads {@code /credentials/cloud}: {@code [name]} and
 * {@code [profile name]} sections, its properties winning over the config file's. Without one,
 * {@code ~/.aws/credentials} and {@code ~/.aws/config} are read when they exist, as the SDK does.
 */
final class SharedProfiles {
    private final ProfileFile file;
    private final String profileName;
    private final String source;

    private SharedProfiles(ProfileFile file, String profileName, String source) {
        this.file = file;
        this.profileName = profileName;
        this.source = source;
    }

    /**
     * @throws IllegalArgumentException naming the variable (or other origin) and the file when a
     *                                  named file cannot be read or is not a valid profile file
     */
    static SharedProfiles load(S3Settings settings, Map<String, String> env) {
        ProfileFile.Aggregator all = ProfileFile.aggregator();
        List<String> sources = new ArrayList<>();
        Optional<Path> credentials = settings.credentialsSource() == S3Settings.CredentialsSource.PROFILE
                ? settings.credentialsFile() : Optional.empty();
        // the first file added wins a property both define: credentials before config, as the SDK
        if (credentials.isPresent()) {
            add(all, credentials.get(), settings.credentialsFileOrigin(), true, sources);
        } else {
            home(env).map(h -> h.resolve(".aws/credentials")).filter(Files::exists)
                    .ifPresent(f -> add(all, f, "credentials file", false, sources));
        }
        if (settings.configFile().isPresent()) {
            add(all, settings.configFile().get(), settings.configFileOrigin(), false, sources);
        } else if (credentials.isEmpty()) {
            home(env).map(h -> h.resolve(".aws/config")).filter(Files::exists)
                    .ifPresent(f -> add(all, f, "config file", false, sources));
        }
        return new SharedProfiles(all.build(), settings.profile().orElse("default"), String.join(" and ", sources));
    }

    private static void add(ProfileFile.Aggregator all, Path file, String origin, boolean alsoConfig,
                            List<String> sources) {
        byte[] content = ConfigFile.read(file, origin, ConfigFile.MAX_PROFILE_BYTES);
        try {
            all.addFile(parse(content, ProfileFile.Type.CREDENTIALS));
            if (alsoConfig) {
                all.addFile(parse(content, ProfileFile.Type.CONFIGURATION));
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(origin + ": " + file + " is not a valid AWS profile (INI) file: "
                    + Failure.oneLine(e.getMessage()), e);
        }
        sources.add(origin + " " + file);
    }

    private static ProfileFile parse(byte[] content, ProfileFile.Type type) {
        return ProfileFile.builder().content(new ByteArrayInputStream(content)).type(type).build();
    }

    private static Optional<Path> home(Map<String, String> env) {
        String home = env.get("HOME");
        if (home == null || home.isBlank()) {
            home = System.getProperty("user.home");
        }
        return home == null || home.isBlank() ? Optional.empty() : Optional.of(Path.of(home));
    }

    /** The parsed files, for the SDK's clients and providers. */
    ProfileFile file() {
        return file;
    }

    /** The profile in use: the setting, else {@code default}. */
    String profileName() {
        return profileName;
    }

    /** The profile in use, if the files define it. */
    Optional<Profile> profile() {
        return profile(profileName);
    }

    Optional<Profile> profile(String name) {
        return file.profile(name);
    }

    /** The profile's {@code region}, if set. */
    Optional<String> region() {
        return profile().flatMap(p -> p.property("region")).map(String::trim).filter(r -> !r.isEmpty());
    }

    /** The files read, for messages: "KUBEVIRT_DM_CREDENTIALS_FILE /credentials/cloud". */
    String source() {
        return source.isEmpty() ? "no profile file" : source;
    }
}
