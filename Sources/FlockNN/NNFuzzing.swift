import FlockTensor
import Foundation

/// Entry points for the fuzz targets in `Fuzz/` (libFuzzer): arbitrary bytes as a
/// safetensors file, a training checkpoint and a CSV table. Readers must throw
/// `CheckpointError`/`CSVError`, never trap; a safetensors file that reads must read the
/// same after being written again.
package enum NNFuzzing {
    /// A safetensors file; what decodes is written and read back and must match.
    package static func safetensors(_ bytes: [UInt8]) {
        guard let (tensors, metadata) = try? Safetensors.decode(Data(bytes), path: "fuzz") else { return }
        let path = NSTemporaryDirectory() + "/flock-fuzz-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let ordered = tensors.sorted { $0.key < $1.key }
        guard (try? Safetensors.write(ordered, metadata: metadata, to: path)) != nil,
            let (again, againMetadata) = try? Safetensors.read(from: path)
        else {
            preconditionFailure("fuzz: a safetensors file that read could not be written and read again")
        }
        let same =
            again.count == tensors.count
            && againMetadata.filter { $0.key != Safetensors.checksumKey }
                == metadata.filter { $0.key != Safetensors.checksumKey }
            && tensors.allSatisfy { name, tensor in again[name].map { sameBytes($0, tensor) } ?? false }
        if !same { preconditionFailure("fuzz: a safetensors file changed after a write and a read") }
    }

    /// A training checkpoint's bytes loaded into a small model and its Adam optimizer
    /// (model and optimizer tensors, step and random-generator metadata).
    package static func checkpoint(_ bytes: [UInt8]) {
        guard let (tensors, metadata) = try? Safetensors.decode(Data(bytes), path: "fuzz") else { return }
        let model = Linear(3, 2)
        let optimizer = Adam(model.parameters())
        let random = GlobalRandom.state
        defer { GlobalRandom.state = random }
        _ = try? TrainingCheckpoint.apply(tensors, metadata, path: "fuzz", model: model, optimizer: optimizer)
    }

    /// A CSV table's text.
    package static func csv(_ bytes: [UInt8]) {
        _ = try? CSVTable(parsing: String(decoding: bytes, as: UTF8.self), path: "fuzz")
    }

    /// Valid inputs for each target above, the start of its corpus.
    package static var seeds: [String: [[UInt8]]] {
        let path = NSTemporaryDirectory() + "/flock-fuzz-seed-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        func file(_ write: () throws -> Void) -> [UInt8] {
            (try? write()).flatMap { FileManager.default.contents(atPath: path) }.map(Array.init) ?? []
        }
        let tensors = file {
            try Safetensors.write(
                [
                    ("w", try Tensor([1, 2, 3, 4] as [Float], shape: [2, 2])),
                    ("i", try Tensor([7] as [Int64], shape: [1])),
                ],
                metadata: ["note": "seed"], to: path)
        }
        let model = Linear(3, 2)
        let checkpoint = file {
            try TrainingCheckpoint.save(model: model, optimizer: Adam(model.parameters()), step: 3, to: path)
        }
        return [
            "safetensors": [tensors], "checkpoint": [checkpoint],
            "csv": [Array("a,b,label\n1,2,0\n3.5,-4,1\n".utf8), Array("x,y\n1,2\n,\n".utf8)],
        ]
    }

    private static func sameBytes(_ first: Tensor, _ second: Tensor) -> Bool {
        guard first.shape == second.shape, first.dtype == second.dtype else { return false }
        let a = (try? Safetensors.withBytes(of: first) { Array($0) }) ?? []
        let b = (try? Safetensors.withBytes(of: second) { Array($0) }) ?? []
        return a == b
    }
}
