import FlockData

/// Splits text into lowercase words (Spark ML's `Tokenizer`: lowercased, split on white
/// space; with `minTokenLength` as its `RegexTokenizer` has it). FlockData has no list
/// column yet, so the words travel as one text value, separated by single spaces, which
/// is what `HashingTF` reads:
///
///     let words = Tokenizer(inputColumn: "review")      // review_tokens: "great phone but"
///     let counts = HashingTF(inputColumn: "review_tokens", numFeatures: 1024)
///
/// A null text gives a null; text with no words gives "".
public struct Tokenizer: Transformer, Codable, Equatable {
    public var inputColumn: String
    /// Where the words go; default: the input name with `_tokens` appended.
    public var outputColumn: String
    /// Words shorter than this (in characters) are dropped; default 1 (none).
    public var minTokenLength: Int

    /// A tokenizer of `inputColumn`.
    public init(inputColumn: String, outputColumn: String? = nil, minTokenLength: Int = 1) {
        self.inputColumn = inputColumn
        self.outputColumn = outputColumn ?? inputColumn + "_tokens"
        self.minTokenLength = minTokenLength
    }

    /// The words of `text`, lowercased, in order.
    func words(_ text: String) -> [Substring] {
        text.lowercased().split(whereSeparator: \.isWhitespace).filter { $0.count >= minTokenLength }
    }

    /// The frame with each row's words added.
    /// - Throws: `MLError.invalidParameter` for a minimum length below 1; `.invalidData`
    ///   for a missing column or one that is not text.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        try Parameter.atLeast("minTokenLength", Double(minTokenLength), 1)
        let batch = try frame.collect()
        let texts = try Self.texts(batch, inputColumn, stage: "Tokenizer")
        let joined = texts.map { $0.map { words($0).joined(separator: " ") } }
        do {
            return DataFrame(try batch.adding(outputColumn, Column(joined)))
        } catch let error as DataError {
            throw MLError.invalidData("\(error)")
        }
    }

    /// Column `name`'s values as text (nil for nulls).
    /// - Throws: `MLError.invalidData` for a missing column or one that is not text.
    static func texts(_ batch: RecordBatch, _ name: String, stage: String) throws -> [String?] {
        try FeatureColumns.texts(batch, name, accepts: \.isText, takes: "\(stage) takes a text column")
    }
}

extension Tokenizer: SavableModel { public static let modelType = "Tokenizer" }
