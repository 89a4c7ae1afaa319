import Foundation
import Testing

@testable import FlockNN
@testable import FlockTensor

@Suite("Checkpoints")
struct CheckpointTests {
    func sampleTensors() throws -> [(String, Tensor)] {
        [
            ("a", try Tensor([1.5, -2, 3, 4] as [Float], shape: [2, 2])),
            ("b", Tensor([1, 2, 3] as [Int64])),
            ("c", Tensor([true, false])),
            ("d", Tensor(scalar: 2.5)),
            ("e.view", try Tensor.arange(0, 6, dtype: .int32).reshaped([2, 3]).T),
        ]
    }

    @Test("safetensors round trip keeps dtypes, shapes, values and metadata")
    func roundTrip() throws {
        let path = temporaryPath("round.safetensors")
        let tensors = try sampleTensors()
        try Safetensors.write(tensors, metadata: ["note": "hello"], to: path)
        let (loaded, metadata) = try Safetensors.read(from: path)
        #expect(metadata["note"] == "hello")
        for (name, tensor) in tensors { #expect(loaded[name] == tensor.contiguous(), "\(name)") }
        // The header length is a multiple of 8 (alignment, as the reference writer pads).
        let data = try #require(FileManager.default.contents(atPath: path))
        #expect(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } % 8 == 0)
    }

    @Test("crafted headers with shapes whose size overflows throw CheckpointError instead of trapping")
    func overflowingShapes() throws {
        let path = temporaryPath("crafted.safetensors")
        for shape in ["[4611686018427387904, 4]", "[0, 4611686018427387904, 4]", "[9223372036854775807, 2]"] {
            var header = Data(#"{"w":{"dtype":"F32","shape":\#(shape),"data_offsets":[0,0]}}"#.utf8)
            while header.count % 8 != 0 { header.append(0x20) }
            var file = Data(count: 8)
            file.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(header.count).littleEndian, as: UInt64.self) }
            try (file + header).write(to: URL(fileURLWithPath: path))
            #expect {
                try Safetensors.read(from: path)
            } throws: { error in
                (error as? CheckpointError).map { "\($0)".contains("shape") } ?? false
            }
        }
    }

    @Test("an empty tensor at the offset where another begins reads back (found by the fuzzer)")
    func emptyTensorAtAnotherOffset() throws {
        let path = temporaryPath("empty.safetensors")
        let tensors = [("a", try Tensor([Float](), shape: [0])), ("b", try Tensor([1, 2] as [Float], shape: [2]))]
        try Safetensors.write(tensors, to: path)  // a: 0..<0, b: 0..<8
        let (read, _) = try Safetensors.read(from: path)
        #expect(read["a"]?.shape == [0] && read["b"] == tensors[1].1)
    }

    @Test("truncated, corrupted and garbage files give clear errors")
    func corruption() throws {
        let path = temporaryPath("bad.safetensors")
        try Safetensors.write(try sampleTensors(), to: path)
        let good = try #require(FileManager.default.contents(atPath: path))

        try good.prefix(good.count - 3).write(to: URL(fileURLWithPath: path))
        #expect(throws: CheckpointError.self) { try Safetensors.read(from: path) }

        var flipped = good
        flipped[flipped.count - 10] ^= 0xFF
        try flipped.write(to: URL(fileURLWithPath: path))
        do {
            _ = try Safetensors.read(from: path)
            Issue.record("a flipped data byte was not detected")
        } catch let error as CheckpointError {
            guard case .checksumMismatch = error else {
                Issue.record("expected a checksum mismatch, got \(error)")
                return
            }
            #expect(error.description.contains("corrupted"))
        }

        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        #expect(throws: CheckpointError.self) { try Safetensors.read(from: path) }
        var hugeHeader = Data(count: 16)
        hugeHeader.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(1 << 40).littleEndian, as: UInt64.self) }
        try hugeHeader.write(to: URL(fileURLWithPath: path))
        #expect(throws: CheckpointError.self) { try Safetensors.read(from: path) }
        var notJSON = Data(count: 8)
        notJSON.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(8).littleEndian, as: UInt64.self) }
        notJSON.append(contentsOf: Array("garbage!".utf8))
        try notJSON.write(to: URL(fileURLWithPath: path))
        #expect(throws: CheckpointError.self) { try Safetensors.read(from: path) }
        #expect(throws: CheckpointError.self) { try Safetensors.read(from: temporaryPath("missing")) }
    }

    @Test("a training checkpoint restores model, optimizer, step and RNG exactly; a mismatched model is refused")
    func trainingCheckpoint() throws {
        // A scope of its own: the test compares the generator's state after a reload.
        try GlobalRandom.withScope(seed: 11) { try checkTrainingCheckpoint() }
    }

    func checkTrainingCheckpoint() throws {
        let model = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
        let optimizer = Adam(model.parameters(), learningRate: 0.01)
        let x = try Tensor.randomNormal([5, 3], generator: &GlobalRandom.state)
        for _ in 0..<3 {
            optimizer.zeroGrad()
            try model(x).sum().backward()
            try optimizer.step()
        }
        let path = temporaryPath("train.safetensors")
        try TrainingCheckpoint.save(model: model, optimizer: optimizer, step: 3, to: path)
        let randomAfterSave = GlobalRandom.state

        let restored = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
        let restoredOptimizer = Adam(restored.parameters(), learningRate: 0.01)
        _ = GlobalRandom.withGenerator { $0.next() }  // disturb the RNG
        let step = try TrainingCheckpoint.load(into: restored, optimizer: restoredOptimizer, from: path)
        #expect(step == 3)
        for (a, b) in zip(model.parameters(), restored.parameters()) { #expect(a.value == b.value) }
        #expect(GlobalRandom.state == randomAfterSave)
        #expect(restoredOptimizer.stepCount == 3)
        // One more identical step on both gives identical parameters.
        for (m, o) in [(model, optimizer), (restored, restoredOptimizer)] {
            o.zeroGrad()
            try m(x).sum().backward()
            try o.step()
        }
        // Close rather than bitwise: other tests may switch the GEMM backend meanwhile.
        for (a, b) in zip(model.parameters(), restored.parameters()) {
            expectNear(a.value.doubleScalars(), b.value.doubleScalars(), tolerance: 1e-6)
        }

        let wrong = Sequential(Linear(3, 5), ReLU(), Linear(5, 2))
        #expect(throws: ModuleError.self) { try TrainingCheckpoint.load(into: wrong, from: path) }
        let missing = Sequential(Linear(3, 4))
        #expect(throws: ModuleError.self) { try TrainingCheckpoint.load(into: missing, from: path) }
    }
}
