package io.switchboard.gateway;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * The process's open-files limit, which bounds how many connections it can really hold: each one is a file
 * descriptor. Read once at start from the JDK's {@code UnixOperatingSystemMXBean}.
 */
final class OpenFiles {

    private OpenFiles() {}

    /** The soft limit on open files ({@code RLIMIT_NOFILE}), or -1 where it cannot be read (not Unix). */
    static long limit() {
        final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return unix.getMaxFileDescriptorCount();
        }
        return -1;
    }
}
