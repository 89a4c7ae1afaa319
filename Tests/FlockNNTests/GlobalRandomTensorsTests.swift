import FlockTensor
import Testing

@testable import FlockNN

@Suite("Random tensors from the global generator")
struct GlobalRandomTensorsTests {
    @Test("Tensor.randomNormal([16, 4]) needs no generator and follows GlobalRandom's seed")
    func seeded() throws {
        try GlobalRandom.withScope(seed: 7) {
            let first = try Tensor.randomNormal([16, 4])
            let uniform = try Tensor.randomUniform([3], low: -1, high: 1)
            let integers = try Tensor.randint(0, 10, shape: [5])
            #expect(first.shape == [16, 4] && uniform.shape == [3] && integers.shape == [5])
            GlobalRandom.seed(7)
            #expect(try Tensor.randomNormal([16, 4]) == first)
            // The same draws as threading the generator by hand.
            var generator = RandomGenerator(seed: 7)
            #expect(try Tensor.randomNormal([16, 4], generator: &generator) == first)
            #expect(try Tensor.permutation(6).shape == [6])
            #expect(try Tensor.bernoulli([4], probability: 1).shape == [4])
        }
    }
}
