import FlockTensor

extension Variable {
    /// x·Wᵀ + b for x [..., in], W [out, in], b [out]: one primitive instead of a
    /// transpose, a matmul and a broadcast add, so backward runs three GEMM-shaped products
    /// (dx = g·W, dW = gᵀ·x, db = Σg) that read their operands in place and produce W's
    /// gradient already in W's layout.
    public func linear(weight: Variable, bias: Variable?) throws -> Variable {
        let (x, w) = (value, weight.value)
        var y = try x.matmul(w.T)
        if let bias { y = try y + bias.value }
        let inputs = [self, weight] + (bias.map { [$0] } ?? [])
        return Variable.record("linear", y, inputs: inputs) { g in
            // Flatten leading axes: g2 [rows, out], x2 [rows, in].
            let rows = g.count / Swift.max(g.shape.last ?? 1, 1)
            let g2 = try g.reshaped([rows, w.shape[0]])
            let x2 = try x.reshaped([rows, w.shape[1]])
            var gradients: [Tensor?] = [
                self.requiresGrad ? try g.matmul(w) : nil,
                weight.requiresGrad ? try g2.T.matmul(x2) : nil,
            ]
            if bias != nil { gradients.append(try g2.sum(axes: [0])) }
            return gradients
        }
    }
}
