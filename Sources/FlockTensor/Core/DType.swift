/// The element type of a tensor.
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
    case float32, float64, int32, int64, bool

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32, .int32: 4
        case .float64, .int64: 8
        case .bool: 1
        }
    }

    /// Whether this is a floating-point type.
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

    /// Whether this is a signed integer type.
    public var isInteger: Bool { self == .int32 || self == .int64 }

    public var description: String { rawValue }

    /// The type two operands are converted to before a binary arithmetic op, as PyTorch
    /// promotes: floating beats integer, wider beats narrower; bool counts as int64 for
    /// arithmetic (`bool + bool` is an integer sum, not a logical or).
    public static func promoted(_ a: DType, _ b: DType) -> DType {
        func rank(_ t: DType) -> Int {
            switch t {
            case .bool: 0
            case .int32: 1
            case .int64: 2
            case .float32: 3
            case .float64: 4
            }
        }
        let wider = rank(a) >= rank(b) ? a : b
        if wider == .bool { return .int64 }
        // int64 mixed with float32 stays float32, as in PyTorch.
        return wider
    }

    /// The floating type an op that needs one (exp, mean, ...) computes in: float types stay,
    /// integers and bool become float32.
    public var floatingCounterpart: DType { isFloatingPoint ? self : .float32 }
}

/// A Swift type that can be stored in a tensor.
public protocol TensorElement: Sendable, Equatable {
    /// The tensor dtype that stores this Swift type.
    static var dtype: DType { get }
    /// The additive identity (false for Bool).
    static var zeroValue: Self { get }
    /// Converts from Double: truncation toward zero for integers, NaN becomes 0 and
    /// out-of-range values saturate (never a trap); nonzero is true for Bool.
    init(converting value: Double)
    /// The value as a Double (true is 1).
    var doubleValue: Double { get }
    /// Converts from Int64 exactly where representable (integers saturate).
    init(convertingInteger value: Int64)
    /// The value as an Int64 (floats truncate toward zero and saturate; NaN is 0).
    var int64Value: Int64 { get }
}

/// A numeric element type with the arithmetic the kernels need. Integer arithmetic wraps
/// on overflow (as in C and PyTorch) instead of trapping.
public protocol NumericElement: TensorElement, Comparable {
    static func add(_ a: Self, _ b: Self) -> Self
    static func subtract(_ a: Self, _ b: Self) -> Self
    static func multiply(_ a: Self, _ b: Self) -> Self
    /// Division; callers check integer divisors for zero first.
    static func divide(_ a: Self, _ b: Self) -> Self
    /// The multiplicative identity.
    static var oneValue: Self { get }
    /// The smallest and largest representable values (-inf and +inf for floats).
    static var lowest: Self { get }
    static var highest: Self { get }
    /// Whether the value is NaN (always false for integers).
    var isNaNValue: Bool { get }
}

extension Float: NumericElement {
    public static var dtype: DType { .float32 }
    public static var zeroValue: Float { 0 }
    public static var oneValue: Float { 1 }
    public static var lowest: Float { -.infinity }
    public static var highest: Float { .infinity }
    public init(converting value: Double) { self = Float(value) }
    public var doubleValue: Double { Double(self) }
    public init(convertingInteger value: Int64) { self = Float(value) }
    public var int64Value: Int64 { Int64(converting: Double(self)) }
    public var isNaNValue: Bool { isNaN }
    @inline(__always) public static func add(_ a: Float, _ b: Float) -> Float { a + b }
    @inline(__always) public static func subtract(_ a: Float, _ b: Float) -> Float { a - b }
    @inline(__always) public static func multiply(_ a: Float, _ b: Float) -> Float { a * b }
    @inline(__always) public static func divide(_ a: Float, _ b: Float) -> Float { a / b }
}

extension Double: NumericElement {
    public static var dtype: DType { .float64 }
    public static var zeroValue: Double { 0 }
    public static var oneValue: Double { 1 }
    public static var lowest: Double { -.infinity }
    public static var highest: Double { .infinity }
    public init(converting value: Double) { self = value }
    public var doubleValue: Double { self }
    public init(convertingInteger value: Int64) { self = Double(value) }
    public var int64Value: Int64 { Int64(converting: self) }
    public var isNaNValue: Bool { isNaN }
    @inline(__always) public static func add(_ a: Double, _ b: Double) -> Double { a + b }
    @inline(__always) public static func subtract(_ a: Double, _ b: Double) -> Double { a - b }
    @inline(__always) public static func multiply(_ a: Double, _ b: Double) -> Double { a * b }
    @inline(__always) public static func divide(_ a: Double, _ b: Double) -> Double { a / b }
}

/// Shared integer behaviour: wrapping arithmetic and saturating conversion.
public protocol IntegerElement: NumericElement, FixedWidthInteger, SignedInteger {}

extension IntegerElement {
    public static var zeroValue: Self { 0 }
    public static var oneValue: Self { 1 }
    public static var lowest: Self { .min }
    public static var highest: Self { .max }
    public init(converting value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= Double(Self.max) {
            self = .max
        } else if value <= Double(Self.min) {
            self = .min
        } else {
            self = Self(value.rounded(.towardZero))
        }
    }
    public var doubleValue: Double { Double(self) }
    public init(convertingInteger value: Int64) { self = Self(clamping: value) }
    public var int64Value: Int64 { Int64(self) }
    public var isNaNValue: Bool { false }
    @inline(__always) public static func add(_ a: Self, _ b: Self) -> Self { a &+ b }
    @inline(__always) public static func subtract(_ a: Self, _ b: Self) -> Self { a &- b }
    @inline(__always) public static func multiply(_ a: Self, _ b: Self) -> Self { a &* b }
    @inline(__always) public static func divide(_ a: Self, _ b: Self) -> Self {
        a.dividedReportingOverflow(by: b).partialValue
    }
}

extension Int32: IntegerElement {
    public static var dtype: DType { .int32 }
}

extension Int64: IntegerElement {
    public static var dtype: DType { .int64 }
}

extension Bool: TensorElement {
    public static var dtype: DType { .bool }
    public static var zeroValue: Bool { false }
    public init(converting value: Double) { self = value != 0 }
    public var doubleValue: Double { self ? 1 : 0 }
    public init(convertingInteger value: Int64) { self = value != 0 }
    public var int64Value: Int64 { self ? 1 : 0 }
}
