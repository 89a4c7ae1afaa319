import Testing

@testable import FlockData

@Suite("CSV into record batches")
struct CSVReaderTests {
    @Test("types are inferred per column; empty fields are null; quoted fields keep commas, quotes and line breaks")
    func reads() throws {
        let lines = [
            "id,score,ok,name,note", "1,0.5,true,ann,\"a, b\"", "2,,false,,\"say \"\"hi\"\"\"",
            ",3,true,\"\",\"two\nlines\"",
        ]
        let text = lines.joined(separator: "\r\n") + "\r\n\r\n"  // CRLF, and a blank last line
        let batch = try CSVReader.read(Array(text.utf8))
        #expect(batch.names == ["id", "score", "ok", "name", "note"])
        #expect(batch.columns.map(\.type) == [.int64, .float64, .bool, .utf8, .utf8])
        #expect(try (0..<3).map { try batch.column("id")[$0] } == [.int(1), .int(2), nil])
        #expect(try (0..<3).map { try batch.column("score")[$0] } == [.double(0.5), nil, .double(3)])
        #expect(try (0..<3).map { try batch.column("name")[$0] } == [.string("ann"), nil, .string("")])
        #expect(
            try (0..<3).map { try batch.column("note")[$0] } == [
                .string("a, b"), .string("say \"hi\""), .string("two\nlines"),
            ])
    }

    @Test("a file without a final line break, and text that looks like numbers only in part")
    func edges() throws {
        let batch = try CSVReader.read(Array("a,b\n1,x\n2.5,7".utf8))
        #expect(batch.columns.map(\.type) == [.float64, .utf8])
        #expect(try batch.column("b")[1] == .string("7"))
    }

    @Test("bad CSV names the source, line and column of the problem")
    func errors() {
        let cases: [(String, String)] = [
            ("a,b\n1,2\n3\n", "data.csv:3:1: 1 fields where the header has 2"),
            ("a,b\n1,\"open\n", "data.csv:2:3: a quoted field is never closed"),
            ("a,b\n1,\"x\"y\n", "data.csv:2:6: a closing quote must end its field"),
            ("a,b\n1,x\"y\n", "data.csv:2:4: a quote inside an unquoted field"),
            ("", "data.csv:1:1: no header line"),
            ("a,a\n1,2\n", "data.csv:1:1: the header is invalid: the column name \"a\" appears twice"),
        ]
        for (text, message) in cases {
            do {
                _ = try CSVReader.read(Array(text.utf8), source: "data.csv")
                Issue.record("read \(text.debugDescription)")
            } catch {
                #expect("\(error)".hasPrefix(message), "\(text.debugDescription): \(error)")
            }
        }
        #expect(throws: DataError.self) { try CSVReader.read([0x61, 0x0A, 0xFF, 0xFE], source: "bytes") }
    }
}
