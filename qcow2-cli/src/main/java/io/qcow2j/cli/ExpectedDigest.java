package io.qcow2j.cli;

import io.qcow2j.restore.digest.DiskDigest;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A digest the restored disk must have ({@code --expect-digest}, {@code KUBEVIRT_DM_EXPECT_DIGEST}),
 * as {@code verify-backup --deep} or an earlier restore printed it; the library holds the restore to
 * it ({@code RestoreOptions.expectedDigest}): a disk that differs fails as an incomplete restore (exit
 * 4, "do not use the target"), and a staged file is not renamed into place.
 *
 * @param hex the 16 hex digits, lower case
 */
record ExpectedDigest(String hex) {
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{16}");

    /**
     * {@code xxh64-64k:<16 hex digits>}, or the digits alone.
     *
     * @throws IllegalArgumentException naming {@code source} and the form expected
     */
    static ExpectedDigest parse(String source, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        String v = t.startsWith(DiskDigest.NAME + ":") ? t.substring(DiskDigest.NAME.length() + 1) : t;
        if (!HEX.matcher(v).matches()) {
            throw new IllegalArgumentException(source + ": \"" + text + "\" is not a digest; expected "
                    + DiskDigest.NAME + ":<16 hex digits>, as restore and verify-backup --deep print it");
        }
        return new ExpectedDigest(v);
    }
}
