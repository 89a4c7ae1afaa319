import FlockData
import Foundation
import Testing

@Suite("SQL: queries plan to the DataFrame API's results, errors point at the token")
struct SQLTests {
    static let table = ReferenceTable(rows: 2_000, seed: 23)
    static var frame: DataFrame { DataFrame(table.batch, morselRows: 300) }
    static var context: SQLContext {
        var context = SQLContext()
        context.register("t", frame)
        let small = try! RecordBatch([
            "name": Column(["k0", "k1", "k2", "k9"]), "label": Column(["zero", "one", "two", "nine"]),
            "weight": Column([1.5, 2.5, nil, 4.0]),
        ])
        context.register("labels", DataFrame(small))
        return context
    }

    /// The rows of `frame` as values, for comparing two results.
    static func rows(_ frame: DataFrame) throws -> [[Value?]] {
        let batch = try frame.collect()
        return (0..<batch.rowCount).map { i in batch.columns.map { $0[i] } }
    }

    @Test("GROUP BY with WHERE, HAVING, ORDER BY and LIMIT equals the same DataFrame steps")
    func groupBy() throws {
        let sql = try Self.context.query(
            """
            SELECT name, sum(value) AS total, count(*) AS n, max(value) - min(value) AS spread
            FROM t WHERE count > 10 AND small IS NOT NULL
            GROUP BY name HAVING count(*) > 5 ORDER BY total DESC NULLS LAST, name LIMIT 4
            """)
        let api = try Self.frame.filter(col("count") > 10 && col("small").isNotNull())
            .groupBy(col("name"))
            .agg(
                col("value").sum().alias("total"), count().alias("n"),
                (col("value").max() - col("value").min()).alias("spread")
            )
            .filter(col("n") > 5).sort(col("total").descending(), col("name").ascending()).limit(4)
        #expect(sql.schema.names == ["name", "total", "n", "spread"])
        #expect(try Self.rows(sql) == Self.rows(api))
        #expect(try sql.collect().rowCount == 4)
    }

    @Test("aggregates without GROUP BY, expressions of keys, positions and aliases in GROUP BY")
    func keysAndWholeFrame() throws {
        let whole = try Self.context.query(
            "SELECT count(*), count(DISTINCT text), avg(value) AS m, median(value) FROM t")
        let api = try Self.frame.select(
            count(), col("text").countDistinct(), col("value").mean().alias("m"), col("value").median())
        #expect(try Self.rows(whole) == Self.rows(api))
        let byExpression = try Self.context.query(
            "SELECT small * 2 AS twice, quantile(value, 0.9) AS q FROM t GROUP BY 1 ORDER BY twice NULLS FIRST")
        let expected = try Self.frame.groupBy((col("small") * 2).alias("twice")).agg(
            col("value").quantile(0.9).alias("q")
        )
        .sort(col("twice").ascending(nullsFirst: true))
        #expect(try Self.rows(byExpression) == Self.rows(expected))
        let byAlias = try Self.context.query("SELECT small * 2 AS twice, sum(count) FROM t GROUP BY twice ORDER BY 1")
        #expect(try byAlias.collect().rowCount == expected.collect().rowCount)
    }

    @Test("joins with aliases and qualified names, a subquery in FROM with a window (top 2 per group)")
    func joinsAndSubqueries() throws {
        let joined = try Self.context.query(
            """
            SELECT a.name, l.label, a.value * l.weight AS weighted FROM t AS a
            JOIN labels l ON a.name = l.name WHERE a.value > 0 ORDER BY weighted DESC, a.name LIMIT 10
            """)
        let api = try Self.frame.join(try Self.context.query("SELECT * FROM labels"), on: ["name"])
            .filter(col("value") > 0).select(
                col("name"), col("label"), (col("value") * col("weight")).alias("weighted")
            )
            .sort(col("weighted").descending(), col("name").ascending()).limit(10)
        #expect(try Self.rows(joined) == Self.rows(api))
        let top = try Self.context.query(
            """
            SELECT name, value, rank FROM (
              SELECT name, value, row_number() OVER (PARTITION BY name ORDER BY value DESC) AS rank FROM t
              WHERE value IS NOT NULL) AS ranked
            WHERE rank <= 2 ORDER BY name, rank
            """)
        let window = WindowFunction.rowNumber.over(partitionBy: [col("name")], orderBy: [col("value").descending()])
        let topAPI = try Self.frame.filter(col("value").isNotNull()).select(
            col("name"), col("value"), window.alias("rank")
        )
        .filter(col("rank") <= 2).sort(col("name").ascending(), col("rank").ascending())
        #expect(try Self.rows(top) == Self.rows(topAPI))
        let threeWay = try Self.context.query(
            "SELECT a.label, b.label, c.label, c.weight FROM labels a JOIN labels b ON a.name = b.name JOIN labels c ON b.name = c.name"
        )
        #expect(threeWay.schema.names == ["label", "label_right", "label_right2", "weight"])
        #expect(try threeWay.collect().rowCount == 4)
        let anti = try Self.context.query("SELECT name FROM labels ANTI JOIN t ON labels.name = t.name")
        #expect(try Self.rows(anti) == [[.string("k9")]])
    }

