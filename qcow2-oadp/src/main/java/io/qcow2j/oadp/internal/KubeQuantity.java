package io.qcow2j.oadp.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses Kubernetes {@code resource.Quantity} strings as byte counts, the way a PVC's
 * {@code spec.resources.requests.storage} (and the OADP index's {@code pvcSizes}) are written.
 *
 * <p>Accepted grammar, as in {@code k8s.io/apimachinery/pkg/api/resource}:
 * <pre>
 *   quantity ::= [ "+" ] number [ suffix ]
 *   number   ::= digits | digits "." [ digits ] | "." digits
 *   suffix   ::= "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"          (powers of 1024)
 *              | "m" | "k" | "M" | "G" | "T" | "P" | "E"          (powers of 1000; m = 1/1000)
 *              | ( "e" | "E" ) [ "+" | "-" ] digits               (power of ten)
 * </pre>
 * A value that is not a whole number of bytes is rounded up, as {@code Quantity.Value()} does, so
 * {@code "1m"} and {@code "0.1"} are 1 byte. Negative values, whitespace, and anything else are
 * refused, as are values above {@link Long#MAX_VALUE}.
 */
public final class KubeQuantity {

    private static final Pattern SYNTAX =
            Pattern.compile("\\+?(\\d++(?:\\.\\d*+)?+|\\.\\d++)(?:(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)|[eE]([+-]?\\d++))?");

    /** 2^63 - 1 has 19 digits; anything whose integer part has more cannot be a long. */
    private static final int MAX_LONG_DIGITS = 19;

    /** Error messages quote the input; a multi-megabyte garbage string should not end up in them. */
    private static final int MAX_QUOTED = 64;

    private KubeQuantity() {
    }

    /**
     * Returns the number of bytes {@code text} denotes.
     *
     * @param text a Kubernetes quantity such as {@code "10Gi"}, {@code "1.5G"}, {@code "1e9"}
     * @return the value in bytes, rounded up to a whole byte, never negative
     * @throws IllegalArgumentException if {@code text} is null, not a quantity, negative, or larger
     *                                  than {@link Long#MAX_VALUE}; the message quotes the text
     */
    public static long parseBytes(String text) {
        if (text == null) {
            throw new IllegalArgumentException("quantity is missing (null)");
        }
        Matcher m = SYNTAX.matcher(text);
        if (!m.matches()) {
            throw invalid(text, text.startsWith("-") ? "negative sizes are not allowed"
                    : "not a Kubernetes quantity (expected e.g. 10Gi, 512Mi, 1G, 1e9)");
        }
        BigDecimal mantissa = new BigDecimal(m.group(1));
        String suffix = m.group(2) == null ? "" : m.group(2);
        if (mantissa.signum() == 0) {
            return 0; // whatever the suffix or exponent; avoids scaling zero by a huge power of ten
        }
        BigDecimal value;
        String exponent = m.group(3);
        if (exponent != null) {
            value = scaleByExponent(text, mantissa, new BigInteger(exponent));
        } else {
            value = mantissa.multiply(multiplier(suffix));
        }
        BigInteger bytes = value.setScale(0, RoundingMode.CEILING).toBigIntegerExact();
        if (bytes.bitLength() > 63) {
            throw invalid(text, "larger than " + Long.MAX_VALUE + " bytes");
        }
        return bytes.longValue();
    }

    /**
     * Applies a decimal exponent without ever building a number with billions of digits: the
     * exponent is user input and {@code 1e999999999} must fail fast, not exhaust memory.
     */
    private static BigDecimal scaleByExponent(String text, BigDecimal mantissa, BigInteger exponent) {
        // digits before the decimal point of the mantissa (<= 0 for values below 1)
        long magnitude = (long) mantissa.precision() - mantissa.scale();
        BigInteger resultMagnitude = exponent.add(BigInteger.valueOf(magnitude));
        if (resultMagnitude.compareTo(BigInteger.valueOf(MAX_LONG_DIGITS)) > 0) {
            throw invalid(text, "larger than " + Long.MAX_VALUE + " bytes");
        }
        if (resultMagnitude.signum() < 0) {
            return BigDecimal.ONE; // a positive value below 0.1 still rounds up to one byte
        }
        // Here |exponent| <= |magnitude| + 19, and magnitude is bounded by the text's length.
        return mantissa.scaleByPowerOfTen(exponent.intValueExact());
    }

    private static BigDecimal multiplier(String suffix) {
        switch (suffix) {
            case "":
                return BigDecimal.ONE;
            case "m":
                return new BigDecimal("0.001");
            case "k":
                return BigDecimal.TEN.pow(3);
            case "M":
                return BigDecimal.TEN.pow(6);
            case "G":
                return BigDecimal.TEN.pow(9);
            case "T":
                return BigDecimal.TEN.pow(12);
            case "P":
                return BigDecimal.TEN.pow(15);
            case "E":
                return BigDecimal.TEN.pow(18);
            case "Ki":
                return BigDecimal.valueOf(1L << 10);
            case "Mi":
                return BigDecimal.valueOf(1L << 20);
            case "Gi":
                return BigDecimal.valueOf(1L << 30);
            case "Ti":
                return BigDecimal.valueOf(1L << 40);
            case "Pi":
                return BigDecimal.valueOf(1L << 50);
            case "Ei":
                return BigDecimal.valueOf(1L << 60);
            default:
                throw new AssertionError("suffix accepted by the pattern but not handled: " + suffix);
        }
    }

    private static IllegalArgumentException invalid(String text, String reason) {
        return new IllegalArgumentException("invalid quantity \"" + quote(text) + "\": " + reason);
    }

    /** Keeps the message on one printable line whatever bytes the index contained. */
    private static String quote(String text) {
        StringBuilder sb = new StringBuilder();
        int end = Math.min(text.length(), MAX_QUOTED);
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (end < text.length()) {
            sb.append("...");
        }
        return sb.toString();
    }
}
