import LabelmillCore

/// The tests' deterministic generator is the daemon's own (SplitMix64,
/// `SeededGenerator`), so a failing generated case can be replayed from its seed.
public typealias SplitMix64 = SeededGenerator

extension SeededGenerator {
    public init(state: UInt64) { self.init(seed: state) }
}
