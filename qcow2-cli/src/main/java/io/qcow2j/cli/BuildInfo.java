package io.qcow2j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

/**
 * What {@code --version} prints: the version from the CLI jar's manifest
 * ({@code Implementation-Version}; run from classes, as tests do, there is none: "dev") and the git
 * commit the build wrote into the resource {@code commit.txt} (qcow2-cli/pom.xml, GitCommit.java;
 * "unknown" for a build without git history).
 */
final class BuildInfo {

    private BuildInfo() {
    }

    /** {@code qcow2-restore 0.2.0 (commit abc1234)}. */
    static String versionLine() {
        Attributes manifest = manifest();
        return versionLine(manifest == null ? null : manifest.getValue(Attributes.Name.IMPLEMENTATION_VERSION),
                commit());
    }

    static String versionLine(String version, String commit) {
        boolean known = commit != null && !commit.isBlank() && !commit.equals("unknown");
        return "qcow2-restore " + (version == null || version.isBlank() ? "dev" : version)
                + (known ? " (commit " + commit + ")" : " (unknown commit)");
    }

    /** The commit the build recorded, or null. */
    static String commit() {
        try (InputStream in = BuildInfo.class.getResourceAsStream("commit.txt")) {
            return in == null ? null : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The main attributes of the manifest of the jar this class came from, or null when it came
     * from a directory. Not the class loader's first META-INF/MANIFEST.MF: on a class path of
     * several jars that is another jar's.
     */
    static Attributes manifest() {
        URL self = BuildInfo.class.getResource("BuildInfo.class");
        if (self == null || !self.getProtocol().equals("jar")) {
            return null;
        }
        String url = self.toString();
        try (InputStream in = new URL(url.substring(0, url.indexOf("!/") + 2) + "META-INF/MANIFEST.MF").openStream()) {
            return new Manifest(in).getMainAttributes();
        } catch (IOException e) {
            return null;
        }
    }
}
