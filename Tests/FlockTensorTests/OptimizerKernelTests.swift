import Testing

@testable import FlockTensor

@Suite("Fused optimizer kernels")
struct OptimizerKernelTests {
    @Test("SGD updates the parameter and its velocity in place, with and without momentum")
    func sgdInPlace() throws {
        for momentum in [0.0, 0.9] {
            var parameter = Tensor([1, 2] as [Float])
            var velocity: Tensor?
            let gradient = Tensor([0.5, -0.5] as [Float])
            try OptimizerKernels.sgd(
                parameter: &parameter, gradient: gradient, velocity: &velocity, learningRate: 0.1, momentum: momentum,
                nesterov: false, weightDecay: 0)
            #expect(try parameter.scalars(as: Float.self) == [0.95, 2.05])
            #expect((velocity == nil) == (momentum == 0))
            // Buffer addresses, not storage references: holding a reference would itself
            // force a copy-on-write. A copy allocates before the old buffer is freed, so
            // its address differs.
            let (address, velocityAddress) = (parameter.storage.pointer, velocity?.storage.pointer)
            try OptimizerKernels.sgd(
                parameter: &parameter, gradient: gradient, velocity: &velocity, learningRate: 0.1, momentum: momentum,
                nesterov: false, weightDecay: 0)
            #expect(parameter.storage.pointer == address, "momentum \(momentum): the parameter was copied")
            #expect(velocity?.storage.pointer == velocityAddress, "momentum \(momentum): the velocity was copied")
            let step = momentum == 0 ? 0.05 : 0.05 * 1.9
            expectClose(parameter.doubleScalars(), [0.95 - step, 2.05 + step], rtol: 1e-6)
        }
    }

    @Test("Adam updates the parameter and both moments in place")
    func adamInPlace() throws {
        var parameter = Tensor([1, 2] as [Float])
        var first = parameter.zerosLike()
        var second = parameter.zerosLike()
        let gradient = Tensor([0.5, -0.5] as [Float])
        let addresses = [parameter.storage.pointer, first.storage.pointer, second.storage.pointer]
        try OptimizerKernels.adam(
            parameter: &parameter, gradient: gradient, firstMoment: &first, secondMoment: &second, learningRate: 0.1,
            betas: (0.9, 0.999), epsilon: 1e-8, weightDecay: 0, decoupled: false, corrections: (0.1, 0.001))
        #expect([parameter.storage.pointer, first.storage.pointer, second.storage.pointer] == addresses)
        // First step: the update is lr * g / |g| (bias-corrected moments are g and g²).
        expectClose(parameter.doubleScalars(), [0.9, 2.1], rtol: 1e-6)
    }
}
