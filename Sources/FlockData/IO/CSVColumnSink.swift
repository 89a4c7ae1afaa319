/// One column of a CSV chunk (or of NDJSON lines) as its fields arrive, typed speculatively: the first value
/// picks int64, float64, bool or text (in that order of preference); a later value that
/// does not fit widens int64 to float64, and anything else makes the column text, which
/// needs the chunk parsed again with the column forced to text (`abandoned`). Nulls (empty
/// unquoted fields) fit every kind.
struct CSVColumnSink {
    /// What the values so far are.
    enum Kind: Equatable {
        /// Only nulls so far.
        case undecided
        case int, double, bool, text
        /// Values that need text, in a sink not collecting text: re-parse as text.
        case abandoned
    }

    private(set) var kind: Kind
    private(set) var ints: [Int64] = []
    private(set) var doubles: [Double] = []
    private(set) var bools: [Bool] = []
    private(set) var textBytes: [UInt8] = []
    private(set) var offsets: [Int32] = [0]
    /// Per row: present; empty while every row is.
    private(set) var present: [Bool] = []
    private(set) var count = 0

    /// A sink that speculates, or (`forcedText`) keeps every value as text.
    init(forcedText: Bool) { kind = forcedText ? .text : .undecided }

    /// Makes room for `rows` values in all (with as many text bytes per value as so far),
    /// so a chunk's columns grow without copies.
    mutating func reserve(rows: Int) {
        guard rows > count else { return }
        switch kind {
        case .int: ints.reserveCapacity(rows)
        case .double: doubles.reserveCapacity(rows)
        case .bool: bools.reserveCapacity(rows)
        case .text:
            offsets.reserveCapacity(rows + 1)
            textBytes.reserveCapacity(textBytes.count / Swift.max(1, count) * rows + rows)
        case .undecided, .abandoned: break
        }
        if !present.isEmpty { present.reserveCapacity(rows) }
    }

    /// Appends a null.
    mutating func appendNull() {
        if present.isEmpty { present = [Bool](repeating: true, count: count) }
        present.append(false)
        switch kind {
        case .int: ints.append(0)
        case .double: doubles.append(0)
        case .bool: bools.append(false)
        case .text: offsets.append(offsets[offsets.count - 1])
        case .undecided, .abandoned: break
        }
        count += 1
    }

    /// Appends the value `field` (its text, unescaped); false when the text is too long
    /// for int32 offsets.
    mutating func append(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
        if !present.isEmpty { present.append(true) }
        defer { count += 1 }
        switch kind {
        case .text:
            guard textBytes.count + field.count <= Int(Int32.max) else { return false }
            textBytes.append(contentsOf: field)
            offsets.append(Int32(textBytes.count))
            return true
        case .abandoned:
            return true
        case .int:
            if let value = CSVNumbers.int(field) {
                ints.append(value)
            } else if let value = CSVNumbers.double(field) {
                doubles = ints.map { Double($0) }
                ints = []
                doubles.append(value)
                kind = .double
            } else {
                abandon()
            }
        case .double:
            if let value = CSVNumbers.double(field) { doubles.append(value) } else { abandon() }
        case .bool:
            if let value = CSVNumbers.bool(field) { bools.append(value) } else { abandon() }
        case .undecided:
            let nulls = count
            if let value = CSVNumbers.int(field) {
                kind = .int
                ints = [Int64](repeating: 0, count: nulls) + [value]
            } else if let value = CSVNumbers.double(field) {
                kind = .double
                doubles = [Double](repeating: 0, count: nulls) + [value]
            } else if let value = CSVNumbers.bool(field) {
                kind = .bool
                bools = [Bool](repeating: false, count: nulls) + [value]
            } else {
                // Text from the first value on: collect it (nulls so far are empty).
                kind = .text
                offsets = [Int32](repeating: 0, count: nulls + 1)
                textBytes.append(contentsOf: field)
                offsets.append(Int32(textBytes.count))
            }
        }
        return true
    }

    /// Appends a value that is text whatever it looks like (a JSON string): a sink of
    /// numbers or bools must then become text (`abandoned`).
    mutating func appendText(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
        switch kind {
        case .text, .abandoned: return append(field)
        case .undecided:
            if !present.isEmpty { present.append(true) }
            kind = .text
            offsets = [Int32](repeating: 0, count: count + 1)
            textBytes.append(contentsOf: field)
            offsets.append(Int32(textBytes.count))
            count += 1
            return true
        case .int, .double, .bool:
            if !present.isEmpty { present.append(true) }
            abandon()
            count += 1
            return true
        }
    }

