/// A block statistic's value as a flat run of float64s: how a worker sends its shard's
/// statistics back (`ShardStatisticTask`). The runtime stores an array of doubles as its
/// raw bytes, so this is exact (±∞ and NaN included, which JSON cannot carry) and costs a
/// copy, where JSON cost milliseconds a pass. Counts travel as doubles (exact below 2^53).
protocol FlatCodable {
    /// Appends the value to `values`.
    func write(to values: inout [Double])
    /// Reads the value `write` appended.
    /// - Throws: `MLError.invalidData` when the values run out or a count is not one.
    init(reading reader: inout FlatReader) throws
    /// What two values must share to be merged (array lengths); empty when any merge.
    var shape: [Int] { get }
}

extension FlatCodable {
    var shape: [Int] { [] }
}

/// Reads values that `FlatCodable.write` appended, checking every count against what is
/// left, so no input makes it read out of bounds or allocate more than it holds.
struct FlatReader {
    private let values: [Double]
    private var position = 0

    init(_ values: [Double]) { self.values = values }

    /// Whether every value has been read.
    var isAtEnd: Bool { position == values.count }

    mutating func double() throws -> Double {
        guard position < values.count else { throw Self.malformed("it ends early") }
        position += 1
        return values[position - 1]
    }

    /// A count or index in 0..<2^53 (and at most `limit`).
    mutating func count(atMost limit: Int = 1 << 53) throws -> Int {
        try Self.count(try double(), atMost: limit)
    }

    /// An array written by `[Double].writeArray`.
    mutating func doubles() throws -> [Double] {
        let count = try count(atMost: values.count - position - 1)
        position += count
        return Array(values[(position - count)..<position])
    }

    /// An array written by `[Double].writeArray` of counts.
    mutating func counts() throws -> [Int] {
        try doubles().map { try Self.count($0, atMost: 1 << 53) }
    }

    /// `value` as a count in 0...`limit`.
    private static func count(_ value: Double, atMost limit: Int) throws -> Int {
        guard value >= 0, value <= Double(limit), value == value.rounded() else {
            throw malformed("\(value) is not a count of at most \(limit)")
        }
        return Int(value)
    }

    /// An optional written by `[Double].writeOptional`.
    mutating func optional<Value: FlatCodable>(_: Value.Type) throws -> Value? {
        try count(atMost: 1) == 1 ? try Value(reading: &self) : nil
    }

    private static func malformed(_ reason: String) -> MLError {
        MLError.invalidData("a worker's statistics are malformed: \(reason)")
    }
}

extension [Double] {
    /// Appends `array`'s count, then its values.
    mutating func writeArray(_ array: [Double]) {
        append(Double(array.count))
        append(contentsOf: array)
    }

    /// Appends `counts` as doubles, after their count.
    mutating func writeArray(_ counts: [Int]) {
        append(Double(counts.count))
        for count in counts { append(Double(count)) }
    }

    /// Appends 0 for nil, else 1 and the value.
    mutating func writeOptional<Value: FlatCodable>(_ value: Value?) {
        append(value == nil ? 0 : 1)
        value?.write(to: &self)
    }
}

/// A list of statistics (a shard's blocks, in order) as flat values.
enum FlatList {
    static func encode<Value: FlatCodable>(_ list: [Value]) -> [Double] {
        var values = [Double(list.count)]
        for value in list { value.write(to: &values) }
        return values
    }

    /// Workers' lists as one list, in order: at least one value, all of `shape` (the first
    /// value's when nil), so any two merge and the merge has the shape the fit reads.
    /// - Throws: `MLError.invalidData` for values that are not such lists.
    static func decode<Value: FlatCodable>(_: Value.Type, joining lists: [[Double]], shape: [Int]?) throws
        -> [Value]
    {
        let values = try lists.flatMap { try decode(Value.self, from: $0) }
        guard let shape = shape ?? values.first?.shape, !values.isEmpty, values.allSatisfy({ $0.shape == shape })
        else {
            throw MLError.invalidData("a worker's statistics are malformed: none, or of different shapes")
        }
        return values
    }

    /// - Throws: `MLError.invalidData` for values that are not such a list.
    static func decode<Value: FlatCodable>(_: Value.Type, from values: [Double]) throws -> [Value] {
        var reader = FlatReader(values)
        let count = try reader.count(atMost: values.count)
        var list: [Value] = []
        for _ in 0..<count { list.append(try Value(reading: &reader)) }
        guard reader.isAtEnd else { throw MLError.invalidData("a worker's statistics are malformed: values left over") }
        return list
    }
}

extension Moments: FlatCodable {
    var shape: [Int] { [means.count, pairs ? 1 : 0] }

    func write(to values: inout [Double]) {
        values.append(Double(count))
        values.append(pairs ? 1 : 0)
        values.writeArray(means)
        values.writeArray(comoments)
    }

    init(reading reader: inout FlatReader) throws {
        let count = try reader.count()
        let pairs = try reader.count(atMost: 1) == 1
        self.init(width: 0, pairs: pairs)
        self.count = count
        means = try reader.doubles()
        comoments = try reader.doubles()
        guard comoments.count == (pairs ? means.count * means.count : means.count) else {
            throw MLError.invalidData("a worker's statistics are malformed: moments of mismatched widths")
        }
    }
}

