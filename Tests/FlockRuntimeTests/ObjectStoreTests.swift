import Foundation
import Testing

@testable import FlockRuntime

extension ObjectCoding {
    /// The object bytes of `value` in one array.
    static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        try withEncoded(value) { header, payload in header + Array(payload) }
    }
}

/// A task with refs among its fields (for the reference collector).
struct TakesRefs: RemoteTask {
    let first: ObjectRef<[Float]>
    let rest: [ObjectRef<Int>]
    func run() async throws -> Int { 0 }
}

@Suite("Objects: coding, files and the spill policy")
struct ObjectStoreTests {
    @Test("arrays of numbers are stored raw, other values as JSON, and both read back")
    func coding() throws {
        let floats: [Float] = [1.5, -2, .infinity, 0]
        let bytes = try ObjectCoding.encode(floats)
        #expect(bytes.count == 8 + 16 && bytes[0] == 0x52)
        #expect(try bytes.withUnsafeBytes { try ObjectCoding.decode([Float].self, from: $0) } == floats)
        let doubles = try ObjectCoding.encode([Double]())
        #expect(try doubles.withUnsafeBytes { try ObjectCoding.decode([Double].self, from: $0) } == [])
        let text = try ObjectCoding.encode(["a": [1, 2]])
        #expect(try text.withUnsafeBytes { try ObjectCoding.decode([String: [Int]].self, from: $0) } == ["a": [1, 2]])
    }