    private mutating func abandon() {
        kind = .abandoned
        ints = []
        doubles = []
        bools = []
    }

    /// The values as a column of `type` (the kind the whole file settled on, which this
    /// chunk's kind widens to: undecided to anything, int to double).
    func column(as type: DataType) -> Column {
        let validity = present.isEmpty ? nil : Bitmap(present)
        switch type {
        case .int64:
            let values = kind == .int ? ints : [Int64](repeating: 0, count: count)
            return Column.fixed(Int64.self, count: count, validity: validity) { _ = $0.initialize(from: values) }
        case .float64:
            let values =
                kind == .double
                ? doubles : kind == .int ? ints.map { Double($0) } : [Double](repeating: 0, count: count)
            return Column.fixed(Double.self, count: count, validity: validity) { _ = $0.initialize(from: values) }
        case .bool:
            let values = kind == .bool ? bools : [Bool](repeating: false, count: count)
            return Column.bools(count: count, validity: validity) { values[$0] }
        default:
            let offsets = kind == .text ? self.offsets : [Int32](repeating: 0, count: count + 1)
            // Every field was checked as UTF-8 when it arrived, and offsets only grow.
            return Column(unchecked: .utf8, count: count, validity: validity, values: textBytes, offsets: offsets)
        }
    }
}

/// Parsing CSV fields as numbers and booleans exactly as Swift's `Int64(_:)`,
/// `Double(_:)` and "true"/"false" do, with fast paths for plain decimals.
enum CSVNumbers {
    /// `[+-]digits` that fit in Int64.
    static func int(_ field: UnsafeBufferPointer<UInt8>) -> Int64? {
        var at = 0
        var negative = false
        if field.count > 0 && (field[0] == UInt8(ascii: "-") || field[0] == UInt8(ascii: "+")) {
            negative = field[0] == UInt8(ascii: "-")
            at = 1
        }
        guard at < field.count else { return nil }
        var value: Int64 = 0
        while at < field.count {
            let digit = field[at] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) =
                negative
                ? times.subtractingReportingOverflow(Int64(digit)) : times.addingReportingOverflow(Int64(digit))
            guard !overflow1 && !overflow2 else { return nil }
            value = next
            at += 1
        }
        return value
    }

    private static let powers: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { x, _ in x * 10 } }

    /// A float as Swift's `Double(_:)` reads it. Plain decimals with at most 15
    /// significant digits and a small exponent are exact from integer arithmetic (a
    /// correctly rounded division or multiplication of exact values); the rest go to Swift.
    static func double(_ field: UnsafeBufferPointer<UInt8>) -> Double? {
        var at = 0
        var negative = false
        if field.count > 0 && (field[0] == UInt8(ascii: "-") || field[0] == UInt8(ascii: "+")) {
            negative = field[0] == UInt8(ascii: "-")
            at = 1
        }
        var mantissa: Int64 = 0
        var digits = 0
        var scale = 0
        var sawDigit = false
        var sawPoint = false
        while at < field.count {
            let byte = field[at]
            if byte == UInt8(ascii: ".") && !sawPoint {
                sawPoint = true
            } else if byte &- UInt8(ascii: "0") < 10 {
                sawDigit = true
                if mantissa != 0 || byte != UInt8(ascii: "0") { digits += 1 }
                mantissa = mantissa &* 10 &+ Int64(byte &- UInt8(ascii: "0"))
                if sawPoint { scale += 1 }
            } else {
                break
            }
            at += 1
        }
        if at == field.count && sawDigit && digits <= 15 && scale <= 22 {
            let magnitude = Double(mantissa) / powers[scale]
            return negative ? -magnitude : magnitude
        }
        return Double(String(decoding: field, as: UTF8.self))
    }

    /// "true" or "false".
    static func bool(_ field: UnsafeBufferPointer<UInt8>) -> Bool? {
        if field.elementsEqual("true".utf8) { return true }
        if field.elementsEqual("false".utf8) { return false }
        return nil
    }
}
