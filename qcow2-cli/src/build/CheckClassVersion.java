import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Build check, run by {@code mvn package} through Java's source launcher: fails the build when a
 * class in the CLI jar is not compiled for the expected release. It guards the picocli swap in
 * qcow2-cli/pom.xml: if the recompiled classes ever stopped replacing the stock ones (a changed
 * path, an empty unpack), the jar would still work and only start slower, which no test
 * notices.
 *
 * <p>usage: {@code java CheckClassVersion.java JAR RELEASE ENTRY...}
 */
public final class CheckClassVersion {
    private CheckClassVersion() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: java CheckClassVersion.java JAR RELEASE ENTRY...");
            System.exit(2);
        }
        int expected = 44 + Integer.parseInt(args[1]); // class file major version of release N
        try (ZipFile jar = new ZipFile(args[0])) {
            for (int i = 2; i < args.length; i++) {
                ZipEntry entry = jar.getEntry(args[i]);
                if (entry == null) {
                    fail(args[0] + ": no entry " + args[i]);
                }
                try (InputStream in = jar.getInputStream(entry)) {
                    DataInputStream data = new DataInputStream(in);
                    if (data.readInt() != 0xCAFEBABE) {
                        fail(args[0] + ": " + args[i] + " is not a class file");
                    }
                    data.readUnsignedShort(); // minor version
                    int major = data.readUnsignedShort();
                    if (major != expected) {
                        fail(args[0] + ": " + args[i] + " has class file version " + major + ", expected "
                                + expected + " (release " + args[1] + ")");
                    }
                }
            }
        }
    }

    private static void fail(String message) {
        System.err.println("error: " + message);
        System.exit(1);
    }
}
