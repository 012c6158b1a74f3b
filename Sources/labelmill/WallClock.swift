#if canImport(Glibc)
import Glibc
#endif

/// Seconds since the epoch, from the real clock.
func wallClock() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
