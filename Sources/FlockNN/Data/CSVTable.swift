import FlockTensor
import Foundation

/// Why a numeric CSV file could not be read.
public enum CSVError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The file has no header or no data rows.
    case empty(path: String)
    /// A row has a different number of fields than the header.
    case wrongFieldCount(path: String, line: Int, expected: Int, got: Int)
    /// A field is not a number.
    case notANumber(path: String, line: Int, column: String, text: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "\(path): cannot be read: \(reason)"
        case .empty(let path): "\(path): no header or no data rows"
        case .wrongFieldCount(let path, let line, let expected, let got):
            "\(path):\(line): \(got) fields, the header has \(expected)"
        case .notANumber(let path, let line, let column, let text):
            "\(path):\(line): column '\(column)' holds '\(text)', which is not a number"
        }
    }
}

/// A numeric table read from CSV with a header row: every column but the last is a
/// feature, the last is an integer class label (the layout of the bundled data sets).
public struct CSVTable {
    /// Column names from the header.
    public let columns: [String]
    /// Features, float32 [rows, columns - 1].
    public let features: Tensor
    /// Labels, int64 [rows].
    public let labels: Tensor

    /// Reads `path`.
    /// - Throws: `CSVError` naming the file, line and column of the first problem.
    public init(contentsOf path: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CSVError.unreadable(path: path, reason: error.localizedDescription)
        }
        try self.init(parsing: text, path: path)
    }

    /// Parses CSV text (`path` is only used in error messages).
    public init(parsing text: String, path: String = "<text>") throws {
        var lines = text.split(whereSeparator: \.isNewline).map(String.init).enumerated().filter {
            !$0.element.trimmingCharacters(in: .whitespaces).isEmpty
        }
        guard !lines.isEmpty else { throw CSVError.empty(path: path) }
        let header = lines.removeFirst().element.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard header.count >= 2, !lines.isEmpty else { throw CSVError.empty(path: path) }
        var features: [Float] = []
        var labels: [Int64] = []
        features.reserveCapacity(lines.count * (header.count - 1))
        for (index, line) in lines {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == header.count else {
                throw CSVError.wrongFieldCount(path: path, line: index + 1, expected: header.count, got: fields.count)
            }
            for (column, field) in fields.enumerated() {
                let trimmed = field.trimmingCharacters(in: .whitespaces)
                guard let value = Double(trimmed), value.isFinite else {
                    throw CSVError.notANumber(path: path, line: index + 1, column: header[column], text: trimmed)
                }
                if column == fields.count - 1 {
                    guard value.rounded() == value, Swift.abs(value) < 1e15 else {
                        throw CSVError.notANumber(path: path, line: index + 1, column: header[column], text: trimmed)
                    }
                    labels.append(Int64(value))
                } else {
                    features.append(Float(value))
                }
            }
        }
        columns = header
        self.features = try Tensor(features, shape: [labels.count, header.count - 1])
        self.labels = Tensor(labels)
    }
}
