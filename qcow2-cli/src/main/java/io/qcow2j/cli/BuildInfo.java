package io.qcow2j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

/**
 * What {@code --version} prints: the version and the git commit the build wrote into the CLI jar's
 * manifest ({@code Implementation-Version}, {@code SCM-Revision}; qcow2-cli/pom.xml). Run from
 * classes (tests, an IDE) there is no manifest: "dev". A build from sources without git history
 * writes "unknown" as the commit.
 */
final class BuildInfo {
    static final String COMMIT_ATTRIBUTE = "SCM-Revision";

    private BuildInfo() {
    }

    /** {@code qcow2-restore 0.2.0 (commit abc1234)}, from this jar's manifest. */
    static String versionLine() {
        return versionLine(manifest());
    }

    static String versionLine(Attributes manifest) {
        String version = manifest == null ? null : manifest.getValue(Attributes.Name.IMPLEMENTATION_VERSION);
        String commit = manifest == null ? null : manifest.getValue(COMMIT_ATTRIBUTE);
        boolean known = commit != null && !commit.isBlank() && !commit.equals("unknown") && !commit.startsWith("${");
        return "qcow2-restore " + (version == null || version.isBlank() ? "dev" : version)
                + (known ? " (commit " + commit + ")" : " (unknown commit)");
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
