import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("Text features: Tokenizer, HashingTF, IDF")
struct TextFeatureTests {
    static func texts(_ values: [String?], name: String = "text") throws -> DataFrame {
        DataFrame(try RecordBatch(names: [name], columns: [Column(values)]))
    }

    @Test("MurmurHash3 x86 32 with seed 42 gives scikit-learn's murmurhash3_32(word, seed=42)")
    func murmur() {
        // From scikit-learn 1.9.1: sklearn.utils.murmurhash3_32(word, seed=42) (signed).
        let reference: [String: Int32] = [
            "": 142_593_372, "a": -1_293_573_533, "ab": -684_913_081, "abc": 1_313_807_976, "abcd": -396_302_900,
            "hello": -488_910_111, "spark": -226_056_714, "flöck": -174_646_018, "日本語": -976_822_600,
            "the quick brown fox": -1_980_964_478,
        ]
        for (word, hash) in reference {
            #expect(Int32(bitPattern: MurmurHash3.hash32(Array(word.utf8), seed: 42)) == hash, "\(word)")
        }
    }

    @Test("words lowercased and split on white space; short words dropped; null stays null; not text refused")
    func tokenizer() throws {
        let frame = try Self.texts(["Hello  World\tFOO bar\n", nil, "   ", "a bb ccc"])
        let out = try Tokenizer(inputColumn: "text", minTokenLength: 2).transform(frame).collect()
        let words = try Tokenizer.texts(out, "text_tokens", stage: "test")
        #expect(words == ["hello world foo bar", nil, "", "bb ccc"])
        let numbers = DataFrame(try RecordBatch(names: ["text"], columns: [Column([1.0] as [Double?])]))
        #expect(throws: MLError.self) { try Tokenizer(inputColumn: "text").transform(numbers) }
        #expect(throws: MLError.self) { try Tokenizer(inputColumn: "words").transform(frame) }
    }

    @Test("hashed counts land on each word's feature; binary marks presence; numFeatures checked")
    func hashing() throws {
        let frame = try Self.texts(["a b a", nil, "c"])
        let hashing = HashingTF(inputColumn: "text", numFeatures: 16)
        let out = try hashing.transform(frame).collect()
        let counts = try FeatureMatrix(out, columns: hashing.outputColumns)
        var expected = [Double](repeating: 0, count: 3 * 16)
        for (row, words) in [["a", "b", "a"], [], ["c"]].enumerated() {
            for word in words { expected[row * 16 + hashing.index(of: word)] += 1 }
        }
        #expect(counts.values == expected)
        #expect(hashing.index(of: "a") == (Int(-1_293_573_533) % 16 + 16) % 16)
        var binary = hashing
        binary.binary = true
        let marks = try FeatureMatrix(try binary.transform(frame).collect(), columns: binary.outputColumns)
        #expect(marks.values == expected.map { min($0, 1) })
        #expect(throws: MLError.self) { try HashingTF(inputColumn: "text", numFeatures: 0).transform(frame) }
    }

    @Test("IDF weights are ln((m + 1) / (df + 1)); minDocFreq zeroes rare terms; saved and loaded")
    func idf() throws {
        let values: [[Double?]] = [[1, 0, 2, 0], [0, 0, 3, 1], [4, 0, 1, 0]]
        let names = ["t0", "t1", "t2", "t3"]
        let frame = DataFrame(
            try RecordBatch(names: names, columns: (0..<4).map { j in Column(values.map { $0[j] }) }))
        let model = try IDF(inputColumns: names).fit(frame)
        #expect(model.docFreq == [2, 0, 3, 1])
        #expect(model.idf == [log(4.0 / 3), log(4.0), 0, log(2.0)])
        let weighted = try FeatureMatrix(try model.transform(frame).collect(), columns: model.outputColumns)
        #expect(weighted.values[4 * 0 + 2] == 0 && weighted.values[4 * 2 + 0] == 4 * log(4.0 / 3))
        #expect(try IDF(inputColumns: names, minDocFreq: 2).fit(frame).idf == [log(4.0 / 3), 0, 0, 0])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("idf-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile.save(model, to: path)
        #expect(try ModelFile.load(IDFModel.self, from: path) == model)
        #expect(throws: MLError.self) { try IDF(inputColumns: names, minDocFreq: -1).fit(frame) }
    }

    @Test("Tokenizer, HashingTF, IDF and logistic regression tell two topics apart; the pipeline saves and loads")
    func pipeline() throws {
        var random = RandomStream(seed: 3)
        let sport = ["goal", "match", "team", "score", "league", "coach", "Goal!"]
        let money = ["bank", "rate", "stock", "market", "fund", "price", "STOCK"]
        let shared = ["the", "a", "today", "news", "said"]
        func document(_ topic: [String]) -> String {
            (0..<12).map { _ in random.unit() < 0.6 ? topic[random.below(topic.count)] : shared[random.below(5)] }
                .joined(separator: " ")
        }
        var (texts, labels): ([String?], [Double?]) = ([], [])
        for i in 0..<300 {
            texts.append(document(i % 2 == 0 ? sport : money))
            labels.append(Double(i % 2))
        }
        let frame = DataFrame(try RecordBatch(names: ["text", "label"], columns: [Column(texts), Column(labels)]))
        let hashing = HashingTF(inputColumn: "text_tokens", numFeatures: 64)
        let idf = IDF(inputColumns: hashing.outputColumns)
        let model = try Pipeline(stages: [
            Tokenizer(inputColumn: "text"), hashing, idf,
            LogisticRegression(featureColumns: idf.outputColumns, labelColumn: "label"),
        ]).fit(frame)
        let accuracy = try MulticlassClassificationEvaluator(metric: .accuracy, labelColumn: "label")
            .evaluate(try model.transform(frame))
        #expect(accuracy > 0.97, "accuracy \(accuracy)")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("text-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile.save(model, to: path)
        let loaded = try ModelFile.loadPipeline(from: path)
        #expect(
            try FeatureMatrix(try loaded.transform(frame).collect(), columns: ["prediction"]).values
                == (try FeatureMatrix(try model.transform(frame).collect(), columns: ["prediction"]).values))
    }
}
