import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("One-hot encoding and polynomial expansion")
struct EncoderTests {
    @Test("one-hot: indicator columns, the last dropped, unseen indices an error, kept or skipped")
    func oneHot() throws {
        let train = DataFrame(
            try RecordBatch(names: ["c"], columns: [Column([0.0, 2, 1, 2] as [Double?])]))
        let model = try OneHotEncoder(inputColumns: ["c"]).fit(train)
        #expect(model.categorySizes == [3])
        #expect(model.outputNames(0) == ["c_vec_0", "c_vec_1"])
        let encoded = try model.transform(train).collect()
        #expect(try FeatureMatrix(encoded, columns: ["c_vec_0", "c_vec_1"]).values == [1, 0, 0, 0, 0, 1, 0, 0])
        let unseen = DataFrame(try RecordBatch(names: ["c"], columns: [Column([1.0, 5, nil] as [Double?])]))
        #expect(throws: MLError.self) { try model.transform(unseen) }
        let kept = try OneHotEncoder(inputColumns: ["c"], dropLast: false, handleInvalid: .keep).fit(train)
        let keptRows = try kept.transform(unseen).collect()
        #expect(
            try FeatureMatrix(keptRows, columns: kept.outputNames(0)).values == [0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1])
        let skipped = try OneHotEncoder(inputColumns: ["c"], handleInvalid: .skip).fit(train).transform(unseen)
        #expect(try skipped.collect().rowCount == 1)
        let bad = DataFrame(try RecordBatch(names: ["c"], columns: [Column([0.5] as [Double?])]))
        #expect(throws: MLError.self) { try OneHotEncoder(inputColumns: ["c"]).fit(bad) }
    }

    @Test("polynomial expansion: scikit-learn's terms and values for degree 3; a linear fit on them is exact")
    func polynomial() throws {
        let frame = DataFrame(
            try RecordBatch(
                names: ["x", "y"],
                columns: [Column([1.0, 2, -1, 3, 0.5] as [Double?]), Column([2.0, 0, 4, 1, -2] as [Double?])]))
        let expansion = PolynomialExpansion(inputColumns: ["x", "y"], degree: 3)
        #expect(expansion.terms == ["x", "y", "x^2", "x*y", "y^2", "x^3", "x^2*y", "x*y^2", "y^3"])
        let expanded = try expansion.transform(frame).collect()
        let names = (0..<9).map { "poly_\($0)" }
        let values = try FeatureMatrix(expanded, columns: names).values
        #expect(Array(values[0..<9]) == [1, 2, 1, 2, 4, 1, 2, 4, 8])
        #expect(Array(values[27..<36]) == [3, 1, 9, 3, 1, 27, 9, 3, 1])
        // t = 1 + x² - xy is linear in the degree-2 terms of 20 points.
        let xs = (0..<20).map { Double($0 % 7) - 3 }
        let ys = (0..<20).map { Double($0 % 5) * 0.5 }
        let points = DataFrame(
            try RecordBatch(
                names: ["x", "y", "t"],
                columns: [
                    Column(xs.map { Optional($0) }), Column(ys.map { Optional($0) }),
                    Column(zip(xs, ys).map { Optional(1 + $0 * $0 - $0 * $1) }),
                ]))
        let squares = try PolynomialExpansion(inputColumns: ["x", "y"]).transform(points)
        let model = try LinearRegression(featureColumns: Array(names[0..<5]), labelColumn: "t").fit(squares)
        #expect(
            zip(model.coefficients, [0.0, 0, 1, -1, 0]).allSatisfy { abs($0 - $1) < 1e-9 }, "\(model.coefficients)")
        #expect(abs(model.intercept - 1) < 1e-9)
        #expect(throws: MLError.self) { try PolynomialExpansion(inputColumns: ["x"], degree: 0).transform(frame) }
    }
}