    @Test("bytes of another type, another format or too few are refused with a reason")
    func malformed() throws {
        let floats = try ObjectCoding.encode([Float](repeating: 1, count: 3))
        #expect(throws: RuntimeError.self) {
            try floats.withUnsafeBytes { try ObjectCoding.decode([Int32].self, from: $0) }
        }
        #expect(throws: RuntimeError.self) {
            try floats.withUnsafeBytes { try ObjectCoding.decode(String.self, from: $0) }
        }
        let json = try ObjectCoding.encode("text")
        #expect {
            try json.withUnsafeBytes { try ObjectCoding.decode([Float].self, from: $0) }
        } throws: { error in
            "\(error)".contains("JSON object is not an array of Float")
        }
        #expect(throws: RuntimeError.self) {
            try [UInt8](repeating: 0, count: 3).withUnsafeBytes { try ObjectCoding.decode(Int.self, from: $0) }
        }
        var odd = try ObjectCoding.encode([Double](repeating: 2, count: 2))
        odd.removeLast()
        #expect(throws: RuntimeError.self) {
            try odd.withUnsafeBytes { try ObjectCoding.decode([Double].self, from: $0) }
        }
    }

    @Test("small objects stay inline; large ones are files that read back after a spill, and are lost once removed")
    func files() throws {
        let directory = try ObjectDirectory.create()
        defer { directory.removeAll() }
        #expect(
            try directory.store([Float](repeating: 1, count: 100), as: 1)
                == .inline(ObjectCoding.encode([Float](repeating: 1, count: 100))))
        let large = (0..<100_000).map { Float($0) }
        let location = try directory.store(large, as: 2)
        #expect(location == .stored(size: 8 + 400_000, node: 0))
        #expect(FileManager.default.fileExists(atPath: "\(directory.memory)/2"))
        try directory.spillObject(2)
        #expect(!FileManager.default.fileExists(atPath: "\(directory.memory)/2"))
        let back = try directory.read(2, at: location).withUnsafeBytes {
            try ObjectCoding.decode([Float].self, from: $0)
        }
        #expect(back == large)
        directory.remove(2)
        #expect(throws: RuntimeError.self) { try directory.read(2, at: location) }
    }

    @Test("past the memory limit the least recently used objects spill, and freed ones leave no files")
    func spillPolicy() throws {
        let directory = try ObjectDirectory.create()
        defer { directory.removeAll() }
        let store = ObjectStore(directory: directory, memoryLimit: 1_000_000)
        for id: UInt64 in 1...4 {
            guard case .stored(let size, _) = try directory.store([UInt8](repeating: UInt8(id), count: 300_000), as: id)
            else {
                Issue.record("object \(id) should be stored")
                return
            }
            store.added(id, size: size)
            if id == 3 { store.used(1) }  // 2 is now the least recently used
        }
        store.settle()
        let statistics = store.current
        #expect(statistics.inMemory == 3 && statistics.spilled == 1 && statistics.memoryBytes <= 1_000_000)
        #expect(FileManager.default.fileExists(atPath: "\(directory.spill)/2"))
        for id: UInt64 in 1...4 { store.removed(id) }
        #expect(store.current == ObjectStore.Statistics())
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.memory) == ["free"])
        #expect(directory.freeFiles().isEmpty)  // under 1 MiB: not worth keeping
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.spill).isEmpty)
    }

    @Test("a freed object's file is written over by the next object of a size it holds, and reads back the new value")
    func reuse() throws {
        let directory = try ObjectDirectory.create()
        defer { directory.removeAll() }
        let store = ObjectStore(directory: directory, memoryLimit: 64 << 20)
        let old = [Float](repeating: 7, count: 1 << 20)
        guard case .stored(let size, _) = try directory.store(old, as: 1) else {
            Issue.record("a 4 MiB object should be stored")
            return
        }
        store.added(1, size: size)
        store.removed(1)
        #expect(directory.freeFiles().map(\.size) == [size])
        #expect(directory.takeFreeFile(atLeast: size + 1) == nil)  // too small for that
        let smaller = (0..<(1 << 19)).map { Float($0) }
        let location = try directory.store(smaller, as: 2)
        #expect(directory.freeFiles().isEmpty)  // the kept file was taken
        let back = try directory.read(2, at: location).withUnsafeBytes {
            try ObjectCoding.decode([Float].self, from: $0)
        }
        #expect(back == smaller)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.memory).sorted() == ["2", "free"])
    }

    @Test("freed files wait for reuse up to the count and a quarter of the limit; more memory drops them first")
    func keptFilesAreBounded() throws {
        let directory = try ObjectDirectory.create()
        defer { directory.removeAll() }
        let store = ObjectStore(directory: directory, memoryLimit: 64 << 20)
        let value = [UInt8](repeating: 1, count: 3 << 20)
        for id: UInt64 in 1...8 {
            guard case .stored(let size, _) = try directory.store(value, as: id) else {
                Issue.record("a 3 MiB object should be stored")
                return
            }
            store.added(id, size: size)
        }
        for id: UInt64 in 1...8 { store.removed(id) }
        #expect(directory.freeFiles().count == 5)  // 5 x 3 MiB <= 16 MiB < 6 x 3 MiB
        // 21 objects of 3 MiB (63 MiB): with any kept file the store passes its limit.
        for id: UInt64 in 11...31 {
            let path = "\(directory.memory)/\(id)"
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
            store.added(id, size: 3 << 20)
        }
        #expect(directory.freeFiles().isEmpty)
    }

    @Test("a writable object writes itself into the store, small (inline) or large, and reads back as its bytes")
    func writableObjects() throws {
        let directory = try ObjectDirectory.create()
        defer { directory.removeAll() }
        for count in [10, 3 << 20] {
            let value = Counting(count: count)
            let location = try directory.store(value, as: UInt64(count))
            if count > ObjectLocation.inlineLimit {
                guard case .stored = location else {
                    Issue.record("\(count) bytes should be a file")
                    continue
                }
            }
            let bytes = try directory.read(UInt64(count), at: location).withUnsafeBytes {
                try ObjectCoding.decode([UInt8].self, from: $0)
            }
            #expect(bytes == value.bytes)
            let back = try directory.read(UInt64(count), at: location).withUnsafeBytes {
                try ObjectCoding.decode(Counting.self, from: $0)
            }
            #expect(back.count == count)
        }
    }

    @Test("encoding a task collects the refs among its fields")
    func collectsReferences() throws {
        let task = TakesRefs(
            first: ObjectRef(id: 7, owner: nil), rest: [ObjectRef(id: 9, owner: nil), ObjectRef(id: 8, owner: nil)])
        let (bytes, references) = try TaskRegistry.encode(task)
        #expect(references == [7, 9, 8])
        let decoded = try JSONDecoder().decode(TakesRefs.self, from: Data(bytes))
        #expect(decoded.first.id == 7 && decoded.rest.map(\.id) == [9, 8])
    }

    @Test("task messages with arguments, outcomes and cancellations survive the wire; a bad tag is refused")
    func messages() throws {
        let messages: [TaskMessage] = [
            .tasks([
                TaskAssignment(
                    id: 3, name: "Sum", bytes: [1, 2],
                    arguments: [1: .inline([9, 9]), 2: .stored(size: 1 << 20, node: 3)])
            ]),
            .results([
                (3, .value(.stored(size: 77, node: 1))), (4, .failed("no")), (5, .cancelled),
                (6, .inputUnreachable("node 1 is gone")),
            ]),
            .cancel([3, 4]),
            .nodes([0: "127.0.0.1:9000", 2: "10.0.0.2:9001"]),
            .steal([7, 8]),
        ]
        for message in messages { #expect(try TaskMessage(message.frame, peer: "test") == message) }
        var frame = TaskMessage.results([(3, .cancelled)]).frame
        frame.payload[12] = 9
        #expect(throws: (any Error).self) { try TaskMessage(frame, peer: "test") }
    }
}

/// A writable object of `count` bytes 0, 1, 2, ... (mod 251).
private struct Counting: WritableObject {
    let count: Int
    var bytes: [UInt8] { (0..<count).map { UInt8($0 % 251) } }
    var byteCount: Int { count }
    func write(into target: UnsafeMutableRawBufferPointer) {
        for i in 0..<count { target[i] = UInt8(i % 251) }
    }
    init(count: Int) { self.count = count }
    init(storedBytes stored: [UInt8]) throws {
        guard stored == (0..<stored.count).map({ UInt8($0 % 251) }) else {
            throw RuntimeError.malformedObject("not counting bytes")
        }
        count = stored.count
    }
}