    @Test("DISTINCT, UNION ALL, CAST, BETWEEN, IN, NOT, ORDER BY a column not selected")
    func otherClauses() throws {
        let distinct = try Self.context.query("SELECT DISTINCT text FROM t WHERE text IS NOT NULL ORDER BY text")
        #expect(try Self.rows(distinct).map { $0[0] } == (0..<5).map { .string("t\($0)") })
        let union = try Self.context.query(
            "SELECT name FROM labels WHERE weight > 2 UNION ALL SELECT name FROM labels WHERE weight < 2 ORDER BY 1 DESC"
        )
        #expect(try Self.rows(union) == [[.string("k9")], [.string("k1")], [.string("k0")]])
        let filtered = try Self.context.query(
            """
            SELECT CAST(count AS DOUBLE) / 2 AS half FROM t
            WHERE count BETWEEN 10 AND 20 AND small IN (1, -1) AND NOT (text = 't3') ORDER BY value DESC, count
            """)
        let api = try Self.frame
            .filter(
                col("count") >= 10 && col("count") <= 20 && (col("small") == 1 || col("small") == -1)
                    && !(col("text") == "t3")
            )
            .sort(col("value").descending(), col("count").ascending()).select(
                (col("count").cast(.float64) / 2).alias("half"))
        #expect(try Self.rows(filtered) == Self.rows(api))
    }

    @Test("FROM 'files': a glob of CSV files reads as one table; a missing file is named")
    func files() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("flock-sql-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for part in 0..<3 {
            let text = "id,v\n" + (0..<10).map { "\(part * 10 + $0),\($0)" }.joined(separator: "\n") + "\n"
            try Data(text.utf8).write(to: folder.appendingPathComponent("part-\(part).csv"))
        }
        let result = try SQLContext().query("SELECT count(*) AS n, sum(v) AS s FROM '\(folder.path)/*.csv'").collect()
        #expect(try result.column("n")[0] == .int(30))
        #expect(try result.column("s")[0] == .int(135))
        #expect(
            try SQLContext().query("SELECT max(id) FROM '\(folder.path)'").collect().column("max(id)")[0] == .int(29))
        let missing = Self.message { try SQLContext().query("SELECT * FROM '\(folder.path)/none.csv'") }
        #expect(missing.contains("no such file"), "\(missing)")
    }

    /// The description of the error `body` throws ("" when it throws none).
    static func message(_ body: () throws -> DataFrame) -> String {
        do {
            _ = try body()
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test(
        "errors name the problem and put a caret under the token",
        arguments: [
            ("SELECT valeu FROM t", "valeu", "did you mean \"value\""),
            ("SELECT name FROM tt", "tt", "no table \"tt\" (did you mean \"t\"?)"),
            ("SELECT name, sum(value) FROM t GROUP BY text", "name", "must be in GROUP BY"),
            ("SELECT sum(name) FROM t", "sum(name)", "sum"),
            ("SELECT summ(value) FROM t", "summ", "did you mean sum?"),
            ("SELECT name FROM t WHERE", "", "expected an expression, found the end of the query"),
            ("SELECT name FROM t WHERE name = 'k1", "'k1", "no closing quote"),
            ("SELECT name FROM t LIMIT x", "x", "LIMIT needs a whole number"),
            ("SELECT name, FROM t", "FROM", "expected an expression"),
            ("SELECT name FROM t WHERE sum(value) > 1", "sum(value)", "use HAVING"),
            ("SELECT t.name, l.label FROM t JOIN labels l ON t.name = l.label2", "l.label2", "no column \"l.label2\""),
            ("SELECT a.name FROM t a JOIN t b ON a.name = b.name WHERE value > 1", "value", "ambiguous"),
            ("SELECT row_number() FROM t", "row_number", "add OVER"),
            ("SELECT value + text FROM t", "value + text", "text"),
            ("SELECT name FROM t ORDER BY 0", "0", "ORDER BY 0: the select list has 1 columns"),
            (
                "SELECT " + String(repeating: "(", count: 500) + "1" + String(repeating: ")", count: 500) + " FROM t",
                "(",
                "nests deeper than 200"
            ),
        ])
    func errors(query: String, token: String, expected: String) throws {
        let message = Self.message { try Self.context.query(query) }
        #expect(message.contains(expected), "\(message)")
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false)
        try #require(lines.count == 3, "\(message)")
        let caret = lines[2].count - 3
        let pointed = String(lines[1].dropFirst(2).dropFirst(caret))
        #expect(pointed.hasPrefix(token), "caret at \(caret) in \(message)")
    }
}
