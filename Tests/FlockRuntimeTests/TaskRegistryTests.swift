import Testing

@testable import FlockRuntime

struct Square: RemoteTask {
    let x: Int
    func run() async throws -> Int { x * x }
}

struct Fails: RemoteTask {
    struct Refused: Error, CustomStringConvertible { var description: String { "refused on purpose" } }
    func run() async throws -> String { throw Refused() }
}

/// Another type under Square's name.
struct Impostor: RemoteTask {
    static var taskName: String { "Square" }
    func run() async throws -> Int { 0 }
}

@Suite("TaskRegistry")
struct TaskRegistryTests {
    @Test("a registered task runs from its bytes and its output decodes")
    func runsByName() async throws {
        let registry = try TaskRegistry([Square.self, Fails.self])
        #expect(registry.names == ["Fails", "Square"])
        let directory = try ObjectDirectory.create()
        defer { directory.removeAll() }
        let location = try await registry.run(
            name: Square.taskName, bytes: TaskRegistry.encode(Square(x: 12)).bytes, id: 1, directory: directory)
        let output = try directory.read(1, at: location).withUnsafeBytes { try ObjectCoding.decode(Int.self, from: $0) }
        #expect(output == 144)
    }

    @Test("unknown names, malformed bytes, duplicate names and a task's own error are reported clearly")
    func errors() async throws {
        let registry = try TaskRegistry([Square.self, Fails.self])
        let directory = try ObjectDirectory.create()
        defer { directory.removeAll() }
        await #expect(throws: RuntimeError.unknownTask("Cube", known: ["Fails", "Square"])) {
            _ = try await registry.run(name: "Cube", bytes: [], id: 1, directory: directory)
        }
        await #expect {
            _ = try await registry.run(name: "Square", bytes: Array("{\"y\": 1}".utf8), id: 1, directory: directory)
        } throws: { error in
            "\(error)".contains("task \"Square\" could not be decoded")
        }
        #expect(throws: RuntimeError.duplicateTaskName("Square")) {
            _ = try TaskRegistry([Square.self, Impostor.self])
        }
        await #expect {
            _ = try await registry.run(
                name: "Fails", bytes: TaskRegistry.encode(Fails()).bytes, id: 1, directory: directory)
        } throws: { error in
            "\(error)" == "refused on purpose"
        }
    }
}
