import RealModule

/// A seeded random number generator that gives the same stream on every machine.
///
/// The core is PCG32 (O'Neill's permuted congruential generator, XSH-RR variant: a 64-bit
/// LCG state with multiplier 6364136223846793005, output = rotate(((s >> 18) ^ s) >> 27,
/// s >> 59)). Its integer stream is platform independent; floats are derived with exact
/// integer arithmetic (uniform: top 24 bits times 2^-24), and normals with Box-Muller in
/// double precision (the only step that relies on libm's log/cos/sin, which are correctly
/// rounded to within an ulp on every platform we build for).
public struct RandomGenerator: RandomNumberGenerator, Sendable, Equatable {
    /// The generator's full state (save it to resume a stream exactly).
    public private(set) var state: UInt64
    /// The stream selector (odd); different streams from one seed are independent.
    public let increment: UInt64

    /// A generator for `seed` on stream `stream`.
    public init(seed: UInt64, stream: UInt64 = 0) {
        increment = (stream << 1) | 1
        state = 0
        _ = nextUInt32()
        state &+= seed
        _ = nextUInt32()
    }

    /// Restores a generator from a saved `state` and `increment`.
    public init(state: UInt64, increment: UInt64) {
        self.state = state
        self.increment = increment | 1
    }

    /// The next 32 random bits.
    public mutating func nextUInt32() -> UInt32 {
        let old = state
        state = old &* 6_364_136_223_846_793_005 &+ increment
        let xorShifted = UInt32(truncatingIfNeeded: ((old >> 18) ^ old) >> 27)
        let rotation = UInt32(truncatingIfNeeded: old >> 59)
        return xorShifted.rotateRight(by: rotation)
    }

    /// The next 64 random bits (two 32-bit outputs, high word first).
    public mutating func next() -> UInt64 {
        UInt64(nextUInt32()) << 32 | UInt64(nextUInt32())
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    public mutating func nextUnitFloat() -> Float {
        Float(nextUInt32() >> 8) * 0x1p-24
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A standard normal sample (Box-Muller; uses two uniforms per call for simplicity
    /// and reproducibility).
    public mutating func nextNormal() -> Double {
        let u1 = 1 - nextUnitDouble()  // (0, 1]: log is finite
        let u2 = nextUnitDouble()
        return (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * Double.pi * u2)
    }

    /// A uniform integer in `0..<bound` without modulo bias (Lemire's method).
    public mutating func nextInt(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "bound must be positive")  // callers validate user input
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return product.high
    }
}

extension UInt32 {
    @inline(__always)
    fileprivate func rotateRight(by amount: UInt32) -> UInt32 {
        (self >> amount) | (self << ((32 &- amount) & 31))
    }
}
