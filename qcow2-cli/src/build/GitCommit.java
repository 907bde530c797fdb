import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Build step (qcow2-cli/pom.xml): writes the commit the build is made from, {@code git rev-parse
 * --short=7 HEAD}, into a resource that --version prints; "unknown" without git or a repository.
 * HEAD itself, a merge commit included: the buildnumber plugin reported the newest commit that was
 * not a merge.
 *
 * <p>usage: java GitCommit.java REPOSITORY_DIR OUTPUT_FILE
 */
public final class GitCommit {
    public static void main(String[] args) throws IOException, InterruptedException {
        String commit = "unknown";
        try {
            Process p = new ProcessBuilder("git", "-C", args[0], "rev-parse", "--short=7", "HEAD")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            if (p.waitFor() == 0 && out.matches("[0-9a-f]{7,40}")) {
                commit = out;
            }
        } catch (IOException e) {
            // no git: unknown
        }
        Path file = Path.of(args[1]);
        Files.createDirectories(file.getParent());
        Files.writeString(file, commit + "\n", StandardCharsets.US_ASCII);
    }
}
