import FlockData

/// Word counts as `numFeatures` numeric columns (Spark ML's `HashingTF`): each word of a
/// row's tokens (`Tokenizer`'s space-separated text) adds 1 to feature
/// `murmur3(word, seed 42) mod numFeatures` (`MurmurHash3`), or sets it to 1 with `binary`.
/// Words that hash alike share a feature; more features, fewer collisions. FlockData has
/// no vector column yet, so the features are columns `tf_0`, `tf_1`, ... (`outputColumns`),
/// which is why `numFeatures` is at most 65,536 and defaults to 1,024 (Spark: 2^18).
/// A null text counts no words.
public struct HashingTF: Transformer, Codable, Equatable {
    public var inputColumn: String
    /// Prefix of the feature columns (default "tf").
    public var outputColumn: String
    /// Features (1 ... 65,536; default 1,024).
    public var numFeatures: Int
    /// 1 for a word that occurs, instead of its count (default false).
    public var binary: Bool

    /// Counts of the words in `inputColumn`.
    public init(inputColumn: String, outputColumn: String = "tf", numFeatures: Int = 1_024, binary: Bool = false) {
        self.inputColumn = inputColumn
        self.outputColumn = outputColumn
        self.numFeatures = numFeatures
        self.binary = binary
    }

    /// The feature columns' names, in feature order (for `IDF` or a model's features).
    public var outputColumns: [String] { (0..<numFeatures).map { "\(outputColumn)_\($0)" } }

    /// The feature `word` counts toward.
    public func index(of word: some StringProtocol) -> Int {
        let hash = Int(Int32(bitPattern: MurmurHash3.hash32(word.utf8, seed: 42)))
        return (hash % numFeatures + numFeatures) % numFeatures
    }

    /// The frame with the feature columns added.
    /// - Throws: `MLError.invalidParameter` for `numFeatures` out of range; `.invalidData`
    ///   for a missing column or one that is not text, or a feature column that exists.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        guard (1...65_536).contains(numFeatures) else {
            throw MLError.invalidParameter(name: "numFeatures", value: "\(numFeatures)", allowed: "1 ... 65,536")
        }
        var batch = try frame.collect()
        let texts = try Tokenizer.texts(batch, inputColumn, stage: "HashingTF")
        var features = [[Double?]](repeating: [Double?](repeating: 0, count: texts.count), count: numFeatures)
        for (row, text) in texts.enumerated() {
            for word in text?.split(separator: " ") ?? [] {
                let j = index(of: word)
                features[j][row] = binary ? 1 : features[j][row]! + 1
            }
        }
        do {
            for (name, column) in zip(outputColumns, features) { batch = try batch.adding(name, Column(column)) }
        } catch let error as DataError {
            throw MLError.invalidData("\(error)")
        }
        return DataFrame(batch)
    }
}

extension HashingTF: SavableModel { public static let modelType = "HashingTF" }
