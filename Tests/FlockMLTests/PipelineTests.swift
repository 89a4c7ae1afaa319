import FlockData
import Testing

@testable import FlockML

@Suite("Scaling, pipelines and regression metrics")
struct PipelineTests {
    @Test("StandardScaler: scaled columns have mean 0 and sample deviation 1; a constant column scales to 0")
    func scaler() throws {
        let values: [Double?] = [1, 2, 3, 4, 10]
        let frame = DataFrame(
            try RecordBatch(names: ["a", "c"], columns: [Column(values), Column([5.0, 5, 5, 5, 5] as [Double?])]))
        let model = try StandardScaler(inputColumns: ["a", "c"], withMean: true).fit(frame)
        #expect(model.means == [4, 5])
        let scaled = try model.transform(frame).collect()
        let a = try (0..<5).map { i -> Double in
            guard case .double(let x)? = try scaled.column("a_scaled")[i] else { return .nan }
            return x
        }
        #expect(abs(a.reduce(0, +)) < 1e-12)
        #expect(abs(a.reduce(0) { $0 + $1 * $1 } / 4 - 1) < 1e-12)
        #expect(try scaled.column("c_scaled")[2] == .double(0))
        let onlyStd = try StandardScaler(inputColumns: ["a"]).fit(frame).transform(frame).collect()
        #expect(try onlyStd.column("a_scaled")[0] == .double(1 / model.deviations[0]))
        #expect(throws: MLError.self) { try StandardScaler(inputColumns: ["a"], outputColumns: []).fit(frame) }
    }

    @Test("MinMaxScaler maps each column's range onto [min, max]; a constant column to the middle")
    func minMax() throws {
        let frame = DataFrame(
            try RecordBatch(
                names: ["a", "c"], columns: [Column([2.0, 4, 10] as [Double?]), Column([5.0, 5, 5] as [Double?])]))
        let model = try MinMaxScaler(inputColumns: ["a", "c"], min: -1, max: 1).fit(frame)
        #expect(model.originalMin == [2, 5] && model.originalMax == [10, 5])
        let scaled = try model.transform(frame).collect()
        #expect(try scaled.column("a_scaled") == Column([-1.0, -0.5, 1] as [Double?]))
        #expect(try scaled.column("c_scaled") == Column([0.0, 0, 0] as [Double?]))
        #expect(throws: MLError.self) { try MinMaxScaler(inputColumns: ["a"], min: 1, max: 1).fit(frame) }
    }

    @Test("a pipeline fits each stage on what the stages before it made, and the model replays them")
    func pipeline() throws {
        let xs: [Double?] = (0..<200).map { Double($0) }
        let ys: [Double?] = xs.map { 4 * $0! + 1 }
        let frame = DataFrame(try RecordBatch(names: ["x", "y"], columns: [Column(xs), Column(ys)]))
        let model = try Pipeline(stages: [
            StandardScaler(inputColumns: ["x"], withMean: true),
            LinearRegression(featureColumns: ["x_scaled"], labelColumn: "y"),
        ]).fit(frame)
        #expect(model.stages.count == 2)
        let predicted = try model.transform(frame)
        #expect(try RegressionEvaluator(metric: .mae, labelColumn: "y").evaluate(predicted) < 1e-9)
        #expect(try predicted.collect().names == ["x", "y", "x_scaled", "prediction"])
    }

    @Test("regression metrics equal their definitions")
    func metrics() throws {
        let labels: [Double] = [1, 2, 3, 4]
        let predictions: [Double] = [1.5, 1.5, 3, 5]
        let frame = DataFrame(
            try RecordBatch(
                names: ["label", "prediction"],
                columns: [Column(labels.map { $0 }), Column(predictions.map { $0 })]))
        let sse = 0.25 + 0.25 + 0 + 1.0
        func score(_ metric: RegressionEvaluator.Metric) throws -> Double {
            try RegressionEvaluator(metric: metric).evaluate(frame)
        }
        #expect(try score(.mse) == sse / 4)
        #expect(try score(.rmse) == (sse / 4).squareRoot())
        #expect(try score(.mae) == 2.0 / 4)
        #expect(abs(try score(.r2) - (1 - sse / 5)) < 1e-15)
    }

    @Test("block moments: the same bits run after run, and an accurate mean and variance of large values")
    func blockTree() throws {
        let values = (0..<100_000).map { 1e8 + Double($0 % 97) * 0.1 }
        let moments = Moments.of(values, width: 1, pairs: false)
        let again = Moments.of(values, width: 1, pairs: false)
        #expect(moments.means == again.means && moments.comoments == again.comoments)
        // Exactly: the mean and variance of 0.1 * (i % 97) over the rows, shifted by 1e8.
        let residues = (0..<100_000).map { Double($0 % 97) * 0.1 }
        let mean = residues.reduce(0, +) / 1e5
        let variance = residues.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (1e5 - 1)
        #expect(abs(moments.means[0] - (1e8 + mean)) < 1e-14 * 1e8)  // A few ulps of 1e8.
        #expect(abs(moments.variance(0) - variance) < 1e-6 * variance)
    }
}
