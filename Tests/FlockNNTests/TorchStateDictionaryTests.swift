import FlockTensor
import Foundation
import Testing

@testable import FlockNN

/// State dictionaries written by PyTorch load into the equivalent Flock model as they are
/// (Fixtures/ is made by Benchmarks/peers/make_sequential_fixture.py).
@Suite("PyTorch state dictionaries")
struct TorchStateDictionaryTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func model() -> Sequential { Sequential(Linear(4, 8), ReLU(), Linear(8, 3)) }

    @Test("nn.Sequential(Linear, ReLU, Linear) saved by PyTorch loads with its keys and gives its outputs to 1e-6")
    func sequentialFromTorch() throws {
        let (state, _) = try Safetensors.read(
            from: Self.fixtures.appendingPathComponent("torch_sequential.safetensors").path)
        let (io, _) = try Safetensors.read(
            from: Self.fixtures.appendingPathComponent("torch_sequential_io.safetensors").path)
        let model = Self.model()
        #expect(Set(model.stateDictionary().map(\.0)) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        try model.loadStateDictionary(state)
        let inputs = try #require(io["inputs"])
        let expected = try #require(io["outputs"]).doubleScalars()
        let outputs = try model(inputs).value.doubleScalars()
        #expect(outputs.count == expected.count)
        // float32 sums of 4 and 8 products: PyTorch and Flock may order them differently.
        #expect(zip(outputs, expected).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(outputs) vs \(expected)")
    }

    @Test("strict loading names missing and unexpected keys; non-strict loads what matches and reports the rest")
    func strictness() throws {
        let (state, _) = try Safetensors.read(
            from: Self.fixtures.appendingPathComponent("torch_sequential.safetensors").path)
        var partial = state
        partial["2.bias"] = nil
        partial["head.weight"] = try Tensor.zeros([1])
        let model = Self.model()
        let before = model.stateDictionary()
        #expect {
            try model.loadStateDictionary(partial)
        } throws: { error in
            "\(error)".contains("missing [\"2.bias\"]") && "\(error)".contains("unexpected [\"head.weight\"]")
        }
        #expect(zip(model.stateDictionary(), before).allSatisfy { $0.1 == $1.1 })  // unchanged
        let (missing, unexpected) = try model.loadStateDictionary(partial, strict: false)
        #expect(missing == ["2.bias"] && unexpected == ["head.weight"])
        #expect(Dictionary(uniqueKeysWithValues: model.stateDictionary())["0.weight"] == state["0.weight"])
    }

    @Test("keys earlier Flock versions wrote for a Sequential (layers.0.weight) still load")
    func legacyKeys() throws {
        let (state, _) = try Safetensors.read(
            from: Self.fixtures.appendingPathComponent("torch_sequential.safetensors").path)
        let legacy = Dictionary(uniqueKeysWithValues: state.map { ("layers.\($0.key)", $0.value) })
        let model = Self.model()
        try model.loadStateDictionary(legacy)
        #expect(Dictionary(uniqueKeysWithValues: model.stateDictionary())["2.weight"] == state["2.weight"])
    }
}
