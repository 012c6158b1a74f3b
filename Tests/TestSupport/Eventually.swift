import Foundation

/// Waits up to `seconds` for `condition`, checking every 50 ms, and gives its last answer.
/// Real time: for the few tests that watch another process; callers give generous deadlines
/// (the machine is shared and noisy).
public func eventually(within seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}

/// The same for async tests: sleeps the task, not the thread, 20 ms between checks.
public func eventually(within seconds: Double, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try? await Task.sleep(nanoseconds: 20_000_000)
    }
    return try condition()
}
