package io.qcow2j.oadp;

import io.qcow2j.oadp.internal.KubeQuantity;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class KubeQuantityProperties {

    private static final String[] BINARY = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    private static final String[] DECIMAL = {"k", "M", "G", "T", "P", "E"};

    /** The exact value of {@code n} with a suffix, computed independently of the parser. */
    private static BigInteger exact(long n, String suffix) {
        BigDecimal v = BigDecimal.valueOf(n);
        switch (suffix) {
            case "":
                break;
            case "m":
                v = v.movePointLeft(3);
                break;
            default:
                int i = java.util.Arrays.asList(BINARY).indexOf(suffix);
                if (i >= 0) {
                    v = v.multiply(new BigDecimal(BigInteger.TWO.pow(10 * (i + 1))));
                } else {
                    v = v.movePointRight(3 * (java.util.Arrays.asList(DECIMAL).indexOf(suffix) + 1));
                }
        }
        return v.setScale(0, RoundingMode.CEILING).toBigIntegerExact();
    }

    @Property
    void kibiIsTimes1024(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 1024) long n) {
        assertEquals(n * 1024, KubeQuantity.parseBytes(n + "Ki"));
    }

    @Property
    void binarySuffixIsPowerOf1024(@ForAll @LongRange(min = 0, max = 8191) long n, @ForAll @IntRange(min = 0, max = 5) int s) {
        BigInteger expected = BigInteger.valueOf(n).shiftLeft(10 * (s + 1));
        if (expected.bitLength() <= 63) {
            assertEquals(expected.longValueExact(), KubeQuantity.parseBytes(n + BINARY[s]));
        } else {
            assertThrows(IllegalArgumentException.class, () -> KubeQuantity.parseBytes(n + BINARY[s]));
        }
    }

    @Property
    void decimalAndBinarySuffixesRelate(@ForAll @LongRange(min = 0, max = 7) long n,
                                        @ForAll @IntRange(min = 0, max = 5) int s) {
        long dec = KubeQuantity.parseBytes(n + DECIMAL[s]);
        long bin = KubeQuantity.parseBytes(n + BINARY[s]);
        // n·1000^k vs n·1024^k, so bin/dec = (1024/1000)^k exactly
        assertTrue(bin >= dec);
        assertEquals(BigInteger.valueOf(dec).multiply(BigInteger.valueOf(1024).pow(s + 1)),
                BigInteger.valueOf(bin).multiply(BigInteger.valueOf(1000).pow(s + 1)));
        // the decimal suffix is the same as the exponent form
        assertEquals(dec, KubeQuantity.parseBytes(n + "e" + 3 * (s + 1)));
        assertEquals(dec, KubeQuantity.parseBytes(n + "E" + 3 * (s + 1)));
    }

    @Property
    void eachPowerIsTheNextOneTimesBase(@ForAll @IntRange(min = 0, max = 4) int s) {
        assertEquals(1024 * KubeQuantity.parseBytes("1" + BINARY[s]), KubeQuantity.parseBytes("1" + BINARY[s + 1]));
        assertEquals(1000 * KubeQuantity.parseBytes("1" + DECIMAL[s]), KubeQuantity.parseBytes("1" + DECIMAL[s + 1]));
    }

    @Provide
    Arbitrary<String> suffixes() {
        return Arbitraries.of("", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei");
    }

    @Property
    void integerWithAnySuffixRoundTrips(@ForAll @LongRange(min = 0) long n, @ForAll("suffixes") String suffix) {
        BigInteger expected = exact(n, suffix);
        if (expected.bitLength() <= 63) {
            assertEquals(expected.longValueExact(), KubeQuantity.parseBytes(n + suffix));
        } else {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> KubeQuantity.parseBytes(n + suffix));
            assertTrue(e.getMessage().contains(n + suffix), e.getMessage());
        }
    }

    @Property
    void smallIntegerWithAnySuffixRoundTrips(@ForAll @LongRange(min = 0, max = 100_000) long n,
                                             @ForAll("suffixes") String suffix) {
        integerWithAnySuffixRoundTrips(n, suffix);
    }

    @Property
    void fractionsRoundUp(@ForAll @LongRange(min = 0, max = 1_000_000) long whole,
                          @ForAll @IntRange(min = 1, max = 999) int thousandths,
                          @ForAll("suffixes") String suffix) {
        String text = whole + "." + String.format("%03d", thousandths) + suffix;
        BigInteger expected = new BigDecimal(whole + "." + String.format("%03d", thousandths))
                .multiply(new BigDecimal(exact(1, suffix.equals("m") ? "" : suffix)))
                .movePointLeft(suffix.equals("m") ? 3 : 0)
                .setScale(0, RoundingMode.CEILING).toBigIntegerExact();
        if (expected.bitLength() <= 63) {
            assertEquals(expected.longValueExact(), KubeQuantity.parseBytes(text));
        } else {
            assertThrows(IllegalArgumentException.class, () -> KubeQuantity.parseBytes(text));
        }
    }

    @Property
    void neverNegative(@ForAll @LongRange(min = 1) long n, @ForAll("suffixes") String suffix) {
        assertThrows(IllegalArgumentException.class, () -> KubeQuantity.parseBytes("-" + n + suffix));
    }

    /** Strings from the characters quantities are made of, so many are almost-valid. */
    @Provide
    Arbitrary<String> nearMisses() {
        return Arbitraries.strings().withChars("0123456789.+-eEkKmMGTPiI \t").ofMinLength(0).ofMaxLength(30);
    }

    @Property(tries = 2000)
    void garbageNeverCrashesOtherwise(@ForAll("nearMisses") String text) {
        assertOnlyIllegalArgument(text);
    }

    @Property(tries = 2000)
    void arbitraryStringsNeverCrashOtherwise(@ForAll String text) {
        assertOnlyIllegalArgument(text);
    }

    private static void assertOnlyIllegalArgument(String text) {
        try {
            long v = KubeQuantity.parseBytes(text);
            assertTrue(v >= 0, () -> text + " -> " + v);
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().startsWith("invalid quantity") || text == null, expected.getMessage());
        }
    }
}
