/// The names and types of a plan's output columns, known before anything runs: it is what
/// expressions are checked against when a plan is built.
public struct Schema: Sendable, Equatable, Codable, CustomStringConvertible {
    /// One output column.
    public struct Field: Sendable, Equatable, Codable {
        /// The column's name.
        public var name: String
        /// The type of its values.
        public var type: DataType
    }

    /// The columns, in order.
    public var fields: [Field]

    /// A schema of `fields`.
    public init(_ fields: [Field]) { self.fields = fields }

    /// The schema of `batch`.
    public init(of batch: RecordBatch) {
        fields = zip(batch.names, batch.columns).map { Field(name: $0.0, type: $0.1.type) }
    }

    /// The column names, in order.
    public var names: [String] { fields.map(\.name) }

    /// The position of the column named `name`.
    /// - Throws: `DataError.unknownColumn` with the names there are and the nearest one.
    public func index(of name: String) throws -> Int {
        guard let index = fields.firstIndex(where: { $0.name == name }) else {
            throw DataError.unknownColumn(name, available: names)
        }
        return index
    }

    /// The type of the column named `name`.
    /// - Throws: `DataError.unknownColumn` as `index(of:)` does.
    public func type(of name: String) throws -> DataType { fields[try index(of: name)].type }

    /// Throws `DataError.malformedBatch` when two fields share a name.
    func checkUnique(in operation: String) throws {
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw DataError.malformedBatch("\(operation) would make two columns named \"\(name)\"; alias one")
        }
    }

    public var description: String { fields.map { "\($0.name): \($0.type)" }.joined(separator: ", ") }
}
