import Foundation

/// SplitMix64: a fast seeded generator of independent streams (the generator's, and the
/// tests' random tables).
package struct RandomStream {
    private var state: UInt64
    package init(seed: UInt64) { state = seed }

    /// Stream `stream` of `seed`, for drawing in parallel: it starts where SplitMix's
    /// output for the pair puts it. (Starting stream b at `seed + b * increment` would make
    /// it stream 0 shifted by b draws: the same rows, one row later.)
    package init(seed: UInt64, stream: UInt64) {
        var start = RandomStream(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        state = start.next()
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (Lemire's multiply-shift; bias below 2^-32 for bounds here).
    package mutating func below(_ bound: Int) -> Int { Int(next().multipliedFullWidth(by: UInt64(bound)).high) }

    /// Uniform in [0, 1).
    package mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal (Box-Muller from two uniforms; the first kept away from 0).
    package mutating func normal() -> Double {
        let (u, v) = (Swift.max(unit(), 1e-300), unit())
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}
