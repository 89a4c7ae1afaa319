import Foundation
import Testing

@testable import FlockRuntime

@Suite("Actor call coding")
struct CallCodingTests {
    struct Point: Codable, Equatable {
        var x: Double
        var name: String
    }

    @Test("arrays of numbers travel as raw elements, other values as JSON; both come back equal")
    func roundTrip() throws {
        let values: [Double] = [1.5, -.infinity, .nan, 0x1p-1074]
        let bytes = try CallCoding.encode(values)
        #expect(bytes.count == ObjectCoding.headerSize + 8 * values.count)
        let back = try CallCoding.decode([Double].self, from: bytes, using: JSONDecoder())
        #expect(back.map(\.bitPattern) == values.map(\.bitPattern))
        let small: [UInt8] = [0, 255, 7]
        #expect(try CallCoding.decode([UInt8].self, from: try CallCoding.encode(small), using: JSONDecoder()) == small)
        let point = Point(x: 2, name: "p")
        let json = try CallCoding.encode(point)
        #expect(json.first == UInt8(ascii: "{"))
        #expect(try CallCoding.decode(Point.self, from: json, using: JSONDecoder()) == point)
    }

    @Test("bytes that are not an array of the expected numbers are a clear error")
    func malformed() throws {
        let doubles = try CallCoding.encode([1.0, 2.0])
        for bad in [[UInt8](), [1, 2, 3], Array(doubles.dropLast()), try CallCoding.encode([Int32(1)])] {
            #expect(throws: RuntimeError.self) { try CallCoding.decode([Double].self, from: bad, using: JSONDecoder()) }
        }
    }
}
