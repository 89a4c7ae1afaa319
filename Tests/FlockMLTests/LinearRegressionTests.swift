import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("Linear regression by the normal equations")
struct LinearRegressionTests {
    /// `rows` rows of three features (one with a large offset) and y = 3 x0 - 2 x1 + 0.5 x2 + 7 + noise.
    static func frame(rows: Int, noise: Double, seed: UInt64 = 1) throws -> DataFrame {
        var state = seed
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var columns: [[Double?]] = [[], [], [], []]
        for _ in 0..<rows {
            let x = [uniform(), uniform() * 10, 1e6 + uniform()]
            let y = 3 * x[0] - 2 * x[1] + 0.5 * x[2] + 7 + noise * (uniform() - 0.5)
            for j in 0..<3 { columns[j].append(x[j]) }
            columns[3].append(y)
        }
        return DataFrame(
            try RecordBatch(names: ["x0", "x1", "x2", "y"], columns: columns.map { Column($0) }))
    }

    @Test("noiseless data: the exact coefficients and intercept, predictions and a perfect R2")
    func exactFit() throws {
        let frame = try Self.frame(rows: 50_000, noise: 0)
        let model = try LinearRegression(featureColumns: ["x0", "x1", "x2"], labelColumn: "y").fit(frame)
        for (got, want) in zip(model.coefficients, [3.0, -2.0, 0.5]) { #expect(abs(got - want) < 1e-6) }
        #expect(abs(model.intercept - 7) < 1e-3)  // x2 is about 1e6: the intercept absorbs its rounding.
        let predicted = try model.transform(frame)
        let r2 = try RegressionEvaluator(metric: .r2, labelColumn: "y").evaluate(predicted)
        #expect(r2 > 1 - 1e-12)
        #expect(try RegressionEvaluator(metric: .rmse, labelColumn: "y").evaluate(predicted) < 1e-6)
    }

    @Test("one feature: the textbook slope and intercept; a penalty shrinks the slope as (Sxy/n) / (Sxx/n + λ)")
    func oneFeature() throws {
        let xs: [Double] = [1, 2, 4, 7, 11, 16]
        let ys: [Double] = [2.5, 3.1, 6.8, 9.0, 15.2, 20.1]
        let frame = DataFrame(
            try RecordBatch(names: ["x", "y"], columns: [Column(xs.map { $0 }), Column(ys.map { $0 })]))
        let n = Double(xs.count)
        let (mx, my) = (xs.reduce(0, +) / n, ys.reduce(0, +) / n)
        let sxy = zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / n
        let sxx = xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) } / n
        for lambda in [0.0, 0.5, 3.0] {
            let model = try LinearRegression(featureColumns: ["x"], labelColumn: "y", regParam: lambda).fit(frame)
            let slope = sxy / (sxx + lambda)
            #expect(abs(model.coefficients[0] - slope) < 1e-12)
            #expect(abs(model.intercept - (my - slope * mx)) < 1e-12)
        }
        let origin = try LinearRegression(featureColumns: ["x"], labelColumn: "y", fitIntercept: false).fit(frame)
        let through = zip(xs, ys).reduce(0) { $0 + $1.0 * $1.1 } / xs.reduce(0) { $0 + $1 * $1 }
        #expect(abs(origin.coefficients[0] - through) < 1e-12 && origin.intercept == 0)
    }

    @Test("the model does not depend on how the rows are cut into morsels")
    func sameBits() throws {
        let batch = try Self.frame(rows: 70_000, noise: 1).collect()
        let models = try [1 << 18, 4_099, 65_536].map { morselRows in
            try LinearRegression(featureColumns: ["x0", "x1", "x2"], labelColumn: "y")
                .fit(DataFrame(batch, morselRows: morselRows))
        }
        #expect(models.allSatisfy { $0 == models[0] })
    }

    @Test("bad input: a negative penalty, no features, a NaN, a text column, collinear features, no rows")
    func badInput() throws {
        let frame = try Self.frame(rows: 100, noise: 1)
        #expect(throws: MLError.invalidParameter(name: "regParam", value: "-1.0", allowed: "a finite number >= 0.0")) {
            try LinearRegression(featureColumns: ["x0"], labelColumn: "y", regParam: -1).fit(frame)
        }
        #expect(throws: MLError.self) { try LinearRegression(featureColumns: [], labelColumn: "y").fit(frame) }
        let nan = DataFrame(
            try RecordBatch(
                names: ["x", "y"], columns: [Column([1.0, .nan, 3.0] as [Double?]), Column([1.0, 2, 3] as [Double?])]))
        do {
            _ = try LinearRegression(featureColumns: ["x"], labelColumn: "y").fit(nan)
            Issue.record("a NaN feature was accepted")
        } catch let error as MLError {
            #expect("\(error)".contains("column \"x\"") && "\(error)".contains("row 1"))
        }
        let text = DataFrame(
            try RecordBatch(
                names: ["x", "y"], columns: [Column(["a", "b"] as [String?]), Column([1.0, 2] as [Double?])]))
        #expect(throws: MLError.self) { try LinearRegression(featureColumns: ["x"], labelColumn: "y").fit(text) }
        let twins = try frame.withColumn("twin", col("x0") * lit(2.0))
        #expect(throws: MLError.self) {
            try LinearRegression(featureColumns: ["x0", "twin"], labelColumn: "y").fit(twins)
        }
        #expect(
            try LinearRegression(featureColumns: ["x0", "twin"], labelColumn: "y", regParam: 0.1).fit(twins)
                .coefficients.count == 2)
        let empty = try frame.filter(col("x0") < lit(-1.0))
        #expect(throws: MLError.invalidData("no rows to fit a LinearRegression on")) {
            try LinearRegression(featureColumns: ["x0"], labelColumn: "y").fit(empty)
        }
    }
}