extension ClusterSums: FlatCodable {
    var shape: [Int] { [width, counts.count] }

    func write(to values: inout [Double]) {
        values.append(Double(width))
        values.append(cost)
        values.writeArray(sums)
        values.writeArray(counts)
    }

    init(reading reader: inout FlatReader) throws {
        let width = try reader.count()
        self.init(k: 0, width: width)
        cost = try reader.double()
        sums = try reader.doubles()
        counts = try reader.counts()
        guard sums.count == counts.count * width else {
            throw MLError.invalidData("a worker's statistics are malformed: cluster sums of mismatched widths")
        }
    }
}

extension SoftmaxGradient.Partial: FlatCodable {
    var shape: [Int] { [gradient.count] }

    func write(to values: inout [Double]) {
        values.append(loss)
        values.writeArray(gradient)
    }

    init(reading reader: inout FlatReader) throws {
        let loss = try reader.double()
        self.init(loss: loss, gradient: try reader.doubles())
    }
}

extension ClassSummary.Invalid: FlatCodable {
    func write(to values: inout [Double]) {
        values.append(Double(row))
        values.append(value)
    }

    init(reading reader: inout FlatReader) throws {
        let row = try reader.count()
        self.init(row: row, value: try reader.double())
    }
}

extension ClassSummary.Partial: FlatCodable {
    var shape: [Int] { moments.shape }

    func write(to values: inout [Double]) {
        moments.write(to: &values)
        values.writeArray(classCounts)
        values.writeOptional(invalidLabel)
    }

    init(reading reader: inout FlatReader) throws {
        let moments = try Moments(reading: &reader)
        let counts = try reader.counts()
        self.init(moments: moments, classCounts: counts, invalidLabel: try reader.optional(ClassSummary.Invalid.self))
    }
}

extension ClassConditionalSums.Negative: FlatCodable {
    func write(to values: inout [Double]) {
        values.append(Double(row))
        values.append(Double(column))
        values.append(value)
    }

    init(reading reader: inout FlatReader) throws {
        let (row, column) = (try reader.count(), try reader.count())
        self.init(row: row, column: column, value: try reader.double())
    }
}

extension ClassConditionalSums.Partial: FlatCodable {
    var shape: [Int] { [width, moments == nil ? 0 : 1] }

    func write(to values: inout [Double]) {
        values.append(Double(width))
        values.writeArray(counts)
        values.writeArray(sums)
        values.append(moments == nil ? 0 : 1)
        for moment in moments ?? [] { moment.write(to: &values) }
        values.writeOptional(invalidLabel)
        values.writeOptional(negative)
    }

    init(reading reader: inout FlatReader) throws {
        self.init(width: try reader.count())
        counts = try reader.counts()
        sums = try reader.doubles()
        guard sums.count == counts.count * width else {
            throw MLError.invalidData("a worker's statistics are malformed: class sums of mismatched widths")
        }
        if try reader.count(atMost: 1) == 1 {
            moments = try counts.indices.map { _ in
                let moment = try Moments(reading: &reader)
                guard moment.width == width, !moment.pairs else {
                    throw MLError.invalidData("a worker's statistics are malformed: class moments of another width")
                }
                return moment
            }
        }
        invalidLabel = try reader.optional(ClassSummary.Invalid.self)
        negative = try reader.optional(ClassConditionalSums.Negative.self)
    }
}

extension ColumnRanges.Partial: FlatCodable {
    var shape: [Int] { [lows.count, highs.count] }

    func write(to values: inout [Double]) {
        values.writeArray(lows)
        values.writeArray(highs)
    }

    init(reading reader: inout FlatReader) throws {
        let lows = try reader.doubles()
        self.init(lows: lows, highs: try reader.doubles())
    }
}

extension CandidatePass.Partial: FlatCodable {
    func write(to values: inout [Double]) {
        values.append(cost)
        values.writeArray(rows)
        values.writeArray(weights)
    }

    init(reading reader: inout FlatReader) throws {
        let cost = try reader.double()
        let rows = try reader.doubles()
        self.init(cost: cost, rows: rows, weights: try reader.counts())
    }
}

extension MixtureStep.Partial: FlatCodable {
    var shape: [Int] { [mass.count, first.count, second.count] }

    func write(to values: inout [Double]) {
        values.append(logLikelihood)
        values.writeArray(mass)
        values.writeArray(first)
        values.writeArray(second)
    }

    init(reading reader: inout FlatReader) throws {
        self.init(k: 0, width: 0)
        logLikelihood = try reader.double()
        mass = try reader.doubles()
        first = try reader.doubles()
        second = try reader.doubles()
        let width = mass.isEmpty ? 0 : first.count / mass.count
        guard first.count == mass.count * width, second.count == mass.count * width * width else {
            throw MLError.invalidData("a worker's statistics are malformed: mixture sums of mismatched widths")
        }
    }
}
