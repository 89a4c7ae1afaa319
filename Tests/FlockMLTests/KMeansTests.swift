import FlockData
import Testing

@testable import FlockML

@Suite("k-means by Lloyd's iterations")
struct KMeansTests {
    /// Three tight blobs around (0, 0), (10, 0) and (0, 10), `perBlob` rows each, interleaved.
    static func blobs(perBlob: Int) throws -> DataFrame {
        var random = RandomStream(seed: 3)
        var (xs, ys): ([Double?], [Double?]) = ([], [])
        for i in 0..<(3 * perBlob) {
            let center: (Double, Double) = [(0, 0), (10, 0), (0, 10)][i % 3]
            xs.append(center.0 + random.unit() - 0.5)
            ys.append(center.1 + random.unit() - 0.5)
        }
        return DataFrame(try RecordBatch(names: ["x", "y"], columns: [Column(xs), Column(ys)]))
    }

    @Test(
        "separated blobs: k-means|| and k-means++ find their centres; the cost is the rows' squared distances",
        arguments: [KMeans.InitMode.kMeansParallel, .kMeansPlusPlus])
    func blobsFound(mode: KMeans.InitMode) throws {
        let frame = try Self.blobs(perBlob: 20_000)
        let model = try KMeans(featureColumns: ["x", "y"], k: 3, seed: 7, initMode: mode).fit(frame)
        for expected in [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]] {
            #expect(
                model.clusterCenters.contains { abs($0[0] - expected[0]) < 0.02 && abs($0[1] - expected[1]) < 0.02 })
        }
        let batch = try model.transform(frame).collect()
        var cost = 0.0
        for row in 0..<batch.rowCount {
            guard case .int(let c)? = try batch.column("prediction")[row],
                case .double(let x)? = try batch.column("x")[row],
                case .double(let y)? = try batch.column("y")[row]
            else { continue }
            let center = model.clusterCenters[Int(c)]
            cost += (x - center[0]) * (x - center[0]) + (y - center[1]) * (y - center[1])
        }
        #expect(abs(cost - model.trainingCost) < 1e-9 * cost)
        #expect(abs(try model.cost(frame) - model.trainingCost) < 1e-9 * cost)
    }

    @Test("from a fixed start, one round moves each centre to the mean of its rows")
    func oneRound() throws {
        let frame = DataFrame(
            try RecordBatch(names: ["x"], columns: [Column([0.0, 1, 2, 10, 11, 30] as [Double?])]))
        let model = try KMeans(featureColumns: ["x"], k: 2, maxIter: 1, initialCenters: [[0], [20]]).fit(frame)
        #expect(model.clusterCenters == [[3.25], [20.5]])  // {0, 1, 2, 10} (a tie goes to the first) and {11, 30}.
        let settled = try KMeans(featureColumns: ["x"], k: 2, maxIter: 10, initialCenters: [[0], [20]]).fit(frame)
        #expect(settled.clusterCenters == [[4.8], [30]])  // {0, 1, 2, 10, 11} and {30}.
        let cost = [0.0, 1, 2, 10, 11].reduce(0) { $0 + ($1 - 4.8) * ($1 - 4.8) }
        #expect(abs(settled.trainingCost - cost) < 1e-12)
    }

    @Test("the same seed, the same model, however the rows are cut into morsels")
    func sameBits() throws {
        let batch = try Self.blobs(perBlob: 10_000).collect()
        let models = try [1 << 18, 4_099].map { rows in
            try KMeans(featureColumns: ["x", "y"], k: 4, seed: 11).fit(DataFrame(batch, morselRows: rows))
        }
        #expect(models[0] == models[1])
    }

    @Test("bad input: k above the rows, a start of the wrong shape, k of 0")
    func badInput() throws {
        let frame = DataFrame(try RecordBatch(names: ["x"], columns: [Column([1.0, 2] as [Double?])]))
        #expect(throws: MLError.invalidData("k is 3 but there are only 2 rows; k must be at most the rows")) {
            try KMeans(featureColumns: ["x"], k: 3).fit(frame)
        }
        #expect(throws: MLError.self) {
            try KMeans(featureColumns: ["x"], k: 2, initialCenters: [[1, 2], [3, 4]]).fit(frame)
        }
        #expect(throws: MLError.self) { try KMeans(featureColumns: ["x"], k: 0).fit(frame) }
        #expect(throws: MLError.self) { try KMeans(featureColumns: ["x"], k: 1, initSteps: -1).fit(frame) }
    }

    @Test("k-means|| with fewer distinct rows than k: every distinct row is a centre, the rest repeat")
    func fewDistinctRows() throws {
        let frame = DataFrame(try RecordBatch(names: ["x"], columns: [Column([1.0, 1, 5, 5, 5] as [Double?])]))
        let model = try KMeans(featureColumns: ["x"], k: 3).fit(frame)
        #expect(Set(model.clusterCenters.map { $0[0] }) == [1, 5])
        #expect(model.trainingCost == 0)
    }
}
