package io.switchboard.loadtest.report;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * Histograms as text: HdrHistogram's compressed encoding in base64, the format of its histogram logs. Lossless, so
 * that histograms of several worker processes merge exactly.
 */
public final class HistogramCodec {

    private HistogramCodec() {}

    /** The compressed, base64-encoded form of {@code h}. */
    public static String encode(Histogram h) {
        final ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        final int len = h.encodeIntoCompressedByteBuffer(buf);
        final byte[] bytes = new byte[len];
        buf.flip();
        buf.get(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** Decodes what {@link #encode} produced. */
    public static Histogram decode(String base64) {
        final ByteBuffer buf = ByteBuffer.wrap(Base64.getDecoder().decode(base64));
        try {
            return Histogram.decodeFromCompressedByteBuffer(buf, 0);
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("not an encoded histogram", e);
        }
    }

    /** An empty auto-resizing histogram with the precision used everywhere here (3 significant digits). */
    public static Histogram empty() {
        final Histogram h = new Histogram(LatencyRecorder.SIGNIFICANT_DIGITS);
        h.setAutoResize(true);
        return h;
    }
}
