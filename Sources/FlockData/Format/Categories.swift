/// The distinct strings that a categorical column's int32 codes index (Arrow's dictionary).
/// Immutable and shared: columns cut from one column, and batches of one scan, keep the
/// same instance, so comparing two categorical columns' codes is comparing their text.
public final class Categories: Sendable, Equatable, CustomStringConvertible {
    /// The strings, by code.
    public let values: [String]

    /// Categories of `values` (code i stands for `values[i]`).
    public init(_ values: [String]) { self.values = values }

    public static func == (lhs: Categories, rhs: Categories) -> Bool { lhs === rhs || lhs.values == rhs.values }

    public var description: String { "\(values.count) categories" }
}
