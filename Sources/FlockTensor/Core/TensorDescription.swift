import Foundation

extension Tensor: CustomStringConvertible {
    /// A NumPy-style rendering: nested brackets, aligned columns, long axes summarised
    /// with "..." (more than 1000 elements: three at each end), then the dtype and shape.
    ///
    ///     tensor([[0., 1., 2.],
    ///             [3., 4., 5.]], dtype: float32, shape: [2, 3])
    public var description: String {
        let summarise = count > 1000
        let values = doubleScalars()
        let strings = formatElements(values)
        let width = strings.map(\.count).max() ?? 0
        let prefix = "tensor("
        var output = prefix
        if rank == 0 {
            output += strings.first ?? ""
        } else {
            output += render(
                axis: 0, start: 0, strings: strings, width: width, indent: prefix.count, summarise: summarise)
        }
        return output + ", dtype: \(dtype), shape: \(shape))"
    }

    /// Renders the sub-array along `axis` whose first element has row-major index `start`.
    private func render(axis: Int, start: Int, strings: [String], width: Int, indent: Int, summarise: Bool) -> String {
        let size = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        let shown: [Int?] =
            summarise && size > 6 ? Array(0..<3) + [nil] + Array((size - 3)..<size) : Array(0..<size)
        if axis == rank - 1 {
            let items = shown.map { index in
                index.map { String(repeating: " ", count: width - strings[start + $0].count) + strings[start + $0] }
                    ?? "..."
            }
            return "[" + items.joined(separator: ", ") + "]"
        }
        let separator =
            "," + String(repeating: "\n", count: rank - axis - 1) + String(repeating: " ", count: indent + 1)
        let items = shown.map { index in
            index.map {
                render(
                    axis: axis + 1, start: start + $0 * inner, strings: strings, width: width, indent: indent + 1,
                    summarise: summarise)
            } ?? "..."
        }
        return "[" + items.joined(separator: separator) + "]"
    }

    /// Formats every element: integers plainly, bools as true/false, floats with four
    /// decimals (or "1." style when all are whole, scientific when the range is wide).
    private func formatElements(_ values: [Double]) -> [String] {
        switch dtype {
        case .bool: return values.map { $0 != 0 ? "true" : "false" }
        case .int32, .int64: return values.map { String(Int64($0)) }
        case .float32, .float64:
            let finite = values.filter(\.isFinite)
            let largest = finite.map { Swift.abs($0) }.max() ?? 0
            let smallest = finite.filter { $0 != 0 }.map { Swift.abs($0) }.min() ?? 0
            let whole = finite.allSatisfy { $0.rounded() == $0 } && largest < 1e8
            let scientific = !whole && (largest >= 1e8 || (smallest > 0 && smallest < 1e-4))
            return values.map { value in
                if value.isNaN { return "nan" }
                if value.isInfinite { return value > 0 ? "inf" : "-inf" }
                if whole { return String(format: "%.0f.", value) }
                return String(format: scientific ? "%.4e" : "%.4f", value)
            }
        }
    }
}
