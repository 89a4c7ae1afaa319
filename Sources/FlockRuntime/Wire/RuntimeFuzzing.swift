import FlockComm
import Foundation

/// Entry points for the fuzz targets in `Fuzz/` (libFuzzer): arbitrary bytes as each of the
/// runtime's messages from a peer (first byte: the frame's opcode; the rest: its payload)
/// and as a stored object. Decoders must throw, never trap; a message that decodes must
/// decode to the same value from its own frame (see `CommFuzzing`).
package enum RuntimeFuzzing {
    /// Task messages between the head and workers.
    package static func taskMessage(_ bytes: [UInt8]) {
        roundTrip(bytes, TaskMessage.init(_:peer:), \.frame)
    }

    /// Actor calls and replies.
    package static func actorMessage(_ bytes: [UInt8]) {
        roundTrip(bytes, ActorMessage.init(_:peer:), \.frame)
    }

    /// Object pulls between nodes (requests, chunks, refusals).
    package static func objectMessage(_ bytes: [UInt8]) {
        roundTrip(bytes, ObjectMessage.init(_:peer:), \.frame)
    }

    /// Messages between drivers, node agents, `flock status`/`stop` and the daemon (the
    /// frame's opcode picks the conversation, as the daemon's session does).
    package static func driverMessage(_ bytes: [UInt8]) {
        roundTrip(bytes, DriverMessage.init(_:peer:), \.frame)
        roundTrip(bytes, NodeMessage.init(_:peer:), \.frame)
        roundTrip(bytes, ControlMessage.init(_:peer:), \.frame)
    }

    /// A stored object's bytes read back as an array of numbers and as a JSON value.
    package static func object(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            _ = try? ObjectCoding.decode([Float].self, from: raw)
            _ = try? ObjectCoding.decode([String: [Int]].self, from: raw)
        }
    }

    /// Valid inputs for each target above, the start of its corpus.
    package static var seeds: [String: [[UInt8]]] {
        func bytes(_ frame: Frame) -> [UInt8] { [frame.header.opcode] + frame.payload }
        let tasks: [TaskMessage] = [
            .workerReady(index: 1, node: 0, resources: Resources(cpus: 2, memoryBytes: 1 << 30, custom: ["gpu": 1])),
            .tasks([
                TaskAssignment(
                    id: 7, name: "Square", bytes: Array(#"{"x":3}"#.utf8),
                    arguments: [3: .inline([1, 2]), 4: .stored(size: 4096, node: 1)], awaiting: [5])
            ]),
            .results([(id: 7, outcome: .value(.inline([9]))), (id: 8, outcome: .failed("boom")), (9, .returned)]),
            .cancel([1, 2]), .heartbeat, .nodes([0: "127.0.0.1:4000", 1: "10.0.0.2:4001"]), .steal([3]),
        ]
        let actors: [ActorMessage] = [
            .spawn(actor: 1, type: "Counter"), .spawned(actor: 1, error: nil), .spawned(actor: 2, error: "no"),
            .call(id: 3, actor: 1, target: "$s4main7CounterC3addyS2iYaKFTE", generics: ["Si"], arguments: [[0x31]]),
            .reply(id: 3, succeeded: true, bytes: [0x35]), .stop(actor: 1),
        ]
        let objects: [ObjectMessage] = [
            .request(12), .chunk(id: 12, total: 8, offset: 0, bytes: [1, 2, 3, 4]), .missing(id: 13, reason: "freed"),
        ]
        let drivers: [DriverMessage] = [
            .registerJob(executable: "/bin/app", arguments: ["--x"], environment: ["A": "1"], workers: 2),
            .jobReady(memory: "/dev/shm/m", spill: "/tmp/s", token: "t", nodes: [0: "127.0.0.1:1"]),
            .release([1, 2]), .locate(request: 1, id: 2),
        ]
        let controls: [ControlMessage] = [.status, .stop, .stopping]
        let nodes: [NodeMessage] = [
            .registerNode(workers: 2), .heartbeat, .storeAdded(job: 1, id: 2, size: 3), .stopWorkers(job: 1),
        ]
        var objectSeeds: [[UInt8]] = []
        for value in [[Float(1), 2, 3]] as [[Float]] {
            _ = try? ObjectCoding.withEncoded(value) { header, payload in objectSeeds.append(header + Array(payload)) }
        }
        _ = try? ObjectCoding.withEncoded(["a": [1, 2]]) { header, payload in
            objectSeeds.append(header + Array(payload))
        }
        return [
            "task-message": tasks.map { bytes($0.frame) }, "actor-message": actors.map { bytes($0.frame) },
            "object-message": objects.map { bytes($0.frame) },
            "driver-message": drivers.map { bytes($0.frame) } + nodes.map { bytes($0.frame) }
                + controls.map { bytes($0.frame) },
            "object": objectSeeds,
        ]
    }

    private static func roundTrip<Message: Equatable>(
        _ bytes: [UInt8], _ decode: (Frame, String) throws -> Message, _ encode: (Message) -> Frame
    ) {
        guard let opcode = bytes.first else { return }
        let frame = Frame(runtime: opcode, payload: Array(bytes.dropFirst()))
        guard let message = try? decode(frame, "fuzz") else { return }
        let again = try? decode(encode(message), "fuzz")
        CommFuzzing.roundTripHolds(again == message, "\(Message.self) \(message)")
    }
}
