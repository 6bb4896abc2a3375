package io.switchboard.loadtest;

import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses {@code 500us}, {@code 5ms}, {@code 30s}, {@code 2m}, {@code 1h} (a bare number means seconds). */
public final class DurationConverter implements ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    /** Parses {@code value}; throws a picocli conversion error naming the value if malformed. */
    public static Duration parse(String value) {
        final String v = value.trim().toLowerCase(java.util.Locale.ROOT);
        int i = 0;
        while (i < v.length() && (Character.isDigit(v.charAt(i)) || v.charAt(i) == '.')) {
            i++;
        }
        if (i == 0) {
            throw new TypeConversionException("'" + value + "' is not a duration (e.g. 500us, 5ms, 30s, 2m)");
        }
        final double n;
        try {
            n = Double.parseDouble(v.substring(0, i));
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a duration (e.g. 500us, 5ms, 30s, 2m)");
        }
        final double nanosPerUnit;
        switch (v.substring(i)) {
            case "us": nanosPerUnit = 1e3; break;
            case "ms": nanosPerUnit = 1e6; break;
            case "":
            case "s": nanosPerUnit = 1e9; break;
            case "m": nanosPerUnit = 60e9; break;
            case "h": nanosPerUnit = 3600e9; break;
            default:
                throw new TypeConversionException("'" + value + "': unknown unit (use us, ms, s, m or h)");
        }
        return Duration.ofNanos(Math.round(n * nanosPerUnit));
    }
}
