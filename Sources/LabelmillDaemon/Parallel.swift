import Dispatch

/// Runs `body` for every index on both cores (the machine's two), results in
/// index order. `body` must touch no shared mutable state.
func onBothCores<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
    guard count > 1 else { return (0..<count).map(body) }
    var results = [T?](repeating: nil, count: count)
    results.withUnsafeMutableBufferPointer { out in
        let slots = UncheckedBuffer(out)
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            var i = worker
            while i < count {
                slots.buffer[i] = body(i)
                i += 2
            }
        }
    }
    return results.map { $0! }
}

/// Disjoint slots of a buffer written by concurrent workers (each index by one worker).
struct UncheckedBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}
