import FlockData
import Testing

@Suite("Plans are checked when built: names, types, placement")
struct PlanCheckTests {
    static let frame = DataFrame(ReferenceTable(rows: 10, seed: 3).batch)

    @Test("a wrong column name lists the columns and suggests the nearest")
    func unknownColumn() {
        #expect {
            _ = try Self.frame.filter(col("vaule") > 1)
        } throws: { error in
            "\(error)".contains("no column \"vaule\" (did you mean \"value\"?)") && "\(error)".contains("\"count\"")
        }
    }

    @Test("a type mismatch names the operation, both operands and their types")
    func typeMismatch() {
        #expect {
            _ = try Self.frame.select(col("text") + col("value"))
        } throws: { error in
            "\(error)" == "cannot apply + to text (utf8) and value (float64): both must be numbers"
        }
        #expect(throws: DataError.self) { _ = try Self.frame.filter(col("value")) }
        #expect(throws: DataError.self) { _ = try Self.frame.groupBy(col("name")).agg(col("text").mean()) }
    }

    @Test("aggregates only where they can run; non-key columns only inside them")
    func placement() {
        #expect(throws: DataError.self) { _ = try Self.frame.filter(col("value").sum() > 1) }
        #expect {
            _ = try Self.frame.groupBy(col("name")).agg(col("value") + col("count").sum())
        } throws: { error in "\(error)".contains("reads column \"value\" outside an aggregate") }
        #expect(throws: DataError.self) { _ = try Self.frame.limit(-1) }
        #expect(throws: DataError.self) { _ = try Self.frame.select(col("value"), col("value")) }
    }

    @Test("explain prints the logical steps and the physical operators")
    func explain() throws {
        let text = try Self.frame.filter(col("value") > 0).groupBy(col("name")).agg(col("value").sum()).explain()
        #expect(text.contains("Aggregate keys: [name] values: [sum(value)]"))
        #expect(text.contains("Filter (value > 0)"))
        #expect(text.contains("HashAggregate"))
        #expect(text.contains("MemoryScan table"))
    }
}
